/**
 * Per-message CPU accounting from the profiles `bench/ab.ts --profile dir` writes: each profile cut to its
 * load step, its self time grouped into what the message path does (socket writes, SQLite, validation, …),
 * in µs per message, for each build side by side.
 *
 *   npx tsx bench/account.ts dir [--top N]   # dir/<A|B>-<round>/{CPU.*.cpuprofile, step.json}
 *
 * `--top N` also lists each build's N frames with the most self time (µs per message, with their category).
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

interface Node {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}
interface Profile {
  nodes: Node[];
  startTime: number;
  samples: number[];
  timeDeltas: number[];
}
interface StepWindow {
  build: string;
  fromUs: number;
  toUs: number;
  messages: number;
  cpuMs: number;
}

/** First matching rule names the category of a frame (`function url`). */
const CATEGORIES: Array<[string, RegExp]> = [
  ['idle', /^\(idle\) /],
  ['gc', /^\(garbage collector\)/],
  ['socket writes (writev, ws, engine.io, net)', /^(writev|writeUtf8String|writeBuffer) |\/ws\/|\/engine\.io\/|node:net|stream_base_commons|streams\/writable|createWriteWrap|FastBuffer/],
  ['socket reads (ws receiver, parser decode)', /receiver\.js|decodeString|tryParse|onStreamRead|readableAddChunk|streams\/readable/],
  ['socket.io encode + broadcast', /socket\.io-parser|is-binary|hasBinary|broadcast-operator|in-memory-adapter|\/socket\.io\/|socket\.io-adapter|component-emitter/],
  ['SQLite (better-sqlite3, store)', /better-sqlite3|dist\/store\/|sqliteTransaction/],
  ['validation (zod)', /\/zod\//],
  ['metrics (prom-client)', /prom-client/],
  ['rate limits', /rate-limiter-flexible|dist\/limits\//],
  ['services (message, room, screen, ids)', /dist\/services\/|dist\/moderation\/|\/ulid\//],
  ['transport (handlers, binder)', /dist\/transport\//],
  ['webhooks', /dist\/webhooks\//],
  ['promises, ticks, microtasks', /runMicrotasks|processTicksAndRejections|nextTick|task_queues|^\(anon\) :-1|AsyncResource|async_hooks/],
  ['debug()', /\/debug\//],
  ['timers', /node:internal\/timers|listOnTimeout|processTimers/],
  ['relay (bench/bare-relay)', /bare-relay|fast-ulid/],
  ['events (EventEmitter)', /node:events/],
  ['(program)', /^\(program\)/],
];

function categoryOf(frame: string): string {
  for (const [name, pattern] of CATEGORIES) if (pattern.test(frame)) return name;
  return 'other';
}

interface Totals {
  byCategory: Map<string, number>;
  byFrame: Map<string, number>;
}

const add = (map: Map<string, number>, key: string, us: number) => map.set(key, (map.get(key) ?? 0) + us);

/** µs of self time per category and per frame within the window. */
function account(profileFile: string, window: StepWindow): Totals {
  const profile = JSON.parse(readFileSync(profileFile, 'utf8')) as Profile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const totals: Totals = { byCategory: new Map(), byFrame: new Map() };
  let t = profile.startTime;
  profile.samples.forEach((id, i) => {
    const delta = Math.max(0, profile.timeDeltas[i] ?? 0);
    t += delta;
    if (t < window.fromUs || t > window.toUs) return;
    const node = byId.get(id)!;
    const frame = `${node.callFrame.functionName || '(anon)'} ${node.callFrame.url.replace(/^file:\/\/.*?\/(node_modules|dist|bench)\//, '$1/')}:${node.callFrame.lineNumber}`;
    add(totals.byCategory, categoryOf(frame), delta);
    add(totals.byFrame, frame, delta);
  });
  return totals;
}

/** `--cpu-prof` writes one profile per thread (tsx adds a loader thread): the one busiest in the window. */
function busiestProfile(dir: string, window: StepWindow): Totals {
  const busy = (totals: Totals) => [...totals.byCategory].reduce((a, [cat, us]) => (cat === 'idle' ? a : a + us), 0);
  const accounts = readdirSync(dir)
    .filter((f) => f.endsWith('.cpuprofile'))
    .map((f) => account(join(dir, f), window));
  return accounts.sort((a, b) => busy(b) - busy(a))[0]!;
}

function main(dir: string, top: number): void {
  const perBuild = new Map<string, { totals: Map<string, number>; frames: Map<string, number>; messages: number; cpuMs: number }>();
  for (const run of readdirSync(dir).sort()) {
    const runDir = join(dir, run);
    let window: StepWindow;
    try {
      window = JSON.parse(readFileSync(join(runDir, 'step.json'), 'utf8')) as StepWindow;
    } catch {
      continue;
    }
    const label = `${run.split('-')[0]} (${window.build})`;
    const acc = perBuild.get(label) ?? { totals: new Map<string, number>(), frames: new Map<string, number>(), messages: 0, cpuMs: 0 };
    const totals = busiestProfile(runDir, window);
    for (const [cat, us] of totals.byCategory) add(acc.totals, cat, us);
    for (const [frame, us] of totals.byFrame) add(acc.frames, frame, us);
    acc.messages += window.messages;
    acc.cpuMs += window.cpuMs;
    perBuild.set(label, acc);
  }
  const labels = [...perBuild.keys()];
  const cats = [...new Set([...perBuild.values()].flatMap((b) => [...b.totals.keys()]))].filter((c) => c !== 'idle');
  const perMsg = (label: string, cat: string) => (perBuild.get(label)!.totals.get(cat) ?? 0) / perBuild.get(label)!.messages;
  cats.sort((a, b) => perMsg(labels.at(-1)!, b) - perMsg(labels.at(-1)!, a));
  console.log(`| µs per message (main thread, self time) | ${labels.join(' | ')} |`);
  console.log(`| --- | ${labels.map(() => '---:').join(' | ')} |`);
  for (const cat of cats) console.log(`| ${cat} | ${labels.map((l) => perMsg(l, cat).toFixed(1)).join(' | ')} |`);
  const sampled = (l: string) => cats.reduce((a, c) => a + perMsg(l, c), 0);
  console.log(`| **sampled total** | ${labels.map((l) => sampled(l).toFixed(1)).join(' | ')} |`);
  console.log(`| process CPU (all threads, /proc) | ${labels.map((l) => ((1000 * perBuild.get(l)!.cpuMs) / perBuild.get(l)!.messages).toFixed(1)).join(' | ')} |`);
  for (const label of top > 0 ? labels : []) {
    const { frames, messages } = perBuild.get(label)!;
    console.log(`\n${label}: top ${top} frames (µs per message, self time)`);
    const ranked = [...frames].filter(([f]) => categoryOf(f) !== 'idle').sort((a, b) => b[1] - a[1]).slice(0, top);
    for (const [frame, us] of ranked) console.log(`  ${(us / messages).toFixed(1).padStart(6)}  ${frame}  [${categoryOf(frame)}]`);
  }
}

const topIndex = process.argv.indexOf('--top');
main(process.argv.slice(2).find((a, i, all) => !a.startsWith('--') && all[i - 1] !== '--top') ?? '/tmp/ab-profile', topIndex >= 0 ? Number(process.argv[topIndex + 1]) : 0);
