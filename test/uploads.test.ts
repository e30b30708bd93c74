import { SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import sharp from 'sharp';
import { isoMedia, png, wav } from './support/media.js';
import { loadConfig } from '../src/config/load-config.js';
import { createTestApp } from './support/test-app.js';
import { download, form, upload } from './support/uploads.js';

const SECRET = 'upload-test-secret-long-enough-for-hs256';
const token = (sub: string) => new SignJWT({ sub }).setProtectedHeader({ alg: 'HS256' }).setIssuedAt().setExpirationTime('1h').sign(new TextEncoder().encode(SECRET));

describe('POST /v1/uploads: who, where and how often (SPEC §12)', () => {
  it('in jwt mode needs a valid Bearer token (401 first), and takes the uploader from it', async () => {
    const t = await createTestApp({ authMode: 'jwt', jwtSecret: SECRET });
    const bytes = wav();
    for (const headers of [{}, { authorization: 'Bearer nope' }] as Record<string, string>[]) {
      const res = await upload(t, bytes, { headers: { 'content-type': 'application/octet-stream', ...headers }, namespace: 'nope' });
      expect(res.status).toBe(401);
      expect(res.body).toEqual({ success: false, error: { code: 'unauthorized', message: expect.any(String) } });
    }
    const ok = await upload(t, bytes, { userId: '', headers: { 'content-type': 'audio/wav', authorization: `Bearer ${await token('c7')}` } });
    expect(ok.status).toBe(201);
    expect(ok.body.attachment.kind).toBe('audio');
  });

  it('in trusted mode names the user with userId (§2 rules) and needs a configured namespace', async () => {
    const t = await createTestApp();
    const bytes = wav();
    expect((await upload(t, bytes, { userId: '' })).status).toBe(400);
    expect((await upload(t, bytes, { userId: 'bad id!' })).body.error.code).toBe('invalid_payload');
    expect((await upload(t, bytes, { namespace: '' })).status).toBe(400);
    const unknown = await upload(t, bytes, { namespace: 'nowhere' });
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.code).toBe('not_found');
    expect((await upload(t, bytes, { namespace: 'artisans', userId: 'a1' })).status).toBe(201);
  });

  it('rate-limits uploads per user with 429 rate_limited, other users unaffected', async () => {
    const t = await createTestApp({ uploadRateLimit: { points: 2, durationSeconds: 60 } });
    const bytes = wav();
    expect((await upload(t, bytes)).status).toBe(201);
    expect((await upload(t, bytes)).status).toBe(201);
    const limited = await upload(t, bytes);
    expect(limited.status).toBe(429);
    expect(limited.body.error.code).toBe('rate_limited');
    expect((await upload(t, bytes, { userId: 'c2' })).status).toBe(201);
  });

  it('builds URLs on PUBLIC_URL when set, and serves them at their path', async () => {
    const t = await createTestApp({ publicUrl: 'https://chat.example.com' });
    const { attachment } = (await upload(t, await png())).body;
    expect(attachment.url).toBe(`https://chat.example.com/v1/uploads/${attachment.id}`);
    expect(attachment.thumbnailUrl).toBe(`https://chat.example.com/v1/uploads/${attachment.id}/thumbnail`);
    expect((await download(`${t.url}/v1/uploads/${attachment.id}`)).status).toBe(200);
  });

  it('wants the multipart file as field "file"', async () => {
    const t = await createTestApp();
    const res = await upload(t, form(isoMedia('isom'), 'video/mp4', 'clip.mp4', 'video'));
    expect(res.status).toBe(400);
    expect(res.body.error.message).toContain('"file"');
  });

  it('gives every upload a different unguessable id', async () => {
    const t = await createTestApp();
    const ids = new Set<string>();
    for (let i = 0; i < 5; i++) ids.add((await upload(t, wav())).body.attachment.id);
    expect(ids.size).toBe(5);
    for (const id of ids) expect(Buffer.from(id, 'base64url').length).toBeGreaterThanOrEqual(16);
  });

  it('is in the OpenAPI document', async () => {
    const t = await createTestApp();
    const doc = await (await fetch(`${t.url}/docs/json`)).json();
    expect(doc.paths['/v1/uploads']?.post).toBeDefined();
    expect(doc.paths['/v1/uploads/{id}']?.get).toBeDefined();
    expect(doc.paths['/v1/uploads/{id}/thumbnail']?.get).toBeDefined();
  });

  it('reads its settings from the environment', () => {
    const config = loadConfig({
      env: {
        UPLOAD_DIR: '/srv/parley/files',
        PUBLIC_URL: 'https://chat.example.com/',
        S3_BUCKET: 'parley-media',
        S3_ENDPOINT: 'http://minio:9000',
        S3_REGION: 'eu-west-3',
        S3_ACCESS_KEY_ID: 'key',
        S3_SECRET_ACCESS_KEY: 'secret',
        UPLOAD_MAX_IMAGE_BYTES: '1048576',
        UPLOAD_MAX_AUDIO_BYTES: '2097152',
      },
    });
    expect(config).toMatchObject({
      uploadDir: '/srv/parley/files',
      publicUrl: 'https://chat.example.com',
      s3Bucket: 'parley-media',
      s3Endpoint: 'http://minio:9000',
      s3Region: 'eu-west-3',
      uploadLimits: { image: 1048576, vdo: 100 * 1024 * 1024, audio: 2097152 },
    });
    expect(() => loadConfig({ env: { UPLOAD_MAX_VIDEO_BYTES: 'lots' } })).toThrow(/UPLOAD_MAX_VIDEO_BYTES/);
    expect(() => loadConfig({ env: { PUBLIC_URL: 'ftp://x' } })).toThrow(/publicUrl/);
  });

  it('cleans a 10 MiB-class photo off the event loop: timers keep firing while it is processed', { timeout: 60_000 }, async () => {
    const t = await createTestApp();
    const [width, height] = [3000, 2250];
    const pixels = Buffer.alloc(width * height * 3);
    for (let i = 0; i < pixels.length; i++) pixels[i] = (i * 2654435761) >>> 24;
    const photo = await sharp(pixels, { raw: { width, height, channels: 3 } }).jpeg({ quality: 100 }).toBuffer();
    expect(photo.length).toBeGreaterThan(8 * 1024 * 1024);
    let last = performance.now();
    let worstGap = 0;
    const ticker = setInterval(() => {
      const now = performance.now();
      worstGap = Math.max(worstGap, now - last);
      last = now;
    }, 5);
    const started = performance.now();
    const res = await upload(t, photo);
    const took = performance.now() - started;
    clearInterval(ticker);
    expect(res.status).toBe(201);
    expect(res.body.attachment).toMatchObject({ width, height });
    // Decoding, re-encoding and thumbnailing take hundreds of ms; no single stall may come close to that.
    expect(worstGap, `processed in ${took.toFixed(0)} ms, longest gap ${worstGap.toFixed(0)} ms`).toBeLessThan(Math.max(150, took / 3));
  });
});
