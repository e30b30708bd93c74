/**
 * Upload figures (run once by hand: `npx tsx bench/uploads.ts`; not part of `npm run bench`):
 *  1. server RSS growth while a 100 MiB video streams in (local folder, then S3 via an in-process s3rver);
 *  2. chat ack latency and the server's event-loop delay while a ~10 MiB photo is cleaned and thumbnailed.
 * The server is a separate process (src/main.ts), so its RSS is its own.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { io, type Socket } from 'socket.io-client';
import { startS3, s3Overrides } from '../test/support/s3.js';
import { readRss } from './lib/proc.js';
import { startServer, type Server } from './lib/server.js';

const MiB = 1024 * 1024;
const SERVER_CORE = 1;

function mp4Head(total: number): Buffer {
  const ftyp = Buffer.from('000000186674797069736f6d0000020069736f6d69736f32', 'hex');
  const mdat = Buffer.alloc(8);
  mdat.writeUInt32BE(total - ftyp.length, 0);
  mdat.write('mdat', 4, 'ascii');
  return Buffer.concat([ftyp, mdat]);
}

/** Streams `total` bytes (an MP4 header, then filler) as the raw body; resolves with the status. */
function streamUpload(url: string, total: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(`${url}/v1/uploads?namespace=customer&userId=bench`, { method: 'POST', headers: { 'content-type': 'video/mp4', 'content-length': total } });
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

async function rssDuring(server: Server, work: () => Promise<unknown>): Promise<{ baseline: number; peak: number; after: number }> {
  const baseline = (await server.memory()).rss;
  let peak = baseline;
  const timer = setInterval(() => void readRss(server.pid).then((rss) => (peak = Math.max(peak, rss))), 10);
  try {
    await work();
  } finally {
    clearInterval(timer);
  }
  peak = Math.max(peak, await readRss(server.pid));
  return { baseline, peak, after: (await server.memory()).rss };
}

async function memoryRun(name: string, env: Record<string, string>, sizes = [100, 100, 400]) {
  const dir = mkdtempSync(join(tmpdir(), 'parley-bench-uploads-'));
  const server = await startServer(
    {
      name,
      entry: 'src/main.ts',
      env: { DATABASE_URL: `sqlite:${join(dir, 'p.db')}`, UPLOAD_DIR: join(dir, 'uploads'), UPLOAD_MAX_VIDEO_BYTES: String(512 * MiB), ...env },
    },
    SERVER_CORE,
  );
  try {
    for (let i = 0; i < 3; i++) await streamUpload(server.url, 8 * MiB); // warm up (modules, buffers, S3 client)
    // 400 MiB as well: if the growth does not grow with the file, no part of the file is being held.
    for (const size of sizes) {
      const result = await rssDuring(server, async () => {
        const status = await streamUpload(server.url, size * MiB);
        if (status !== 201) throw new Error(`${size} MiB upload answered ${status}`);
      });
      const growth = (result.peak - result.baseline) / MiB;
      console.log(`${name}: ${size} MiB upload — RSS baseline ${(result.baseline / MiB).toFixed(1)} MiB, peak ${(result.peak / MiB).toFixed(1)} MiB, growth ${growth.toFixed(1)} MiB, after GC ${(result.after / MiB).toFixed(1)} MiB`);
    }
  } finally {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))] ?? 0;
}

/** Acks of a message every 10 ms for `ms`, as latencies (ms). */
async function ackLatencies(socket: Socket, ms: number): Promise<number[]> {
  const latencies: number[] = [];
  const end = Date.now() + ms;
  while (Date.now() < end) {
    const started = performance.now();
    await socket.timeout(5000).emitWithAck('message', { roomToken: 'bench', message: 'ping' });
    latencies.push(performance.now() - started);
    await new Promise((r) => setTimeout(r, 10));
  }
  return latencies.sort((a, b) => a - b);
}

async function latencyRun() {
  const dir = mkdtempSync(join(tmpdir(), 'parley-bench-uploads-'));
  const server = await startServer({ name: 'latency', entry: 'src/main.ts', env: { DATABASE_URL: `sqlite:${join(dir, 'p.db')}`, UPLOAD_DIR: join(dir, 'uploads') } }, SERVER_CORE);
  const connect = (userId: string) =>
    new Promise<Socket>((resolve) => {
      const s = io(`${server.url}/customer`, { transports: ['websocket'], query: { userId } });
      s.once('connect', () => resolve(s));
    });
  try {
    const [c, v] = await Promise.all([connect('c1'), connect('v1')]);
    await c.emitWithAck('join-room', { customerID: 'c1', vendorID: 'v1', roomToken: 'bench' });
    await v.emitWithAck('accept-room', { roomToken: 'bench' });
    // A 10 MiB-class photo: 3000 × 2250 of noise, JPEG quality 100.
    const pixels = Buffer.alloc(3000 * 2250 * 3);
    for (let i = 0; i < pixels.length; i++) pixels[i] = (i * 2654435761) >>> 24;
    const photo = await sharp(pixels, { raw: { width: 3000, height: 2250, channels: 3 } }).jpeg({ quality: 100 }).toBuffer();
    await ackLatencies(c, 500);
    await server.eventLoop();
    const quiet = await ackLatencies(c, 3000);
    const quietLoop = await server.eventLoop();
    let uploadMs = 0;
    const busy = await Promise.all([
      ackLatencies(c, 3000),
      (async () => {
        const started = performance.now();
        const res = await fetch(`${server.url}/v1/uploads?namespace=customer&userId=c1`, { method: 'POST', body: new Uint8Array(photo) });
        uploadMs = performance.now() - started;
        if (res.status !== 201) throw new Error(`photo upload answered ${res.status}`);
      })(),
    ]).then(([latencies]) => latencies);
    const busyLoop = await server.eventLoop();
    const line = (label: string, l: number[], loop: { p99: number; max: number }) =>
      `${label}: ack p50 ${percentile(l, 50).toFixed(1)} ms, p99 ${percentile(l, 99).toFixed(1)} ms, max ${l.at(-1)!.toFixed(1)} ms (${l.length} acks); event-loop delay p99 ${loop.p99.toFixed(1)} ms, max ${loop.max.toFixed(1)} ms`;
    console.log(`photo: ${(photo.length / MiB).toFixed(1)} MiB JPEG 3000×2250, upload answered in ${uploadMs.toFixed(0)} ms`);
    console.log(line('  without upload', quiet, quietLoop));
    console.log(line('  during upload ', busy, busyLoop));
    c.close();
    v.close();
  } finally {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

await memoryRun('local folder', {});
const s3 = await startS3();
try {
  const bucket = await s3.bucket();
  const o = s3Overrides(s3, bucket);
  await memoryRun('S3 (s3rver)', { S3_BUCKET: o.s3Bucket, S3_ENDPOINT: o.s3Endpoint, S3_ACCESS_KEY_ID: o.s3AccessKeyId, S3_SECRET_ACCESS_KEY: o.s3SecretAccessKey });
} finally {
  await s3.close();
}
await latencyRun();
