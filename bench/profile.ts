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

/**
 * The busiest .cpuprofile in a directory (or the file itself). `--cpu-prof` writes one per thread,
 * and under tsx the module-loader thread has its own (mostly idle) profile.
 */
export function busiestProfile(path: string): string | undefined {
  if (statSync(path, { throwIfNoEntry: false })?.isFile()) return path;
  const files = readdirSync(path, { withFileTypes: true })
    .filter((f) => f.isFile() && f.name.endsWith('.cpuprofile'))
    .map((f) => join(path, f.name));
  const busy = files.map((f) => ({ f, ms: topFrames(f, 0).busyMs }));
  return busy.sort((a, b) => b.ms - a.ms)[0]?.f;
}

function label(node: Node, root: string): string {
  const { functionName, url, lineNumber } = node.callFrame;
  const file = url.startsWith('file://') ? relative(root, new URL(url).pathname) : url;
  const where = file ? ` ${file}:${lineNumber + 1}` : '';
  return `${functionName || '(anonymous)'}${where}`;
}

export interface Top {
  /** Sampled time, and sampled time not idle. */
  totalMs: number;
  busyMs: number;
  frames: Frame[];
  /** Self time grouped by where the code lives: a package, a src/ folder, Node internals, native/VM. */
  groups: Frame[];
}

/** `kysely`, `socket.io`, `src/store`, `node:internal`, `(native)`… */
function group(frame: string): string {
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(frame)?.[1];
  if (pkg) return pkg;
  const src = /\s(src\/[^/]+)/.exec(frame)?.[1];
  if (src) return src;
  if (/\snode:/.test(frame)) return 'node:*';
  if (frame.startsWith('(')) return frame.slice(0, frame.indexOf(')') + 1);
  return '(native or other)';
}

function rank(map: Map<string, number>, n: number, busy: number): Frame[] {
  return [...map.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, n)
    .map(([frame, us]) => ({ frame, selfMs: Math.round(us / 1000), percent: Math.round((1000 * us) / Math.max(1, busy)) / 10 }));
}

/** Sums sample time per frame (function + location), largest first; `(idle)` is left out and percentages are of busy time. */
export function topFrames(file: string, n = 10, root = process.cwd()): Top {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const self = new Map<string, number>();
  let total = 0;
  let idle = 0;
  profile.samples.forEach((id, i) => {
    const us = Math.max(0, profile.timeDeltas[i] ?? 0);
    const node = byId.get(id);
    if (!node) return;
    total += us;
    const key = label(node, root);
    if (key === '(idle)') {
      idle += us;
      return;
    }
    self.set(key, (self.get(key) ?? 0) + us);
  });
  const groups = new Map<string, number>();
  for (const [frame, us] of self) groups.set(group(frame), (groups.get(group(frame)) ?? 0) + us);
  const busy = total - idle;
  return { totalMs: Math.round(total / 1000), busyMs: Math.round(busy / 1000), frames: rank(self, n, busy), groups: rank(groups, 8, busy) };
}

export function formatFrames(top: Top): string {
  const lines = top.frames.map((f, i) => `${String(i + 1).padStart(2)}. ${String(f.percent).padStart(5)}%  ${String(f.selfMs).padStart(6)} ms  ${f.frame}`);
  const groups = top.groups.map((g) => `${g.frame} ${g.percent}%`).join(', ');
  return [`sampled ${top.totalMs} ms, busy ${top.busyMs} ms; self time, % of busy:`, ...lines, `by origin: ${groups}`].join('\n');
}

if (process.argv[1]?.endsWith('profile.ts')) {
  const target = busiestProfile(process.argv[2] ?? 'bench/results/profile');
  if (!target) {
    console.error('no .cpuprofile found');
    process.exit(1);
  }
  console.log(`${target}\n${formatFrames(topFrames(target))}`);
}
