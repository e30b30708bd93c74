import type { Nodes, NodesRun } from '../phases/nodes.js';
import { sustained } from './report.js';

const fmt = (r: number | undefined) => (r === undefined || !Number.isFinite(r) ? '—' : r.toFixed(2));
const split = (r: NodesRun) => `${r.cpuSplit.nodes} / ${r.cpuSplit.postgres} / ${r.cpuSplit.redis}`;
const flags = (r: NodesRun) => (r.fixed.flags.length ? ` ⚠${r.fixed.flags.join(',')}` : '');

/** 1 node vs 2 nodes on PostgreSQL + Redis, on this machine's cores. */
export function nodesSection(n: Nodes): string {
  const [one, two] = [n.runs.find((r) => r.nodes === 1), n.runs.find((r) => r.nodes === 2)];
  const cell = (r: NodesRun | undefined, f: (r: NodesRun) => string) => (r ? f(r) : '—');
  const rows: string[][] = [
    ['Throughput, delivered msgs/s (p99 ≤ 100 ms, no loss)', cell(one, (r) => sustained(r.throughput)), cell(two, (r) => sustained(r.throughput)), fmt(two && one ? two.throughput.sustained / one.throughput.sustained : undefined)],
    [`e2e p50 / p99 @ ${one?.fixed.rate ?? two?.fixed.rate}/s (ms)`, cell(one, (r) => `${r.fixed.e2e.p50} / ${r.fixed.e2e.p99}${flags(r)}`), cell(two, (r) => `${r.fixed.e2e.p50} / ${r.fixed.e2e.p99}${flags(r)}`), fmt(two && one ? two.fixed.e2e.p99 / one.fixed.e2e.p99 : undefined)],
    ['CPU per message there, nodes + PostgreSQL + Redis (ms)', cell(one, (r) => String(r.cpuMsPerMsg)), cell(two, (r) => String(r.cpuMsPerMsg)), fmt(two && one ? two.cpuMsPerMsg / one.cpuMsPerMsg : undefined)],
    ['… of which nodes / PostgreSQL / Redis (ms)', cell(one, split), cell(two, split), ''],
  ];
  const line = (cells: string[]) => `| ${cells.join(' | ')} |`;
  const steps = n.runs
    .map((r) => `- ${r.nodes} node(s): ${r.throughput.steps.map((s) => `${s.rate} → ${s.deliveredPerSec}/s p99 ${s.e2e.p99} ms, cores ${s.cpu.server}${s.flags.length ? ` ⚠${s.flags.join(',')}` : ''}`).join('; ')}`)
    .join('\n');
  return [
    '## Nodes: 1 vs 2 Parley processes on PostgreSQL + Redis',
    `Placement: ${n.placement}. With 2 nodes every room's customer is on node 1 and its vendor on node 2: every message crosses nodes through Redis.`,
    [line(['Figure', '1 node', '2 nodes', '2/1']), line(['---', '---', '---', '---']), ...rows.map(line)].join('\n'),
    `Throughput steps (offered → delivered, e2e p99, cores of nodes + PostgreSQL + Redis):\n${steps}`,
  ].join('\n\n');
}
