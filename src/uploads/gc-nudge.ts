import { Transform, type TransformCallback } from 'node:stream';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

type Gc = (options: { type: 'minor'; execution: 'async' | 'sync' }) => void;

/**
 * V8's young-generation collector, if the process may have it. An upload arrives as a fresh Buffer per
 * socket read; V8 frees them only at its next scavenge, and with the default young generation that comes
 * after tens of MiB of them: the server's RSS grew ~32 MiB per upload whatever its size.
 */
const minorGc: Gc | undefined = (() => {
  try {
    setFlagsFromString('--expose-gc');
    return runInNewContext('gc') as Gc;
  } catch {
    return undefined;
  }
})();

/** Passes bytes through, asking for a young-generation collection every `everyBytes` (uploads only). */
export class GcNudge extends Transform {
  private since = 0;

  constructor(private readonly everyBytes = 4 * 1024 * 1024) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.since += chunk.length;
    if (this.since >= this.everyBytes && minorGc) {
      this.since = 0;
      minorGc({ type: 'minor', execution: 'async' });
    }
    callback(null, chunk);
  }
}
