import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { startS3, s3Overrides } from '../../test/support/s3.js';
import type { Generator } from '../lib/gen-client.js';
import type { Percentiles } from '../lib/hist.js';
import type { Mode } from '../lib/options.js';
import { parleySpec } from '../lib/parley.js';
import { readRss } from '../lib/proc.js';
import { startServer, type EventLoopDelay, type Server } from '../lib/server.js';
import { ackLatencies, chatPair, MiB, noisePhoto, streamUpload } from '../lib/upload-client.js';
import { measureChat, type FeatureStep } from './features.js';

export interface UploadMemory {
  storage: 'local' | 's3';
  sizeMiB: number;
  /** VmRSS after a forced full GC before the upload, its peak during it (sampled every 10 ms), after a GC at the end (MiB). */
  baselineMiB: number;
  peakMiB: number;
  growthMiB: number;
  afterGcMiB: number;
}

export interface PhotoChat {
  photoMiB: number;
  uploadMs: number;
  quiet: Percentiles;
  quietLoop: EventLoopDelay;
  busy: Percentiles;
  busyLoop: EventLoopDelay;
}

/** One way of starting the server (Node flags), with every upload figure and chat at fixed rates. */
export interface UploadVariant {
  label: string;
  nodeArgs: string[];
  memory: UploadMemory[];
  photo: PhotoChat;
  chat: FeatureStep[];
}

export interface Uploads {
  variants: UploadVariant[];
}

/** The production start command's flags, and smaller young generations (V8 then collects spent socket reads sooner). */
const VARIANTS: { label: string; nodeArgs: string[] }[] = [
  { label: 'default', nodeArgs: [] },
  { label: '--max-semi-space-size=2', nodeArgs: ['--max-semi-space-size=2'] },
  { label: '--max-semi-space-size=1', nodeArgs: ['--max-semi-space-size=1'] },
];

const mib = (bytes: number) => Math.round((10 * bytes) / MiB) / 10;

async function rssDuring(server: Server, work: () => Promise<unknown>): Promise<{ baseline: number; peak: number; after: number }> {
  const baseline = (await server.memory()).rss;
  let peak = baseline;
  const timer = setInterval(() => void readRss(server.pid).then((rss) => (peak = Math.max(peak, rss)), () => {}), 10);
  try {
    await work();
  } finally {
    clearInterval(timer);
  }
  peak = Math.max(peak, await readRss(server.pid));
  return { baseline, peak, after: (await server.memory()).rss };
}

async function memoryRuns(server: Server, storage: UploadMemory['storage'], sizes: number[], log: (l: string) => void): Promise<UploadMemory[]> {
  for (let i = 0; i < 3; i++) await streamUpload(server.url, 8 * MiB); // warm up (modules, buffers, S3 client)
  const out: UploadMemory[] = [];
  // Several sizes: if the growth does not grow with the file, no part of the file is held.
  for (const size of sizes) {
    const r = await rssDuring(server, async () => {
      const status = await streamUpload(server.url, size * MiB);
      if (status !== 201) throw new Error(`${size} MiB upload answered ${status}`);
    });
    const m = { storage, sizeMiB: size, baselineMiB: mib(r.baseline), peakMiB: mib(r.peak), growthMiB: mib(r.peak - r.baseline), afterGcMiB: mib(r.after) };
    log(`    ${storage} ${size} MiB: RSS ${m.baselineMiB} → peak ${m.peakMiB} MiB, growth ${m.growthMiB} MiB, after GC ${m.afterGcMiB} MiB`);
    out.push(m);
  }
  return out;
}

/** Chat acks (one client, every 10 ms, closed loop) without an upload, then while a ~10 MiB photo is cleaned and thumbnailed. */
async function photoChat(server: Server, photo: Buffer, ms: number): Promise<PhotoChat> {
  const room = `photo${Date.now().toString(36)}`;
  const pair = await chatPair(server.url, room);
  try {
    await ackLatencies(pair.c, room, 500);
    await server.eventLoop();
    const quiet = await ackLatencies(pair.c, room, ms);
    const quietLoop = await server.eventLoop();
    let uploadMs = 0;
    const [busy] = await Promise.all([
      ackLatencies(pair.c, room, ms),
      (async () => {
        const started = performance.now();
        const res = await fetch(`${server.url}/v1/uploads?namespace=customer&userId=${room}-c`, { method: 'POST', body: new Uint8Array(photo) });
        uploadMs = Math.round(performance.now() - started);
        if (res.status !== 201) throw new Error(`photo upload answered ${res.status}`);
      })(),
    ]);
    return { photoMiB: mib(photo.length), uploadMs, quiet, quietLoop, busy, busyLoop: await server.eventLoop() };
  } finally {
    pair.close();
  }
}

async function withServer<T>(name: string, env: Record<string, string>, nodeArgs: string[], configFile: string, dir: string, fn: (s: Server) => Promise<T>): Promise<T> {
  const spec = parleySpec(name, `sqlite:${join(dir, 'p.db')}`, configFile, nodeArgs);
  spec.env = { ...spec.env, UPLOAD_DIR: join(dir, 'uploads'), UPLOAD_MAX_VIDEO_BYTES: String(512 * MiB), ...env };
  const server = await startServer(spec, 0);
  try {
    return await fn(server);
  } catch (err) {
    throw new Error(`${name}: ${(err as Error).message}\n--- server output ---\n${server.tail()}`);
  } finally {
    await server.stop();
  }
}

/**
 * Upload figures for each variant: the server's RSS growth while a large video streams in (local folder,
 * then S3 via s3rver in the bench process), chat acks during a photo upload, and chat at fixed rates
 * (so a flag that saves memory shows what it costs the chat path, in the same run).
 */
export async function uploads(mode: Mode, configFile: string, gen: Generator, log: (l: string) => void): Promise<Uploads> {
  const photo = await noisePhoto();
  const variants: UploadVariant[] = [];
  const s3 = await startS3();
  try {
    for (const v of VARIANTS) {
      log(`  uploads, ${v.label}`);
      const dir = mkdtempSync(join(configFile, '..', 'uploads-'));
      try {
        const local = await withServer(`parley-uploads-${variants.length}`, {}, v.nodeArgs, configFile, dir, async (server) => {
          const memory = await memoryRuns(server, 'local', mode.uploadSizesMiB, log);
          const p = await photoChat(server, photo, Math.max(1000, Math.min(3000, mode.featureMs)));
          log(`    photo ${p.photoMiB} MiB in ${p.uploadMs} ms: ack p50/p99 ${p.quiet.p50}/${p.quiet.p99} ms without, ${p.busy.p50}/${p.busy.p99} ms during`);
          const chat = await measureChat(server, mode, gen, undefined, log);
          return { memory, photo: p, chat };
        });
        const o = s3Overrides(s3, await s3.bucket());
        const env = { S3_BUCKET: o.s3Bucket, S3_ENDPOINT: o.s3Endpoint, S3_ACCESS_KEY_ID: o.s3AccessKeyId, S3_SECRET_ACCESS_KEY: o.s3SecretAccessKey };
        const viaS3 = await withServer(`parley-uploads-s3-${variants.length}`, env, v.nodeArgs, configFile, dir, (server) => memoryRuns(server, 's3', mode.uploadSizesMiB.slice(0, 1), log));
        variants.push({ ...v, memory: [...local.memory, ...viaS3], photo: local.photo, chat: local.chat });
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    }
  } finally {
    await s3.close();
  }
  return { variants };
}
