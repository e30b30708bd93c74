import { request } from 'node:http';
import sharp from 'sharp';
import { io, type Socket } from 'socket.io-client';
import { newHist, percentiles, recordMs, type Percentiles } from './hist.js';

export const MiB = 1024 * 1024;

function mp4Head(total: number): Buffer {
  const ftyp = Buffer.from('000000186674797069736f6d0000020069736f6d69736f32', 'hex');
  const mdat = Buffer.alloc(8);
  mdat.writeUInt32BE(total - ftyp.length, 0);
  mdat.write('mdat', 4, 'ascii');
  return Buffer.concat([ftyp, mdat]);
}

/** Streams `total` bytes (an MP4 header, then filler) as the raw body of POST /v1/uploads; resolves with the status. */
export function streamUpload(url: string, total: number, userId = 'bench'): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(`${url}/v1/uploads?namespace=customer&userId=${userId}`, { method: 'POST', headers: { 'content-type': 'video/mp4', 'content-length': total } });
    req.on('response', (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    const head = mp4Head(total);
    const chunk = Buffer.alloc(256 * 1024, 0x5a);
    let sent = 0;
    const pump = () => {
      if (sent === 0) {
        req.write(head);
        sent = head.length;
      }
      while (sent < total) {
        const piece = total - sent >= chunk.length ? chunk : chunk.subarray(0, total - sent);
        sent += piece.length;
        if (!req.write(piece)) return void req.once('drain', pump);
      }
      req.end();
    };
    pump();
  });
}

/** A 10 MiB-class photo: 3000 × 2250 of noise, JPEG quality 100 (~8.6 MiB). */
export async function noisePhoto(): Promise<Buffer> {
  const pixels = Buffer.alloc(3000 * 2250 * 3);
  for (let i = 0; i < pixels.length; i++) pixels[i] = (i * 2654435761) >>> 24;
  return sharp(pixels, { raw: { width: 3000, height: 2250, channels: 3 } }).jpeg({ quality: 100 }).toBuffer();
}

/** A customer and a vendor in one active room `roomToken`. */
export async function chatPair(url: string, roomToken: string): Promise<{ c: Socket; v: Socket; close: () => void }> {
  const connect = (userId: string) =>
    new Promise<Socket>((resolve, reject) => {
      const s = io(`${url}/customer`, { transports: ['websocket'], query: { userId } });
      s.once('connect', () => resolve(s));
      s.once('connect_error', reject);
    });
  const [c, v] = await Promise.all([connect(`${roomToken}-c`), connect(`${roomToken}-v`)]);
  await c.emitWithAck('join-room', { customerID: `${roomToken}-c`, vendorID: `${roomToken}-v`, roomToken });
  await v.emitWithAck('accept-room', { roomToken });
  return { c, v, close: () => void (c.close(), v.close()) };
}

/** Sends a message every 10 ms for `ms`, each awaiting its ack (closed loop); the ack latencies. */
export async function ackLatencies(socket: Socket, roomToken: string, ms: number): Promise<Percentiles> {
  const hist = newHist();
  const end = Date.now() + ms;
  while (Date.now() < end) {
    const started = performance.now();
    await socket.timeout(5000).emitWithAck('message', { roomToken, message: 'ping' });
    recordMs(hist, performance.now() - started);
    await new Promise((r) => setTimeout(r, 10));
  }
  return percentiles(hist);
}
