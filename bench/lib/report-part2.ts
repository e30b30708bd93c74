import type { Features, FeatureStep } from '../phases/features.js';
import { passes } from '../phases/traffic.js';
import type { Uploads, UploadVariant } from '../phases/uploads.js';
import type { Percentiles } from './hist.js';

type Cell = string;

const ratio = (a: number | undefined, b: number | undefined) => (a === undefined || b === undefined || b === 0 ? undefined : a / b);
const fmt = (r: number | undefined) => (r === undefined ? '—' : r.toFixed(2));
const yes = (ok: boolean | undefined) => (ok === undefined ? 'n/a' : ok ? 'yes' : '**no**');
const warn = (s: FeatureStep | undefined) => (s?.step.flags.length ? ` ⚠${s.step.flags.join(',')}` : '');
const perRow = (s: FeatureStep | undefined) => (s?.store && s.store.meanBatch ? s.store.meanStoreMs / s.store.meanBatch : undefined);
const lockWaits = (s: FeatureStep) => (s.store?.lockWaits ? `; ${s.store.lockWaits} waited for the lock, ${s.store.meanLockWaitMs} ms on average` : '');
const store = (s?: FeatureStep) =>
  s?.store ? `${s.store.batches} × ${s.store.meanBatch} msgs, ${s.store.meanStoreMs} ms / ${perRow(s)?.toFixed(3)} ms${lockWaits(s)}` : '—';
const delivered = (s: FeatureStep | undefined) => (s ? `${s.step.deliveredPerSec} (${passes(s.step) ? 'sustained' : '**not sustained**'}, lost ${s.step.lost})${warn(s)}` : '—');

function table(head: string[], rows: Cell[][]): string {
  const line = (cells: string[]) => `| ${cells.map((c) => c.replaceAll('|', '\\|')).join(' | ')} |`;
  return [line(head), line(head.map(() => '---')), ...rows.map(line)].join('\n');
}

/** Rows comparing two runs of the same steps: figure, a, b, b/a, target, met (a target of `≤ 1.1×` on the ratio). */
function stepRows(rate: number, a: FeatureStep | undefined, b: FeatureStep | undefined): Cell[][] {
  const within = (r: number | undefined) => yes(r === undefined ? undefined : r <= 1.1);
  const tr = ratio(b?.step.deliveredPerSec, a?.step.deliveredPerSec);
  const ackR = ratio(b?.step.ack.p99, a?.step.ack.p99);
  const e2eR = ratio(b?.step.e2e.p99, a?.step.e2e.p99);
  const cpuR = ratio(b?.cpuMsPerMsg, a?.cpuMsPerMsg);
  const ack = (s?: FeatureStep) => (s ? `${s.step.ack.p50} / ${s.step.ack.p99}` : '—');
  return [
    [`@ ${rate}/s: delivered msgs/s`, delivered(a), delivered(b), fmt(tr), '≥ 0.9× off, sustained', yes(tr === undefined || !b ? undefined : tr >= 0.9 && passes(b.step))],
    [`@ ${rate}/s: ack p50 / p99 (ms)`, ack(a), ack(b), fmt(ackR), 'p99 ≤ 1.1× off', within(ackR)],
    [`@ ${rate}/s: e2e p99 (ms)`, String(a?.step.e2e.p99 ?? '—'), String(b?.step.e2e.p99 ?? '—'), fmt(e2eR), '≤ 1.1× off', within(e2eR)],
    [`@ ${rate}/s: server CPU per message (ms)`, String(a?.cpuMsPerMsg ?? '—'), String(b?.cpuMsPerMsg ?? '—'), fmt(cpuR), '≤ 1.1× off', within(cpuR)],
    [`@ ${rate}/s: write batches (count × size; mean ms per batch / per row)`, store(a), store(b), fmt(ratio(perRow(b), perRow(a))), '', ''],
  ];
}

const lagCell = (s: FeatureStep) => {
  const w = s.webhook!;
  return `${w.lag.p50} / ${w.lag.p99} / ${w.lag.max} (${w.received} of ${w.expected} received; the last ${w.drainMs} ms after the load ended)`;
};

