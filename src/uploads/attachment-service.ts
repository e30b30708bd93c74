import { randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream';
import { pipeline as pipelineAsync } from 'node:stream/promises';
import { createWriteStream } from 'node:fs';
import type { Logger } from 'pino';
import { RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import { budgetLimiter, type Bucket, type SharedBudgets } from '../limits/token-bucket-gate.js';
import { ParleyError, type Actor, type Attachment, type AttachmentKind, type MessageType } from '../protocol/index.js';
import type { Clock } from '../services/clock.js';
import type { AttachmentRecord, AttachmentRepository } from '../store/chat-store.js';
import { ByteLimit, readHead, withHead } from './byte-streams.js';
import { GcNudge } from './gc-nudge.js';
import { processImage } from './image-processor.js';
import { SNIFF_BYTES, sniff, type Sniffed } from './sniff.js';
import type { BlobStorage, ByteRange } from './storage.js';
import type { UploadMetrics } from './upload-metrics.js';

export interface AttachmentOptions {
  limits: Readonly<Record<AttachmentKind, number>>;
  rate: Bucket;
  /** Shared with the other nodes (Redis), so a user's upload budget holds cluster-wide. */
  budgets?: SharedBudgets | undefined;
  /** Where files being received or processed wait (the upload folder's .staging for local storage). */
  stagingPath: (suffix?: string) => string;
  metrics?: UploadMetrics | undefined;
}

export interface Uploader {
  namespace: string;
  userId: string;
}

/** Which bytes of an attachment: the file itself or its thumbnail. */
export type Variant = 'file' | 'thumbnail';

export interface Served {
  record: AttachmentRecord;
  mime: string;
  size: number;
  etag: string;
}

const KIND_LABEL: Record<AttachmentKind, string> = { image: 'An image', vdo: 'A video', audio: 'An audio file' };
export const THUMBNAIL_MIME = 'image/webp';

/** 144 random bits as 24 base64url characters: the id is the secret that lets anyone read the file. */
export function newAttachmentId(): string {
  return randomBytes(18).toString('base64url');
}

export function thumbnailKeyOf(id: string): string {
  return `${id}.thumb.webp`;
}

/** Uploads (SPEC §12): receive and check files, store them, serve them, tie them to messages, remove them. */
export class AttachmentService {
  private readonly rate: RateLimiterAbstract;

  constructor(
    private readonly repo: AttachmentRepository,
    private readonly storage: BlobStorage,
    private readonly clock: Clock,
    private readonly options: AttachmentOptions,
    private readonly log: Logger,
  ) {
    this.rate = budgetLimiter('upload', options.rate, options.budgets);
  }

  /** Spends one upload of the user's budget, or throws `rate_limited`. */
  async consumeRate(uploader: Uploader): Promise<void> {
    try {
      await this.rate.consume(`${uploader.namespace}\u0000${uploader.userId}`);
    } catch (err) {
      if (err instanceof RateLimiterRes) {
        throw new ParleyError('rate_limited', `Too many uploads; retry in ${Math.ceil(err.msBeforeNext / 1000)} s.`);
      }
      throw err;
    }
  }

  /**
   * Reads the file from `source`: the kind from its first bytes, then the bytes streamed into storage
   * with the kind's limit enforced as they arrive. Any failure leaves no file and no row.
   */
  async ingest(source: Readable, uploader: Uploader, baseUrl: string): Promise<Attachment> {
    const metrics = this.options.metrics;
    metrics?.inProgress.inc();
    try {
      const attachment = await this.receive(source, uploader, baseUrl);
      metrics?.uploads.inc({ result: 'created' });
      metrics?.bytes.inc({ kind: attachment.kind }, attachment.size);
      return attachment;
    } catch (err) {
      metrics?.uploads.inc({ result: err instanceof ParleyError ? err.code : 'failed' });
      throw err;
    } finally {
      metrics?.inProgress.dec();
    }
  }

  private async receive(source: Readable, uploader: Uploader, baseUrl: string): Promise<Attachment> {
    const { head, ended } = await readHead(source, SNIFF_BYTES);
    const sniffed = await sniff(head);
    if (!sniffed) {
      throw new ParleyError('unsupported_type', 'Only JPEG, PNG, WebP and GIF images, MP4, WebM and QuickTime videos, and MP3, Ogg, WAV, M4A/AAC and WebM audio are accepted.');
    }
    const limiter = new ByteLimit(this.options.limits[sniffed.kind], KIND_LABEL[sniffed.kind]);
    const body = pipeline(withHead(head, source, ended), limiter, new GcNudge(), () => {});
    const record = this.newRecord(uploader, sniffed, baseUrl);
    try {
      // The pending row first: should the process die mid-upload, the sweep finds what to remove.
      await this.repo.insert(record);
      const ready = record.kind === 'image' ? await this.storeImage(record, body) : await this.storeStream(record, body, limiter);
      await this.repo.markReady(record.id, ready);
      return toAttachment({ ...record, ...ready, status: 'ready' });
    } catch (err) {
      body.destroy();
      await this.discard(record);
      throw err;
    }
  }

  private newRecord(uploader: Uploader, sniffed: Sniffed, baseUrl: string): AttachmentRecord {
    const id = newAttachmentId();
    return {
      id,
      namespace: uploader.namespace,
      ownerId: uploader.userId,
      kind: sniffed.kind,
      mime: sniffed.mime,
      size: 0,
      width: null,
      height: null,
      storageKey: id,
      thumbnailKey: null,
      thumbnailSize: null,
      baseUrl,
      status: 'pending',
      messageId: null,
      createdAt: new Date(this.clock.now()).toISOString(),
    };
  }

  private async storeStream(record: AttachmentRecord, body: Readable, limiter: ByteLimit) {
    await this.storage.put(record.storageKey, body, record.mime);
    return { mime: record.mime, size: limiter.bytes, width: null, height: null, thumbnailKey: null, thumbnailSize: null };
  }

  /** Images are received into a staging file, cleaned and thumbnailed from it, then stored. */
  private async storeImage(record: AttachmentRecord, body: Readable) {
    const received = this.options.stagingPath();
    const cleaned = this.options.stagingPath('.out');
    const thumb = this.options.stagingPath('.thumb');
    try {
      await pipelineAsync(body, createWriteStream(received, { flags: 'wx' }));
      const image = await processImage(received, record.mime, cleaned, thumb);
      const thumbnailKey = thumbnailKeyOf(record.id);
      await this.storage.putFile(record.storageKey, cleaned, record.mime);
      await this.storage.putFile(thumbnailKey, thumb, THUMBNAIL_MIME);
      return { mime: record.mime, size: image.size, width: image.width, height: image.height, thumbnailKey, thumbnailSize: image.thumbnailSize };
    } finally {
      await Promise.all([received, cleaned, thumb].map((path) => rm(path, { force: true })));
    }
  }

  /** A ready attachment's bytes for GET, or `not_found`. */
  async describe(id: string, variant: Variant): Promise<Served> {
    const record = await this.repo.find(id);
    if (!record || record.status !== 'ready' || (variant === 'thumbnail' && !record.thumbnailKey)) {
      throw new ParleyError('not_found', 'No such upload.');
    }
    if (variant === 'thumbnail') return { record, mime: THUMBNAIL_MIME, size: record.thumbnailSize ?? 0, etag: `"${id}-thumbnail"` };
    return { record, mime: record.mime, size: record.size, etag: `"${id}"` };
  }

  /** The stored bytes (a range of them), or undefined when the object is gone. */
  read(served: Served, variant: Variant, range?: ByteRange): Promise<Readable | undefined> {
    const key = variant === 'thumbnail' ? served.record.thumbnailKey! : served.record.storageKey;
    return this.storage.get(key, range);
  }

  /**
   * Ties the sender's attachment to a new message (SPEC §12): the sender's own, in its namespace
   * (`forbidden`), of the message's kind (`invalid_payload`), not used by another message.
   */
  async claim(actor: Actor, attachmentId: string, type: MessageType, claim: string): Promise<Attachment> {
    const record = await this.repo.find(attachmentId);
    if (record && (record.ownerId !== actor.userId || record.namespace !== actor.namespace)) {
      throw new ParleyError('forbidden', 'attachmentId names an upload of another user or namespace.');
    }
    if (!record || record.status !== 'ready') throw new ParleyError('not_found', `No upload "${attachmentId}".`);
    if (record.kind !== type) {
      throw new ParleyError('invalid_payload', `attachmentId names a ${record.kind} upload; send it as type "${record.kind}".`);
    }
    if (!(await this.repo.claim(attachmentId, claim))) {
      throw new ParleyError('invalid_payload', 'This upload is already attached to another message; upload the file again.');
    }
    return toAttachment(record);
  }

  /** The message is stored: the attachment now belongs to it. */
  async bind(attachmentId: string, claim: string, messageId: string): Promise<void> {
    await this.repo.bind(attachmentId, claim, messageId);
  }

  /** Frees an attachment whose message was not stored after all. */
  async release(attachmentId: string, claim: string): Promise<void> {
    await this.repo.release(attachmentId, claim);
  }

  /** Removes the files of these messages (message deletion, SPEC §13); how many attachments went. */
  async removeForMessages(messageIds: readonly string[]): Promise<number> {
    if (messageIds.length === 0) return 0;
    return this.removeRecords(await this.repo.byMessages(messageIds));
  }

  /** Removes every file the user uploaded in the namespace, used or not (erasure, SPEC §10). */
  async removeForUser(namespace: string, userId: string): Promise<number> {
    return this.removeRecords(await this.repo.byOwner(namespace, userId));
  }

  /** Removes attachments older than `ttlMs` that no stored message uses; returns how many. */
  async sweep(ttlMs: number, batch = 500): Promise<number> {
    const cutoff = new Date(this.clock.now() - ttlMs).toISOString();
    let removed = 0;
    for (;;) {
      const orphans = await this.repo.orphans(cutoff, batch);
      removed += await this.removeRecords(orphans);
      if (orphans.length < batch) return removed;
    }
  }

  /** Files first, then rows: a crash in between leaves a row whose GET is 404 and that the sweep retries. */
  private async removeRecords(records: readonly AttachmentRecord[]): Promise<number> {
    if (records.length === 0) return 0;
    const keys = records.flatMap((r) => (r.thumbnailKey ? [r.storageKey, r.thumbnailKey] : [r.storageKey]));
    await this.storage.remove(keys);
    await this.repo.delete(records.map((r) => r.id));
    this.options.metrics?.removed.inc(records.length);
    return records.length;
  }

  private async discard(record: AttachmentRecord): Promise<void> {
    try {
      await this.storage.remove([record.storageKey, thumbnailKeyOf(record.id)]);
      await this.repo.delete([record.id]);
    } catch (err) {
      this.log.error({ err, attachment: record.id }, 'removing a failed upload failed; the sweep will retry');
    }
  }
}

export function attachmentUrl(baseUrl: string, id: string, variant: Variant = 'file'): string {
  return `${baseUrl}/v1/uploads/${id}${variant === 'thumbnail' ? '/thumbnail' : ''}`;
}

export function toAttachment(record: AttachmentRecord): Attachment {
  const attachment: Attachment = {
    id: record.id,
    kind: record.kind,
    mime: record.mime,
    size: record.size,
    url: attachmentUrl(record.baseUrl, record.id),
  };
  if (record.thumbnailKey) attachment.thumbnailUrl = attachmentUrl(record.baseUrl, record.id, 'thumbnail');
  if (record.width !== null) attachment.width = record.width;
  if (record.height !== null) attachment.height = record.height;
  return attachment;
}
