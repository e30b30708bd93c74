import type { Throughput } from '../phases/throughput.js';
import type { Step } from '../phases/traffic.js';
import type { HttpLatency } from './http-load.js';
import { featuresSection, uploadsSection } from './report-part2.js';
import { nodesSection } from './report-nodes.js';
import type { Results, TargetResult } from './results.js';

type Row = [figure: string, b1: string, parley: string, ratio: string, pg: string, target: string, met: string];

const kib = (b: number) => (b / 1024).toFixed(1);
const ratio = (a: number | undefined, b: number | undefined) => (a === undefined || b === undefined || b === 0 ? '—' : (a / b).toFixed(2));
const trio = (s: Step | undefined, k: 'e2e' | 'ack') => (s ? `${s[k].p50} / ${s[k].p99} / ${s[k].p999}` : '—');
const yes = (ok: boolean | undefined) => (ok === undefined ? 'n/a' : ok ? 'yes' : '**no**');
const flagged = (s: Step | undefined) => (s && s.flags.length ? ` ⚠${s.flags.join(',')}` : '');

function atRate(t: TargetResult | undefined, rate: number): Step | undefined {
  return t?.latency.find((s) => s.rate === rate);
}

/** A throughput figure, marked as a lower bound when the search stopped before the server failed. */
export function sustained(t: Throughput): string {
  const bound = t.boundBy === 'generator' ? ' (≥, generator-bound)' : t.boundBy === 'steps' ? ' (≥, last step)' : '';
  return `${t.sustained}${bound}`;
}

function tput(t: TargetResult | undefined): string {
  return t ? sustained(t.throughput) : '—';
}

function mainRows(r: Results): Row[] {
  const b1 = r.targets['b1'];
  const p = r.targets['parley-sqlite'];
  const pg = r.targets['parley-pg'];
  const rows: Row[] = [];
  const idleRatio = (k: 'rssPerConn' | 'heapPerConn') => (b1 && p ? p.idle[k] / Math.max(1, b1.idle[k]) : undefined);
  const ri = idleRatio('rssPerConn');
  rows.push(['Idle RSS per connection (KiB)', b1 ? kib(b1.idle.rssPerConn) : '—', p ? kib(p.idle.rssPerConn) : '—', ri?.toFixed(2) ?? '—', pg ? kib(pg.idle.rssPerConn) : '', '≤ 1.3× B1', yes(ri === undefined ? undefined : ri <= 1.3)]);
  const hi = idleRatio('heapPerConn');
  rows.push(['Idle heap per connection (KiB)', b1 ? kib(b1.idle.heapPerConn) : '—', p ? kib(p.idle.heapPerConn) : '—', hi?.toFixed(2) ?? '—', pg ? kib(pg.idle.heapPerConn) : '', '≤ 1.3× B1', yes(hi === undefined ? undefined : hi <= 1.3)]);
  const held = (t?: TargetResult) => (t ? `${t.idle.maxConnections}${t.idle.failed ? ` (${t.idle.failed} failed)` : ''}` : '—');
  const target15 = r.meta.mode === 'full' ? yes(p ? p.idle.maxConnections >= 15000 && p.idle.failed === 0 : undefined) : 'n/a (full mode)';
  rows.push(['Idle connections held', held(b1), held(p), '—', pg ? held(pg) : '', '15,000', target15]);
  const tr = b1 && p ? p.throughput.sustained / Math.max(1, b1.throughput.sustained) : undefined;
  rows.push(['Throughput, delivered msgs/s (p99 ≤ 100 ms, no loss)', tput(b1), tput(p), ratio(p?.throughput.sustained, b1?.throughput.sustained), pg ? tput(pg) : '', '≥ 0.8× B1', yes(tr === undefined ? undefined : tr >= 0.8)]);
  for (const rate of (b1 ?? p ?? pg)?.latency.map((s) => s.rate) ?? []) {
    const [a, b, c] = [atRate(b1, rate), atRate(p, rate), atRate(pg, rate)];
    rows.push([`e2e p50 / p99 / p99.9 @ ${rate}/s (ms)`, trio(a, 'e2e') + flagged(a), trio(b, 'e2e') + flagged(b), ratio(b?.e2e.p99, a?.e2e.p99), c ? trio(c, 'e2e') : '', '', '']);
    const ackTarget = rate === 1000 ? 'Parley p99 ≤ 10 ms' : '';
    const ackMet = rate === 1000 ? yes(b ? b.ack.p99 <= 10 : undefined) : '';
    rows.push([`ack p50 / p99 / p99.9 @ ${rate}/s (ms)`, trio(a, 'ack'), trio(b, 'ack'), ratio(b?.ack.p99, a?.ack.p99), c ? trio(c, 'ack') : '', ackTarget, ackMet]);
  }
  const [hb, hp, hg] = [b1?.halfB1, p?.halfB1, pg?.halfB1];
  const hr = hb && hp ? hp.e2e.p99 / Math.max(0.001, hb.e2e.p99) : undefined;
  rows.push([`e2e p50 / p99 / p99.9 @ half B1 saturation, ${hb?.rate ?? '?'}/s (ms)`, trio(hb, 'e2e') + flagged(hb), trio(hp, 'e2e') + flagged(hp), ratio(hp?.e2e.p99, hb?.e2e.p99), hg ? trio(hg, 'e2e') : '', 'p99 ≤ 1.5× B1', yes(hr === undefined ? undefined : hr <= 1.5)]);
  return rows;
}