export function featuresSection(f: Features): string {
  const off = f.runs.find((r) => r.features === 'off');
  const on = f.runs.find((r) => r.features === 'on');
  const rates = (off ?? on)?.steps.map((s) => s.step.rate) ?? [];
  const at = (run: typeof off, rate: number) => run?.steps.find((s) => s.step.rate === rate);
  const rows = rates.flatMap((rate) => stepRows(rate, at(off, rate), at(on, rate)));
  for (const s of on?.steps ?? []) if (s.webhook) rows.push([`@ ${s.step.rate}/s: webhook lag, message stored (\`dt\`) → receiver, p50 / p99 / max (ms)`, '', lagCell(s), '', 'stated', '']);
  const mask = f.runs.find((r) => r.features === 'mask');
  for (const rate of mask ? rates : []) {
    const [a, m] = [at(off, rate), at(mask, rate)];
    const cell = (x: FeatureStep | undefined) => (x ? `${x.step.ack.p99} / ${x.step.e2e.p99} / ${x.cpuMsPerMsg}${warn(x)}` : '—');
    rows.push([`@ ${rate}/s, ack p99 / e2e p99 / CPU per message (ms), off vs **masking only** (no webhooks)`, cell(a), cell(m), fmt(ratio(m?.cpuMsPerMsg, a?.cpuMsPerMsg)), '', '']);
  }
  const apart = f.runs.find((r) => r.features === 'apart');
  for (const rate of apart ? rates : []) {
    const [a, d] = [at(off, rate), at(apart, rate)];
    const cell = (x: FeatureStep | undefined) => (x ? `${x.step.ack.p99} / ${x.step.e2e.p99}${passes(x.step) ? '' : ' (not sustained)'}${warn(x)}` : '—');
    const ackRatio = ratio(d?.step.ack.p99, a?.step.ack.p99);
    const met = d && a ? (passes(d.step) && ackRatio !== undefined && ackRatio <= 1.1 ? 'yes' : '**no**') : '';
    const what = '**on, dispatcher apart** (WEBHOOK_DELIVER=false + npm run dispatcher on the load core)';
    rows.push([`@ ${rate}/s, ack p99 / e2e p99 (ms), off vs ${what}`, cell(a), cell(d), fmt(ackRatio), 'ack p99 ≤ 1.1× off, sustained', met]);
    const cpu = (x: FeatureStep | undefined) => (x ? `${x.cpuMsPerMsg}${x.dispatcherCpuMsPerMsg === undefined ? '' : ` (+ dispatcher ${x.dispatcherCpuMsPerMsg})`}` : '—');
    rows.push([`@ ${rate}/s, server CPU per message (ms), off vs dispatcher apart`, cpu(a), cpu(d), fmt(ratio(d?.cpuMsPerMsg, a?.cpuMsPerMsg)), 'stated', '']);
    rows.push([`@ ${rate}/s, write batches, off vs dispatcher apart (count × size; mean ms per batch / per row)`, store(a), store(d), fmt(ratio(perRow(d), perRow(a))), '', '']);
    if (d?.webhook) rows.push([`@ ${rate}/s, dispatcher apart: webhook lag p50 / p99 / max (ms)`, '', lagCell(d), '', 'stated', '']);
  }
  const on2 = f.runs.find((r) => r.features === 'on2');
  for (const rate of on2 ? rates : []) {
    const [a, d] = [at(off, rate), at(on2, rate)];
    const cell = (x: FeatureStep | undefined) => (x ? `${x.step.ack.p99} / ${x.step.e2e.p99} / ${x.cpuMsPerMsg}${passes(x.step) ? '' : ' (not sustained)'}${warn(x)}` : '—');
    const what = '**on, sender thread on the load core** (as on a machine with a core for it)';
    rows.push([`@ ${rate}/s, ack p99 / e2e p99 / CPU per message (ms), off vs ${what}`, cell(a), cell(d), fmt(ratio(d?.step.ack.p99, a?.step.ack.p99)), 'stated', '']);
    if (d?.webhook) rows.push([`@ ${rate}/s, on, sender thread apart: webhook lag p50 / p99 / max (ms)`, '', lagCell(d), '', 'stated', '']);
  }
  for (const rate of f.floor ? rates : []) {
    const a = at(off, rate);
    const floor = f.floor!;
    const ms = (us: number) => (us / 1000).toFixed(3);
    const share = a ? floor.cpuUsPerPost / 1000 / a.cpuMsPerMsg : undefined;
    const what = `@ ${rate}/s, **one signed POST alone** (Parley's sender, no outbox, no database; bench/webhook-floor.ts), CPU per POST vs off's per message (ms)`;
    rows.push([what, a ? String(a.cpuMsPerMsg) : '—', `${ms(floor.cpuUsPerPost)} (user ${ms(floor.userUsPerPost)}, system ${ms(floor.systemUsPerPost)}; ${floor.ok} of ${floor.posts} answered)`, fmt(share), 'stated (over 0.10: 1.1× CPU is out of reach wherever the POST shares the chat\'s core)', '']);
  }
  const loads = f.runs.flatMap((r) => r.steps.map((s) => `${r.features} @ ${s.step.rate}/s: ${s.load}`)).join('; ');
  return [
    `## Part II features off vs on (Parley on SQLite, ${f.durationMs / 1000} s per rate, open loop)`,
    `Off: no webhook URL, \`CONTACT_MASKING=off\`. Masking only (its own rows): \`CONTACT_MASKING=mask\`, no webhook URL. On: \`WEBHOOK_URLS\` = a local receiver answering 204 (in the bench process, on the load core), \`CONTACT_MASKING=mask\`, the whole server (its webhook sender thread included) on the server's core. Every message: "${f.text}". CPU per message counts the server process from the step's start until its webhooks arrived.`,
    table(['Figure', 'Features off', 'Features on', 'on/off', 'Target', 'Met'], rows),
    `Load average (1/5/15 min) at the end of each step: ${loads}.`,
  ].join('\n\n');
}

