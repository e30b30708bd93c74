import { sql, type Kysely, type Selectable } from 'kysely';
import type { AttachmentRecord, AttachmentRepository } from './chat-store.js';
import type { AttachmentsTable, Database } from './schema.js';

function toRecord(row: Selectable<AttachmentsTable>): AttachmentRecord {
  return {
    id: row.id,
    namespace: row.namespace,
    ownerId: row.owner_id,
    kind: row.kind,
    mime: row.mime,
    size: Number(row.size),
    width: row.width,
    height: row.height,
    storageKey: row.storage_key,
    thumbnailKey: row.thumbnail_key,
    thumbnailSize: row.thumbnail_size === null ? null : Number(row.thumbnail_size),
    baseUrl: row.base_url,
    status: row.status,
    messageId: row.message_id,
    createdAt: row.created_at,
  };
}

// Both SQLite and PostgreSQL cap bound parameters per statement.
const CHUNK = 500;
const STALE_CLAIM_MS = 24 * 3600_000;

export class KyselyAttachments implements AttachmentRepository {
  constructor(private readonly db: Kysely<Database>) {}

  async insert(r: AttachmentRecord): Promise<void> {
    await this.db
      .insertInto('attachments')
      .values({
        id: r.id,
        namespace: r.namespace,
        owner_id: r.ownerId,
        kind: r.kind,
        mime: r.mime,
        size: r.size,
        width: r.width,
        height: r.height,
        storage_key: r.storageKey,
        thumbnail_key: r.thumbnailKey,
        thumbnail_size: r.thumbnailSize,
        base_url: r.baseUrl,
        status: r.status,
        message_id: r.messageId,
        created_at: r.createdAt,
      })
      .execute();
  }

  async markReady(id: string, ready: Pick<AttachmentRecord, 'mime' | 'size' | 'width' | 'height' | 'thumbnailKey' | 'thumbnailSize'>) {
    await this.db
      .updateTable('attachments')
      .set({ status: 'ready', mime: ready.mime, size: ready.size, width: ready.width, height: ready.height, thumbnail_key: ready.thumbnailKey, thumbnail_size: ready.thumbnailSize })
      .where('id', '=', id)
      .execute();
  }

  async find(id: string): Promise<AttachmentRecord | undefined> {
    const row = await this.db.selectFrom('attachments').selectAll().where('id', '=', id).executeTakeFirst();
    return row && toRecord(row);
  }

  async claim(id: string, claim: string): Promise<boolean> {
    const result = await this.db
      .updateTable('attachments')
      .set({ message_id: claim })
      .where('id', '=', id)
      .where('status', '=', 'ready')
      .where('message_id', 'is', null)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) > 0;
  }

  async bind(id: string, claim: string, messageId: string): Promise<void> {
    await this.db.updateTable('attachments').set({ message_id: messageId }).where('id', '=', id).where('message_id', '=', claim).execute();
  }

  async release(id: string, claim: string): Promise<void> {
    await this.db.updateTable('attachments').set({ message_id: null }).where('id', '=', id).where('message_id', '=', claim).execute();
  }

  async byMessages(messageIds: readonly string[]): Promise<AttachmentRecord[]> {
    const found: AttachmentRecord[] = [];
    for (let i = 0; i < messageIds.length; i += CHUNK) {
      const ids = messageIds.slice(i, i + CHUNK);
      const rows = await this.db
        .selectFrom('attachments as a')
        .selectAll('a')
        .where((eb) =>
          eb.or([
            eb('a.message_id', 'in', ids),
            eb('a.id', 'in', eb.selectFrom('messages as m').select(sql<string>`m.attachment_id`.as('attachment_id')).where('m.id', 'in', ids)),
          ]),
        )
        .execute();
      found.push(...rows.map(toRecord));
    }
    return [...new Map(found.map((r) => [r.id, r])).values()];
  }

  async byOwner(namespace: string, ownerId: string): Promise<AttachmentRecord[]> {
    const rows = await this.db.selectFrom('attachments').selectAll().where('namespace', '=', namespace).where('owner_id', '=', ownerId).execute();
    return rows.map(toRecord);
  }

  async orphans(cutoff: string, limit: number): Promise<AttachmentRecord[]> {
    // A claim is a send in flight: spared for another day, after which it is one that crashed.
    const staleClaims = new Date(Date.parse(cutoff) - STALE_CLAIM_MS).toISOString();
    const rows = await this.db
      .selectFrom('attachments as a')
      .selectAll('a')
      .where((eb) =>
        eb.not(
          eb.exists(eb.selectFrom('messages as m').select('m.id').whereRef('m.attachment_id', '=', 'a.id').where('m.deleted_at', 'is', null)),
        ),
      )
      .where((eb) =>
        eb.or([
          eb.and([
            eb('a.created_at', '<', cutoff),
            eb.or([eb('a.message_id', 'is', null), eb('a.message_id', 'not like', 'claim:%'), eb('a.created_at', '<', staleClaims)]),
          ]),
          // A deleted message's file whose removal failed at delete time: at once, whatever its age.
          eb.exists(eb.selectFrom('messages as d').select('d.id').whereRef('d.id', '=', 'a.message_id').where('d.deleted_at', 'is not', null)),
        ]),
      )
      .orderBy('a.created_at')
      .limit(limit)
      .execute();
    return rows.map(toRecord);
  }

  async delete(ids: readonly string[]): Promise<void> {
    for (let i = 0; i < ids.length; i += CHUNK) {
      await this.db.deleteFrom('attachments').where('id', 'in', ids.slice(i, i + CHUNK)).execute();
    }
  }
}
