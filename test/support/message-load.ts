import type { TestClient } from './client.js';
import type { ServerProcess } from './server-process.js';
import { activeRoom } from './test-app.js';

export interface Sender {
  client: TestClient;
  userId: string;
  roomToken: string;
}

export interface Sent {
  clientMsgId: string;
  sender: string;
  roomToken: string;
  text: string;
  /** acked: success ack; refused: failure ack; lost: no ack (the connection went away first). */
  outcome: 'pending' | 'acked' | 'refused' | 'lost';
  messageId?: string;
  errorCode?: string;
}

const MAX_PER_LANE = 100_000;

/**
 * Steady message traffic: each sender keeps `lanes` sends in flight (one per lane), each with a unique
 * clientMsgId, and records what became of every send. A lane stops when the load is stopped or its socket
 * disconnects.
 */
export class MessageLoad {
  readonly sent = new Map<string, Sent>();
  private stopped = false;
  private acked = 0;
  private readonly thresholds: Array<{ count: number; resolve: () => void }> = [];
  private running: Promise<void> = Promise.resolve();

  constructor(
    private readonly senders: Sender[],
    private readonly lanes = 4,
  ) {}

  start(): this {
    const loops = this.senders.flatMap((sender) => Array.from({ length: this.lanes }, (_, lane) => this.lane(sender, lane)));
    this.running = Promise.all(loops).then(() => {});
    return this;
  }

  /** Resolves once at least `count` sends have a success ack. */
  whenAcked(count: number): Promise<void> {
    if (this.acked >= count) return Promise.resolve();
    return new Promise((resolve) => this.thresholds.push({ count, resolve }));
  }

  stop(): Promise<void> {
    this.stopped = true;
    return this.running;
  }

  get ackedCount(): number {
    return this.acked;
  }

  with(outcome: Sent['outcome']): Sent[] {
    return [...this.sent.values()].filter((s) => s.outcome === outcome);
  }

  private async lane(sender: Sender, lane: number): Promise<void> {
    for (let i = 0; i < MAX_PER_LANE && !this.stopped && sender.client.socket.connected; i++) {
      const sent: Sent = {
        clientMsgId: `${sender.userId}-${lane}-${i}`,
        sender: sender.userId,
        roomToken: sender.roomToken,
        text: `from ${sender.userId} lane ${lane} #${i}`,
        outcome: 'pending',
      };
      this.sent.set(sent.clientMsgId, sent);
      try {
        const ack = await sender.client.request('message', { roomToken: sent.roomToken, message: sent.text, clientMsgId: sent.clientMsgId });
        if (ack.success) this.onAck(sent, ack.data.message._id);
        else Object.assign(sent, { outcome: 'refused', errorCode: ack.error.code });
      } catch {
        sent.outcome = 'lost';
        return;
      }
    }
  }

  private onAck(sent: Sent, messageId: string): void {
    Object.assign(sent, { outcome: 'acked', messageId });
    this.acked += 1;
    for (const t of this.thresholds.filter((t) => this.acked >= t.count)) {
      this.thresholds.splice(this.thresholds.indexOf(t), 1);
      t.resolve();
    }
  }
}

/** Every message of a room, oldest first, through the `sync` catch-up event (bounded pages). */
export async function readRoom(client: TestClient, roomToken: string): Promise<Array<{ _id: string; clientMsgId?: string; message: string }>> {
  const all: Array<{ _id: string; clientMsgId?: string; message: string }> = [];
  for (let page = 0; page < 10_000; page++) {
    const since = all.at(-1)?._id;
    const res = await client.request('sync', { roomToken, ...(since ? { since } : {}) });
    if (!res.success) throw new Error(`sync failed: ${JSON.stringify(res)}`);
    all.push(...res.data.messages);
    if (!res.data.hasMore) return all;
  }
  throw new Error('sync did not end');
}

/** `pairs` customer/vendor pairs on the server, each with an active room; both members of each room send. */
export async function openRooms(server: ServerProcess, pairs: number): Promise<Sender[]> {
  const senders: Sender[] = [];
  for (let i = 0; i < pairs; i++) {
    const [c, v] = await Promise.all([server.connect(`c${i}`), server.connect(`v${i}`)]);
    await activeRoom(c, v, `c${i}`, `v${i}`, `room${i}`);
    senders.push({ client: c, userId: `c${i}`, roomToken: `room${i}` }, { client: v, userId: `v${i}`, roomToken: `room${i}` });
  }
  return senders;
}