const pct = (p: Percentiles) => `${p.p50} / ${p.p99} / ${p.max}`;

function uploadRows(vs: UploadVariant[]): Cell[][] {
  const rows: Cell[][] = [];
  const first = vs[0]!;
  first.memory.forEach((m, i) => {
    const target = m.sizeMiB === 100 ? '< 20 MiB' : '';
    rows.push([`RSS growth, ${m.sizeMiB} MiB video, ${m.storage === 's3' ? 'S3 (s3rver)' : 'local folder'} (MiB)`, ...vs.map((v) => {
      const x = v.memory[i];
      return x ? `${x.growthMiB}${target ? (x.growthMiB < 20 ? ' (met)' : ' (**not met**)') : ''}` : '—';
    }), target]);
  });
  rows.push(['Photo upload answered in (ms)', ...vs.map((v) => `${v.photo.uploadMs} (${v.photo.photoMiB} MiB JPEG)`), '']);
  rows.push(['Chat ack p50 / p99 / max, no upload (ms)', ...vs.map((v) => `${pct(v.photo.quiet)} (loop p99 ${v.photo.quietLoop.p99}, max ${v.photo.quietLoop.max})`), '']);
  rows.push(['Chat ack p50 / p99 / max, during the photo upload (ms)', ...vs.map((v) => `${pct(v.photo.busy)} (loop p99 ${v.photo.busyLoop.p99}, max ${v.photo.busyLoop.max})`), '']);
  for (const [i, s] of first.chat.entries()) {
    const cell = (v: UploadVariant, f: (c: FeatureStep) => number, show: (c: FeatureStep) => string) => {
      const c = v.chat[i];
      if (!c) return '—';
      const r = v === first ? '' : ` (${fmt(ratio(f(c), f(s)))}×)`;
      return `${show(c)}${r}${warn(c)}`;
    };
    rows.push([`Chat @ ${s.step.rate}/s: delivered msgs/s`, ...vs.map((v) => cell(v, (c) => c.step.deliveredPerSec, (c) => `${c.step.deliveredPerSec}${passes(c.step) ? '' : ' (not sustained)'}`)), '']);
    rows.push([`Chat @ ${s.step.rate}/s: ack p99 / e2e p99 (ms)`, ...vs.map((v) => cell(v, (c) => c.step.ack.p99, (c) => `${c.step.ack.p99} / ${c.step.e2e.p99}`)), '']);
    rows.push([`Chat @ ${s.step.rate}/s: server CPU per message (ms)`, ...vs.map((v) => cell(v, (c) => c.cpuMsPerMsg, (c) => String(c.cpuMsPerMsg))), '']);
  }
  return rows;
}

export function uploadsSection(u: Uploads): string {
  if (u.variants.length === 0) return '';
  const loads = u.variants.flatMap((v) => v.chat.map((s) => `${v.label} @ ${s.step.rate}/s: ${s.load}`)).join('; ');
  return [
    '## Uploads (Parley on SQLite; each column a server started with these Node flags)',
    'RSS: VmRSS peak during the upload (sampled every 10 ms) minus VmRSS after a forced full GC before it. Chat during the photo: one client sends every 10 ms and awaits each ack. Chat at fixed rates: the open-loop load of the features phase (features off); ratios against the first column.',
    table(['Figure', ...u.variants.map((v) => v.label), 'Target'], uploadRows(u.variants)),
    `Load average at the end of each chat step: ${loads}.`,
  ].join('\n\n');
}
