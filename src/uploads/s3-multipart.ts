import type { Readable } from 'node:stream';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  PutObjectCommand,
  UploadPartCommand,
  type CompletedPart,
  type S3Client,
} from '@aws-sdk/client-s3';

/**
 * Part buffers, reused from one upload to the next. A fresh 5 MiB buffer per part (what lib-storage's
 * `Buffer.concat` makes) outlives the young generation while its part is sent, so it is freed only by a
 * full collection: the server's RSS grew 40-70 MiB per 100 MiB upload. Reused buffers bound it.
 */
export class PartBuffers {
  private readonly idle: Buffer[] = [];

  constructor(
    readonly size: number,
    private readonly keep: number,
  ) {}

  take(): Buffer {
    return this.idle.pop() ?? Buffer.allocUnsafeSlow(this.size);
  }

  give(buffer: Buffer): void {
    if (this.idle.length < this.keep) this.idle.push(buffer);
  }
}

export interface ObjectTarget {
  Bucket: string;
  Key: string;
  ContentType: string;
}

/**
 * Streams `body` into one object: a single PUT when it fits one part, else a multipart upload with one part
 * in flight while the next fills (two buffers per upload). The object appears only when complete; a failed
 * body or part aborts the multipart upload, and the body's own error is the one thrown.
 */
export async function putStream(client: S3Client, target: ObjectTarget, body: Readable, buffers: PartBuffers): Promise<void> {
  const upload = new MultipartUpload(client, target);
  let current = buffers.take();
  let filled = 0;
  let inFlight: Promise<void> | undefined;
  try {
    for await (const chunk of body as AsyncIterable<Buffer>) {
      for (let offset = 0; offset < chunk.length; ) {
        const copied = chunk.copy(current, filled, offset);
        filled += copied;
        offset += copied;
        if (filled < current.length) continue;
        await inFlight;
        const full = current;
        inFlight = upload.part(full, filled).finally(() => buffers.give(full));
        inFlight.catch(() => {}); // awaited before the next part; a failure meanwhile must not go unhandled
        current = buffers.take();
        filled = 0;
      }
    }
    await inFlight;
    if (!upload.started) {
      await client.send(new PutObjectCommand({ ...target, Body: current.subarray(0, filled) }));
      return;
    }
    if (filled > 0) await upload.part(current, filled);
    await upload.complete();
  } catch (err) {
    await inFlight?.catch(() => {});
    await upload.abort();
    throw err;
  } finally {
    buffers.give(current);
  }
}

class MultipartUpload {
  private uploadId: string | undefined;
  private readonly parts: CompletedPart[] = [];

  constructor(
    private readonly client: S3Client,
    private readonly target: ObjectTarget,
  ) {}

  get started(): boolean {
    return this.parts.length > 0;
  }

  async part(buffer: Buffer, length: number): Promise<void> {
    const PartNumber = this.parts.length + 1;
    this.parts.push({ PartNumber });
    this.uploadId ??= (await this.client.send(new CreateMultipartUploadCommand(this.target))).UploadId;
    const { Bucket, Key } = this.target;
    const sent = await this.client.send(
      new UploadPartCommand({ Bucket, Key, UploadId: this.uploadId, PartNumber, Body: buffer.subarray(0, length) }),
    );
    this.parts[PartNumber - 1]!.ETag = sent.ETag;
  }

  async complete(): Promise<void> {
    const { Bucket, Key } = this.target;
    await this.client.send(
      new CompleteMultipartUploadCommand({ Bucket, Key, UploadId: this.uploadId, MultipartUpload: { Parts: this.parts } }),
    );
  }

  /** Best effort: a bucket's AbortIncompleteMultipartUpload lifecycle rule clears what an abort cannot. */
  async abort(): Promise<void> {
    if (!this.uploadId) return;
    const { Bucket, Key } = this.target;
    await this.client.send(new AbortMultipartUploadCommand({ Bucket, Key, UploadId: this.uploadId })).catch(() => {});
  }
}
