/** A small message load between clients on different nodes, measured (rate, latency, delivery order). */
import type { TestClient } from './client.js';

export interface LoadOptions {
  roomToken: string;
  senders: TestClient[];
  /** Every socket that must receive every message; latency is measured on the last one. */
  receivers: TestClient[];
  perSender: number;
  /** Unacknowledged messages per sender at a time. */
  window: number;
}

export interface LoadStats {
  messages: number;
  seconds: number;
  p50: number;
  p99: number;
  /** Per receiver: deliveries whose _id sorts before the previous delivery's. */
  inversions: number[];
}

export async function crossNodeLoad(opts: LoadOptions): Promise<LoadStats> {
  const sentAt = new Map<string, number>();
  const latencies: number[] = [];
  const watched = opts.receivers.at(-1)!;
  const onMessage = (m: { clientMsgId?: string }) => {
    const at = m.clientMsgId && sentAt.get(m.clientMsgId);
    if (at) latencies.push(performance.now() - at);
  };
  watched.socket.on('message', onMessage);
  const before = opts.receivers.map((r) => r.all('message').length);
  const started = performance.now();
  const run = Math.random().toString(36).slice(2, 8); // clientMsgIds are unique per sender: never reuse one
  const sent = opts.senders.map((s, i) => sendMany(s, opts, `load-${run}-${i}`, sentAt));
  const ids = (await Promise.all(sent)).flat();
  await Promise.all(ids.flatMap((id) => opts.receivers.map((r) => r.waitFor('message', (m) => m._id === id, 30_000))));
  const seconds = (performance.now() - started) / 1000;
  watched.socket.off('message', onMessage);
  latencies.sort((a, b) => a - b);
  const pct = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))]!;
  const inversions = opts.receivers.map((r, i) => countInversions(r.all('message').slice(before[i]).map((m) => m._id)));
  return { messages: ids.length, seconds, p50: pct(0.5), p99: pct(0.99), inversions };
}

async function sendMany(from: TestClient, opts: LoadOptions, tag: string, sentAt: Map<string, number>): Promise<string[]> {
  const ids: string[] = [];
  for (let start = 0; start < opts.perSender; start += opts.window) {
    const batch = Array.from({ length: Math.min(opts.window, opts.perSender - start) }, (_, i) => {
      const clientMsgId = `${tag}-${start + i}`;
      sentAt.set(clientMsgId, performance.now());
      return from.request('message', { roomToken: opts.roomToken, message: `load ${clientMsgId}`, clientMsgId });
    });
    for (const ack of await Promise.all(batch)) {
      if (!ack.success) throw new Error(`load message refused: ${JSON.stringify(ack)}`);
      ids.push(ack.data.message._id);
    }
  }
  return ids;
}

function countInversions(ids: string[]): number {
  return ids.filter((id, i) => i > 0 && id < ids[i - 1]!).length;
}
