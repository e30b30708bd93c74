import { randomBytes } from 'node:crypto';
import { Adapter, type BroadcastOptions, type Room, type Session } from 'socket.io-adapter';

const EVENT_PACKET = 2;
const PRUNE_EVERY_MS = 10_000;

type SessionToPersist = Omit<Session, 'missedPackets'>;

interface StoredPacket {
  id: string;
  rooms: Room[];
  except: Room[] | null;
  /** The event's arguments (offset included) as JSON: one flat string per packet. */
  json: string;
  emittedAt: number;
}

/**
 * Single-node connection state recovery, as Socket.IO's SessionAwareAdapter does it, but storing each
 * missed-packet candidate compactly. The stock adapter keeps the live objects of every broadcast (the
 * message, its argument array, two Sets of rooms) for the whole recovery window: at 1,500 msgs/s and a
 * 2-minute window that is ~180k packets and ~15 heap objects each, and the full GCs over that heap
 * stalled the event loop for 300–600 ms in the benchmark. Here a packet is one record and one string.
 * Every server → client event Parley broadcasts is plain JSON (see the typed event maps), so
 * `JSON.parse(JSON.stringify(args))` gives the client the same arguments.
 * With Redis, the streams adapter replaces this one and keeps packets in Redis instead.
 */
export class CompactSessionAdapter extends Adapter {
  private readonly sessions = new Map<string, SessionToPersist & { disconnectedAt: number }>();
  private packets: StoredPacket[] = [];
  private readonly windowMs: number;
  private readonly idPrefix = randomBytes(4).toString('hex');
  private counter = 0;
  private readonly pruner: NodeJS.Timeout;

  constructor(nsp: { server: { opts: { connectionStateRecovery: { maxDisconnectionDuration: number } } } }) {
    super(nsp);
    this.windowMs = nsp.server.opts.connectionStateRecovery.maxDisconnectionDuration;
    this.pruner = setInterval(() => this.prune(Date.now()), Math.min(this.windowMs, PRUNE_EVERY_MS));
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
    const index = fresh ? this.packets.findIndex((packet) => packet.id === offset) : -1;
    // Socket.IO reads null as "not recoverable": the client gets a new session (and syncs).
    if (!session || index === -1) return Promise.resolve(null as unknown as Session);
    const missedPackets: unknown[][] = [];
    for (let i = index + 1; i < this.packets.length; i++) {
      const packet = this.packets[i]!;
      if (reaches(packet, session.rooms)) missedPackets.push(JSON.parse(packet.json) as unknown[]);
    }
    const { disconnectedAt: _, ...rest } = session;
    return Promise.resolve({ ...rest, missedPackets });
  }

  override broadcast(packet: { type: number; id?: number; data: unknown[] }, opts: BroadcastOptions): void {
    // Packets with an ack id or the volatile flag are not replayable (the same rule as Socket.IO's).
    if (packet.type === EVENT_PACKET && packet.id === undefined && opts.flags?.volatile === undefined) {
      const id = `${this.idPrefix}${(this.counter++).toString(36)}`;
      // The offset goes last in the arguments: the client keeps it and sends it back on reconnect.
      packet.data.push(id);
      this.packets.push({
        id,
        rooms: [...opts.rooms],
        except: opts.except && opts.except.size > 0 ? [...opts.except] : null,
        json: JSON.stringify(packet.data),
        emittedAt: Date.now(),
      });
    }
    super.broadcast(packet, opts);
  }

  override close(): void {
    clearInterval(this.pruner);
    this.packets = [];
    this.sessions.clear();
  }

  private prune(now: number): void {
    const threshold = now - this.windowMs;
    for (const [pid, session] of this.sessions) if (session.disconnectedAt < threshold) this.sessions.delete(pid);
    let expired = 0;
    while (expired < this.packets.length && this.packets[expired]!.emittedAt < threshold) expired++;
    if (expired > 0) this.packets.splice(0, expired);
  }
}

function reaches(packet: StoredPacket, sessionRooms: Room[]): boolean {
  const included = packet.rooms.length === 0 || sessionRooms.some((room) => packet.rooms.includes(room));
  return included && (packet.except === null || sessionRooms.every((room) => !packet.except!.includes(room)));
}
