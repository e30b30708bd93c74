import { createReadStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { DeleteObjectsCommand, GetObjectCommand, HeadBucketCommand, NoSuchKey, S3Client } from '@aws-sdk/client-s3';
import { PartBuffers, putStream } from './s3-multipart.js';
import type { BlobStorage, ByteRange } from './storage.js';

export interface S3Options {
  bucket: string;
  region: string;
  endpoint?: string | undefined;
  accessKeyId?: string | undefined;
  secretAccessKey?: string | undefined;
}

/** S3 multipart parts: 5 MiB is S3's smallest; an upload holds two (one sent, one filling). */
const PART_SIZE = 5 * 1024 * 1024;
/** Part buffers kept for the next uploads (10 MiB): more concurrent uploads allocate, and free, their own. */
const IDLE_PARTS = 2;
const DELETE_BATCH = 1000;

/**
 * An S3-compatible bucket (path-style, so MinIO, Ceph, s3rver and the like work). A streamed upload is an
 * S3 multipart upload (see `putStream`): the object appears only when it completes, and a failed body aborts it.
 */
export class S3Storage implements BlobStorage {
  readonly kind = 's3';
  private readonly client: S3Client;
  private readonly buffers = new PartBuffers(PART_SIZE, IDLE_PARTS);

  constructor(private readonly options: S3Options) {
    this.client = new S3Client({
      region: options.region,
      forcePathStyle: true,
      ...(options.endpoint ? { endpoint: options.endpoint } : {}),
      ...(options.accessKeyId && options.secretAccessKey
        ? { credentials: { accessKeyId: options.accessKeyId, secretAccessKey: options.secretAccessKey } }
        : {}),
      // Checksums only where S3 requires them: older S3-compatible servers reject the aws-chunked
      // trailers the SDK adds by default to streamed bodies.
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    });
  }

  async ping(): Promise<void> {
    await this.client.send(new HeadBucketCommand({ Bucket: this.options.bucket }));
  }

  async put(key: string, body: Readable, contentType: string): Promise<void> {
    await putStream(this.client, { Bucket: this.options.bucket, Key: key, ContentType: contentType }, body, this.buffers);
  }

  async putFile(key: string, path: string, contentType: string): Promise<void> {
    try {
      await this.put(key, createReadStream(path), contentType);
    } finally {
      await rm(path, { force: true });
    }
  }

  async get(key: string, range?: ByteRange): Promise<Readable | undefined> {
    try {
      const result = await this.client.send(
        new GetObjectCommand({
          Bucket: this.options.bucket,
          Key: key,
          ...(range ? { Range: `bytes=${range.start}-${range.end}` } : {}),
        }),
      );
      return result.Body as Readable;
    } catch (err) {
      if (err instanceof NoSuchKey || (err as { name?: string }).name === 'NoSuchKey') return undefined;
      throw err;
    }
  }

  async remove(keys: readonly string[]): Promise<void> {
    for (let i = 0; i < keys.length; i += DELETE_BATCH) {
      const batch = keys.slice(i, i + DELETE_BATCH);
      await this.client.send(
        new DeleteObjectsCommand({
          Bucket: this.options.bucket,
          Delete: { Objects: batch.map((Key) => ({ Key })), Quiet: true },
        }),
      );
    }
  }

  async close(): Promise<void> {
    this.client.destroy();
  }
}
