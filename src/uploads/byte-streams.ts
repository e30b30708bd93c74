import { Readable, Transform, type TransformCallback } from 'node:stream';
import { ParleyError } from '../protocol/index.js';

/**
 * Reads at least `bytes` bytes (fewer when the stream ends first) without consuming the rest: the stream
 * stays readable for `rest()`.
 */
export function readHead(stream: Readable, bytes: number): Promise<{ head: Buffer; ended: boolean }> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let total = 0;
    let ended = false;
    const finish = (err?: unknown) => {
      stream.off('readable', onReadable);
      stream.off('end', onEnd);
      stream.off('error', finish);
      stream.off('close', onClose);
      if (err) reject(err);
      else resolve({ head: Buffer.concat(chunks), ended });
    };
    const onReadable = () => {
      let chunk: Buffer | null;
      while (total < bytes && (chunk = stream.read() as Buffer | null) !== null) {
        chunks.push(chunk);
        total += chunk.length;
      }
      if (total >= bytes) finish();
    };
    const onEnd = () => {
      ended = true;
      finish();
    };
    const onClose = () => {
      if (!stream.readableEnded) finish(new ParleyError('invalid_payload', 'The upload was interrupted.'));
    };
    stream.on('readable', onReadable);
    stream.once('end', onEnd);
    stream.once('error', finish);
    stream.once('close', onClose);
  });
}

/** `head` followed by what is left of `stream`; the source is not destroyed when the result is. */
export function withHead(head: Buffer, stream: Readable, ended: boolean): Readable {
  if (ended) return Readable.from([head], { objectMode: false });
  async function* joined() {
    yield head;
    for await (const chunk of stream.iterator({ destroyOnReturn: false })) yield chunk as Buffer;
  }
  return Readable.from(joined(), { objectMode: false });
}

/** Passes bytes through and fails with `too_large` as soon as more than `limit` have gone by. */
export class ByteLimit extends Transform {
  bytes = 0;

  constructor(
    private readonly limit: number,
    private readonly what: string,
  ) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.bytes += chunk.length;
    if (this.bytes > this.limit) {
      callback(new ParleyError('too_large', `${this.what} may be at most ${this.limit} bytes.`));
      return;
    }
    callback(null, chunk);
  }
}
