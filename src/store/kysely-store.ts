import { sql, type Kysely } from 'kysely';
import type { AttachmentRepository, ChatStore, LastSeenRepository, MessageRepository, ReadRepository, RoomRepository } from './chat-store.js';
import { KyselyAttachments } from './kysely-attachments.js';
import { KyselyMessages } from './kysely-messages.js';
import { KyselyLastSeen, KyselyReads } from './kysely-reads.js';
import { KyselyRooms } from './kysely-rooms.js';
import { moderationStore, type ModerationStore, type SendPolicyRepository } from './kysely-moderation.js';
import type { Database } from './schema.js';
import { KyselyPlatform } from './kysely-platform.js';
import type { DeliveryRepository, PlatformRepository } from './platform-repository.js';
import { noWriteHooks, type WriteHooks } from './write-hooks.js';

/** The repositories over any Kysely dialect: the SQL is the same for SQLite and PostgreSQL. */
export class KyselyStore implements ChatStore {
  readonly rooms: RoomRepository;
  readonly messages: MessageRepository;
  readonly reads: ReadRepository;
  readonly lastSeen: LastSeenRepository;
  readonly moderation: ModerationStore;
  readonly platform: PlatformRepository;
  readonly attachments: AttachmentRepository;

  constructor(
    readonly kind: 'sqlite' | 'postgres',
    private readonly db: Kysely<Database>,
    /** A dialect's faster repositories for the message path, where it has them. */
    fast: { messages?: MessageRepository; sendPolicy?: SendPolicyRepository; deliveries?: DeliveryRepository } = {},
    private readonly afterClose: () => Promise<void> = async () => {},
    readonly hooks: WriteHooks = noWriteHooks,
  ) {
    this.rooms = new KyselyRooms(db, hooks);
    this.messages = fast.messages ?? new KyselyMessages(db, hooks);
    this.platform = new KyselyPlatform(db, hooks, kind, fast.deliveries);
    this.reads = new KyselyReads(db);
    this.lastSeen = new KyselyLastSeen(db);
    this.moderation = moderationStore(db, kind, hooks, fast.sendPolicy);
    this.attachments = new KyselyAttachments(db);
  }

  transaction<T>(work: (trx: Kysely<Database>) => Promise<T>): Promise<T> {
    return this.db.transaction().execute(work);
  }

  async ping(): Promise<void> {
    await sql`select 1`.execute(this.db);
  }

  async close(): Promise<void> {
    await this.db.destroy();
    await this.afterClose();
  }
}