const lat = (h: HttpLatency | undefined) =>
  h ? `${h.p50} / ${h.p99} / ${h.p999} (${h.rps} req/s, server CPU ${h.serverCpu ?? '?'}${h.non2xx || h.errors ? `, ${h.non2xx + h.errors} failed` : ''})${(h.foreign ?? 0) > 0.25 ? ' ⚠foreign-load' : ''}` : '—';

function parleyRows(r: Results): [string, string, string, string][] {
  const rows: [string, string, string, string][] = [];
  for (const b of r.b2 ?? []) rows.push([`B2 storage ceiling, SQLite WAL NORMAL, batch ${b.batchSize}: rows/s (one commit p50 / p99 / max ms)`, `${b.rowsPerSec} (${b.commit.p50} / ${b.commit.p99} / ${b.commit.max})`, '', '']);
  const p = r.targets['parley-sqlite'];
  const b2 = r.b2?.[0];
  if (p && b2) rows.push(['Parley sustained throughput as a share of the B2 ceiling (batch 256)', `${((100 * p.throughput.sustained) / b2.rowsPerSec).toFixed(1)} %`, '', '']);
  const h = r.history;
  if (h) {
    rows.push([`Seeding ${h.seed.messages} messages / ${h.seed.rooms} rooms (rows/s)`, String(h.seed.rowsPerSec), '', '']);
    rows.push(['History page 1, ordinary rooms: p50 / p99 / p99.9 ms', lat(h.page1), 'p99 ≤ 5 ms', yes(h.page1.p99 <= 5)]);
    rows.push([`History page 1, big room (${h.seed.bigTotal} msgs)`, lat(h.page1Big), 'p99 ≤ 5 ms', yes(h.page1Big.p99 <= 5)]);
    rows.push([`History deep page ${h.deepPage}, big room`, lat(h.deep), 'p99 ≤ 20 ms', yes(h.deep.p99 <= 20)]);
    rows.push(['History cursor page (before=), big room', lat(h.cursor), 'p99 ≤ 5 ms', yes(h.cursor.p99 <= 5)]);
  }
  const d = r.durability;
  if (d) {
    rows.push([`SIGKILL mid-run: acked messages lost (of ${d.ackedBeforeKill} acked, ${d.sent} sent)`, String(d.ackedLost), '0', yes(d.ackedLost === 0)]);
    rows.push(['SIGKILL mid-run: duplicates after resending all (same clientMsgId)', `${d.duplicates} (missing ${d.missingAfterResend})`, '0', yes(d.duplicates === 0 && d.missingAfterResend === 0)]);
    rows.push(['Restart after SIGKILL until /readyz (ms)', String(d.restartMs), '', '']);
  }
  return rows;
}

