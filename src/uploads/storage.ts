import type { Readable } from 'node:stream';

/** An inclusive byte range, as in HTTP. */
export interface ByteRange {
  start: number;
  end: number;
}

/**
 * Where attachment bytes live: a local folder or an S3-compatible bucket. Objects are immutable: written
 * once, whole, under a key, read (whole or a range), removed.
 */
export interface BlobStorage {
  readonly kind: 'local' | 's3';
  /**
   * Streams `body` under `key`. The object becomes visible only once complete: if `body` fails (too large,
   * the client went away) the promise rejects with that error and nothing is left behind.
   */
  put(key: string, body: Readable, contentType: string): Promise<void>;
  /** Moves a finished local file under `key` (a rename when it can be). The file is gone afterwards. */
  putFile(key: string, path: string, contentType: string): Promise<void>;
  /** The object's bytes, or undefined when there is no such object. */
  get(key: string, range?: ByteRange): Promise<Readable | undefined>;
  /** Removes the objects; missing ones are fine. */
  remove(keys: readonly string[]): Promise<void>;
  close(): Promise<void>;
}
