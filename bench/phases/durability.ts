import { join } from 'node:path';
import SQLite from 'better-sqlite3';
import type { Generator } from '../lib/gen-client.js';
import type { Mode } from '../lib/options.js';
import { parleySpec } from '../lib/parley.js';
import { startServer, type Server } from '../lib/server.js';

export interface Durability {
  sent: number;
  ackedBeforeKill: number;
  /** Acknowledged before the SIGKILL but missing after the restart: must be 0. */
  ackedLost: number;
  /** Sent, never acknowledged, yet stored (fine: the ack was lost with the process). */
  unackedStored: number;
  /** After resending every message with its clientMsgId: rows beyond one per clientMsgId (must be 0). */
  duplicates: number;
  /** After the resend: clientMsgIds with no row (must be 0). */
  missingAfterResend: number;
  restartMs: number;
}

const ROOMS = 20;

function storedCounts(dbFile: string, tag: string): Map<number, number> {
  const db = new SQLite(dbFile, { readonly: true, fileMustExist: true });
  try {
    const rows = db
      .prepare('select client_msg_id as id, count(*) as n from messages where client_msg_id like ? group by client_msg_id')
      .all(`${tag}.%`) as { id: string; n: number }[];
    return new Map(rows.map((r) => [Number(r.id.slice(tag.length + 1)), r.n]));
  } finally {
    db.close();
  }
}

/**
 * Kills Parley (SIGKILL) in the middle of a message run, restarts it on the same SQLite file, and
 * checks that every acknowledged message is there; then resends everything (same clientMsgIds)
 * and checks that each message is stored exactly once.
 */
export async function durability(mode: Mode, dir: string, configFile: string, gen: Generator, core: number, log: (l: string) => void): Promise<Durability> {
  const file = join(dir, 'durability.db');
  const spec = parleySpec('parley-durability', `sqlite:${file}`, configFile);
  const tag = `dur${Date.now().toString(36)}`;
  let server: Server = await startServer(spec, core);
  await gen.setup(`${server.url}/customer`, ROOMS, 'dur');
  const run = gen.run({ rate: mode.durabilityRate, durationMs: mode.durabilityMs, drainMs: 1000, tag, keepAcked: true });
  const victim = server;
  const killer = setTimeout(() => victim.child.kill('SIGKILL'), mode.durabilityMs / 2);
  const before = await run.finally(() => clearTimeout(killer));
  await victim.stop('SIGKILL');
  await gen.close();
  const t = performance.now();
  server = await startServer(spec, core);
  const restartMs = Math.round(performance.now() - t);
  try {
    const stored = storedCounts(file, tag);
    const acked = before.ackedSeqs ?? [];
    const ackedSet = new Set(acked);
    const ackedLost = acked.filter((s) => !stored.has(s)).length;
    const unackedStored = [...stored.keys()].filter((s) => !ackedSet.has(s)).length;
    log(`    killed after ${before.acked} acks of ${before.sent} sent; restart ${restartMs} ms; acked lost ${ackedLost}`);
    await gen.setup(`${server.url}/customer`, ROOMS, 'dur');
    const seqs = Array.from({ length: before.sent }, (_, i) => i);
    await gen.run({ rate: mode.durabilityRate, durationMs: 0, drainMs: 1000, tag, seqs });
    await gen.close();
    const after = storedCounts(file, tag);
    const duplicates = [...after.values()].reduce((a, n) => a + n - 1, 0);
    const missingAfterResend = seqs.filter((s) => !after.has(s)).length;
    return { sent: before.sent, ackedBeforeKill: before.acked, ackedLost, unackedStored, duplicates, missingAfterResend, restartMs };
  } finally {
    await server.stop();
  }
}
