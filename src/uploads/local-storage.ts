import { randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, readdir, rename, rm, stat, unlink } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { BlobStorage, ByteRange } from './storage.js';

const KEY = /^[A-Za-z0-9_.-]+$/;
/** Staged files older than this at start-up belong to a process that died mid-upload. */
const STALE_STAGING_MS = 60 * 60 * 1000;

/**
 * Files under one folder: `<dir>/<first two characters of the key>/<key>`. Writes go to `<dir>/.staging/`
 * first and are renamed into place when complete (a rename within one filesystem is atomic).
 */
export class LocalStorage implements BlobStorage {
  readonly kind = 'local';
  readonly dir: string;
  readonly stagingDir: string;

  constructor(dir: string) {
    this.dir = resolve(dir);
    this.stagingDir = join(this.dir, '.staging');
  }

  async init(now: number): Promise<void> {
    await mkdir(this.stagingDir, { recursive: true });
    for (const name of await readdir(this.stagingDir)) {
      const path = join(this.stagingDir, name);
      const info = await stat(path).catch(() => undefined);
      if (info && now - info.mtimeMs > STALE_STAGING_MS) await rm(path, { force: true });
    }
  }

  /** A fresh path in the staging folder (for files being received or processed). */
  stagingPath(suffix = ''): string {
    return join(this.stagingDir, `${randomBytes(12).toString('hex')}${suffix}`);
  }

  pathOf(key: string): string {
    if (!KEY.test(key)) throw new Error(`bad storage key "${key}"`);
    return join(this.dir, key.slice(0, 2), key);
  }

  async put(key: string, body: Readable, _contentType: string): Promise<void> {
    const staged = this.stagingPath();
    try {
      await pipeline(body, createWriteStream(staged, { flags: 'wx' }));
      await this.putFile(key, staged);
    } catch (err) {
      await rm(staged, { force: true });
      throw err;
    }
  }

  async putFile(key: string, path: string): Promise<void> {
    const target = this.pathOf(key);
    await mkdir(dirname(target), { recursive: true });
    await rename(path, target);
  }

  async get(key: string, range?: ByteRange): Promise<Readable | undefined> {
    const stream = createReadStream(this.pathOf(key), range ? { start: range.start, end: range.end } : {});
    return new Promise((resolve, reject) => {
      stream.once('open', () => resolve(stream));
      stream.once('error', (err: NodeJS.ErrnoException) => (err.code === 'ENOENT' ? resolve(undefined) : reject(err)));
    });
  }

  async remove(keys: readonly string[]): Promise<void> {
    await Promise.all(
      keys.map((key) =>
        unlink(this.pathOf(key)).catch((err: NodeJS.ErrnoException) => {
          if (err.code !== 'ENOENT') throw err;
        }),
      ),
    );
  }

  async close(): Promise<void> {}
}
