import { randomBytes } from 'node:crypto';
import { Adapter, type BroadcastOptions, type Room, type Session } from 'socket.io-adapter';

const EVENT_PACKET = 2;
const PRUNE_EVERY_MS = 10_000;

type SessionToPersist = Omit<Session, 'missedPackets'>;

interface StoredPacket {
  /** Consecutive per adapter: the offset a client sends back names its packet's index directly. */
  seq: number;
  rooms: Room[];
  except: Room[] | null;
  /** The event's arguments (offset included) as UTF-8 JSON, outside the JS heap. */
  args: Buffer;
  /** ms since the adapter started (a small integer, not a boxed number). */
  at: number;
}

/**
 * Single-node connection state recovery, as Socket.IO's SessionAwareAdapter does it, but storing each
 * missed-packet candidate compactly. The stock adapter keeps the live objects of every broadcast (the
 * message, its argument array, two Sets of rooms) for the whole recovery window: at 1,500 msgs/s and a
 * 2-minute window that is ~180k packets and ~15 heap objects each, and the full GCs over that heap
 * stalled the event loop for 300–600 ms in the benchmark. Here a packet is a record, its rooms and a
 * Buffer (`JSON.stringify` alone returns a tree of string pieces, several heap objects per packet).
 * Every server → client event Parley broadcasts is plain JSON (see the typed event maps), so
 * `JSON.parse(JSON.stringify(args))` gives the client the same arguments.
 * With Redis, the streams adapter replaces this one and keeps packets in Redis instead.
 */
export class CompactSessionAdapter extends Adapter {
  private readonly sessions = new Map<string, SessionToPersist & { disconnectedAt: number }>();
  private packets: StoredPacket[] = [];
  private readonly windowMs: number;
  private readonly idPrefix = randomBytes(4).toString('hex');
  private nextSeq = 0;
  private readonly startedAt = Date.now();
  private readonly pruner: NodeJS.Timeout;

  constructor(nsp: { server: { opts: { connectionStateRecovery: { maxDisconnectionDuration: number } } } }) {
    super(nsp);
    this.windowMs = nsp.server.opts.connectionStateRecovery.maxDisconnectionDuration;
    this.pruner = setInterval(() => this.prune(), Math.min(this.windowMs, PRUNE_EVERY_MS));
    this.pruner.unref();
  }

  get retainedPackets(): number {
    return this.packets.length;
  }

  override persistSession(session: SessionToPersist): void {
    this.sessions.set(session.pid, { ...session, disconnectedAt: Date.now() });
  }

  override restoreSession(pid: string, offset: string): Promise<Session> {
    const session = this.sessions.get(pid);
    this.sessions.delete(pid);
    const fresh = session !== undefined && session.disconnectedAt + this.windowMs >= Date.now();
    const index = fresh ? this.indexOf(offset) : -1;
    // Socket.IO reads null as "not recoverable": the client gets a new session (and syncs).
    if (!session || index === -1) return Promise.resolve(null as unknown as Session);
    const missedPackets: unknown[][] = [];
    for (let i = index + 1; i < this.packets.length; i++) {
      const packet = this.packets[i]!;
      if (reaches(packet, session.rooms)) missedPackets.push(JSON.parse(packet.args.toString()) as unknown[]);
    }
    const { disconnectedAt: _, ...rest } = session;
    return Promise.resolve({ ...rest, missedPackets });
  }

  override broadcast(packet: { type: number; id?: number; data: unknown[] }, opts: BroadcastOptions): void {
    // Packets with an ack id or the volatile flag are not replayable (the same rule as Socket.IO's).
    if (packet.type === EVENT_PACKET && packet.id === undefined && opts.flags?.volatile === undefined) {
      const seq = this.nextSeq++;
      // The offset goes last in the arguments: the client keeps it and sends it back on reconnect.
      packet.data.push(`${this.idPrefix}${seq.toString(36)}`);
      this.packets.push({
        seq,
        rooms: [...opts.rooms],
        except: opts.except && opts.except.size > 0 ? [...opts.except] : null,
        args: Buffer.from(JSON.stringify(packet.data)),
        at: Date.now() - this.startedAt,
      });
    }
    super.broadcast(packet, opts);
  }

  override close(): void {
    clearInterval(this.pruner);
    this.packets = [];
    this.sessions.clear();
  }

  /** Index of the packet an offset names; -1 when it is not ours, or already pruned. */
  private indexOf(offset: string): number {
    if (!offset.startsWith(this.idPrefix) || this.packets.length === 0) return -1;
    const index = Number.parseInt(offset.slice(this.idPrefix.length), 36) - this.packets[0]!.seq;
    return Number.isInteger(index) && index >= 0 && index < this.packets.length ? index : -1;
  }

  private prune(): void {
    const now = Date.now();
    for (const [pid, session] of this.sessions) if (session.disconnectedAt < now - this.windowMs) this.sessions.delete(pid);
    const threshold = now - this.startedAt - this.windowMs;
    let expired = 0;
    while (expired < this.packets.length && this.packets[expired]!.at < threshold) expired++;
    if (expired > 0) this.packets.splice(0, expired);
  }
}

function reaches(packet: StoredPacket, sessionRooms: Room[]): boolean {
  const included = packet.rooms.length === 0 || sessionRooms.some((room) => packet.rooms.includes(room));
  return included && (packet.except === null || sessionRooms.every((room) => !packet.except!.includes(room)));
}