function table(head: string[], rows: string[][]): string {
  const line = (cells: string[]) => `| ${cells.map((c) => c.replaceAll('|', '\\|')).join(' | ')} |`;
  return [line(head), line(head.map(() => '---')), ...rows.map(line)].join('\n');
}

function stepsSection(r: Results): string {
  const out: string[] = [];
  for (const t of Object.values(r.targets)) {
    out.push(`**${t.name}** throughput steps (offered → delivered/s, e2e p99 ms, lost, server CPU cores (server event-loop delay), generator CPU / event-loop p99 ms, other processes' CPU, hypervisor steal per core):`);
    for (const s of t.throughput.steps) {
      const store = s.store ? `, store batches ${s.store.batches} × ${s.store.meanBatch} msgs, mean ${s.store.meanStoreMs} ms, p99 ≤ ${s.store.p99StoreMsBound} ms` : '';
      out.push(`- ${s.rate}${s.secondRun ? ' (again)' : ''} → ${s.deliveredPerSec}, p99 ${s.e2e.p99}, lost ${s.lost}, srv ${s.cpu.server} (loop delay p99 ${s.serverEld?.p99 ?? '?'}, max ${s.serverEld?.max ?? '?'} ms), gen ${s.genCpu} / ${s.genEldP99}, other ${s.cpu.foreign}, steal ${s.cpu.stealMs?.join('/') ?? '?'} ms${store}${s.flags.length ? ` ⚠ ${s.flags.join(', ')}` : ''}`);
    }
  }
  return out.join('\n');
}

/** The Markdown report (also what the harness prints). */
export function renderMarkdown(r: Results): string {
  const m = r.meta.machine;
  const hasPg = r.targets['parley-pg'] !== undefined;
  const mainHead = ['Figure', 'B1 bare relay', 'Parley (SQLite)', 'Parley/B1', ...(hasPg ? ['Parley (PostgreSQL)'] : []), 'Target', 'Met'];
  const main = mainRows(r).map((row) => (hasPg ? row : row.filter((_, i) => i !== 4)));
  const parts = [
    `# Parley bench — ${r.meta.mode} run, ${r.meta.startedAt}`,
    `Machine: ${m.nproc} cores (${m.cpu}), ${m.memGiB} GiB, Node ${m.node}, ${m.kernel}, fd limit ${m.fdLimit}. Commit ${r.meta.commit}. Took ${r.meta.durationS} s.`,
    'Servers pinned to core 0, load generator to core 1; open loop, latency from the scheduled send time.',
  ];
  if (Object.keys(r.targets).length) parts.push(table(mainHead, main));
  const only = parleyRows(r);
  if (only.length) parts.push(table(['Parley-only figure', 'Value', 'Target', 'Met'], only));
  if (r.features) parts.push(featuresSection(r.features));
  if (r.uploads) parts.push(uploadsSection(r.uploads));
  if (r.nodes) parts.push(nodesSection(r.nodes));
  if (Object.keys(r.targets).length) parts.push(stepsSection(r));
  for (const p of [r.profile, r.profileHistory]) {
    if (!p) continue;
    const frames = p.frames.map((f, i) => `${i + 1}. ${f.percent}% ${f.selfMs} ms \`${f.frame}\``).join('\n');
    const groups = p.groups.map((g) => `${g.frame} ${g.percent}%`).join(', ');
    parts.push(`CPU profile, ${p.what}: ${p.file} (${p.totalMs} ms sampled, ${p.busyMs} ms busy). Top self time, % of busy:\n\n${frames}\n\nBy origin: ${groups}`);
  }
  if (r.meta.notes.length) parts.push(`Notes:\n${r.meta.notes.map((n) => `- ${n}`).join('\n')}`);
  if (r.errors.length) parts.push(`Errors:\n${r.errors.map((e) => `- ${e}`).join('\n')}`);
  return parts.join('\n\n') + '\n';
}
