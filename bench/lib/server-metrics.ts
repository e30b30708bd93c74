/** Parley's own view of a load step, from the difference of two `GET /metrics` scrapes. */
export interface StoreStats {
  batches: number;
  messagesStored: number;
  /** Mean batch size and mean batch write time (ms). */
  meanBatch: number;
  meanStoreMs: number;
  /** Upper bound (ms) of the histogram bucket holding the 99th percentile of batch write times. */
  p99StoreMsBound: number;
  /** SQLite writes that waited for another connection's lock, and their mean wait (ms). */
  lockWaits: number;
  meanLockWaitMs: number;
}

type Snapshot = Map<string, number>;

/** Scrapes the Prometheus text; undefined if the server has no /metrics (B1). */
export async function scrape(url: string): Promise<Snapshot | undefined> {
  const res = await fetch(`${url}/metrics`).catch(() => undefined);
  if (!res || res.status !== 200) return undefined;
  const out: Snapshot = new Map();
  for (const line of (await res.text()).split('\n')) {
    if (!/^parley_(store_seconds|store_lock_wait_seconds_(count|sum)|messages_stored_total)/.test(line)) continue;
    const space = line.lastIndexOf(' ');
    out.set(line.slice(0, space), Number(line.slice(space + 1)));
  }
  return out;
}

export function storeStats(before: Snapshot | undefined, after: Snapshot | undefined): StoreStats | undefined {
  if (!before || !after) return undefined;
  const d = (key: string) => (after.get(key) ?? 0) - (before.get(key) ?? 0);
  const batches = d('parley_store_seconds_count');
  const messagesStored = d('parley_messages_stored_total');
  const buckets = [...after.keys()]
    .map((k) => ({ k, le: /le="([^"]+)"/.exec(k)?.[1] }))
    .filter((b): b is { k: string; le: string } => b.le !== undefined && b.k.startsWith('parley_store_seconds_bucket'))
    .map((b) => ({ le: b.le === '+Inf' ? Infinity : Number(b.le), n: d(b.k) }))
    .sort((a, b) => a.le - b.le);
  const lockWaits = d('parley_store_lock_wait_seconds_count');
  const p99 = buckets.find((b) => b.n >= batches * 0.99)?.le ?? Infinity;
  return {
    batches,
    messagesStored,
    meanBatch: batches ? Math.round((10 * messagesStored) / batches) / 10 : 0,
    meanStoreMs: batches ? Math.round((1e4 * d('parley_store_seconds_sum')) / batches) / 10 : 0,
    p99StoreMsBound: p99 === Infinity ? -1 : p99 * 1000,
    lockWaits,
    meanLockWaitMs: lockWaits ? Math.round((1e5 * d('parley_store_lock_wait_seconds_sum')) / lockWaits) / 100 : 0,
  };
}
