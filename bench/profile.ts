/**
 * Top self-time frames of a V8 `.cpuprofile` (from `node --cpu-prof`).
 * Run: `tsx bench/profile.ts [file-or-dir]` (default: the newest profile in bench/results/profile).
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

interface Node {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}

interface Profile {
  nodes: Node[];
  samples: number[];
  timeDeltas: number[];
}

export interface Frame {
  frame: string;
  selfMs: number;
  percent: number;
}

/** The newest .cpuprofile in a directory (or the file itself). */
export function newestProfile(path: string): string | undefined {
  if (statSync(path, { throwIfNoEntry: false })?.isFile()) return path;
  const files = readdirSync(path, { withFileTypes: true })
    .filter((f) => f.isFile() && f.name.endsWith('.cpuprofile'))
    .map((f) => join(path, f.name))
    .sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs);
  return files[0];
}

function label(node: Node, root: string): string {
  const { functionName, url, lineNumber } = node.callFrame;
  const file = url.startsWith('file://') ? relative(root, new URL(url).pathname) : url;
  const where = file ? ` ${file}:${lineNumber + 1}` : '';
  return `${functionName || '(anonymous)'}${where}`;
}

/** Sums sample time per frame (function + location), largest first. */
export function topFrames(file: string, n = 10, root = process.cwd()): { totalMs: number; frames: Frame[] } {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const self = new Map<string, number>();
  let total = 0;
  profile.samples.forEach((id, i) => {
    const us = profile.timeDeltas[i] ?? 0;
    const node = byId.get(id);
    if (!node) return;
    total += us;
    const key = label(node, root);
    self.set(key, (self.get(key) ?? 0) + us);
  });
  const frames = [...self.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, n)
    .map(([frame, us]) => ({ frame, selfMs: Math.round(us / 1000), percent: Math.round((1000 * us) / Math.max(1, total)) / 10 }));
  return { totalMs: Math.round(total / 1000), frames };
}

export function formatFrames(top: { totalMs: number; frames: Frame[] }): string {
  const lines = top.frames.map((f, i) => `${String(i + 1).padStart(2)}. ${String(f.percent).padStart(5)}%  ${String(f.selfMs).padStart(6)} ms  ${f.frame}`);
  return [`total sampled ${top.totalMs} ms`, ...lines].join('\n');
}

if (process.argv[1]?.endsWith('profile.ts')) {
  const target = newestProfile(process.argv[2] ?? 'bench/results/profile');
  if (!target) {
    console.error('no .cpuprofile found');
    process.exit(1);
  }
  console.log(`${target}\n${formatFrames(topFrames(target))}`);
}
