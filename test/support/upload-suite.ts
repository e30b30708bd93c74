/**
 * The storage-dependent upload tests, run once per storage (local folder, S3 via s3rver): the same files,
 * the same answers, and nothing left behind on failure.
 */
import { randomFillSync } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import SQLite from 'better-sqlite3';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import type { ConfigInput } from '../../src/config/schema.js';
import { animatedGif, isoMedia, jpegWithGps, mp3, mp4Header, noisyPng, png, wav, webm, webpImage } from './media.js';
import { activeRoom, createTestApp, tempDir, type TestApp } from './test-app.js';
import { download, form, metric, streamUpload, upload } from './uploads.js';
import { waitUntil } from './wait-until.js';

export interface StorageUnderTest {
  overrides: Partial<ConfigInput>;
  /** Keys of the stored objects (the staging folder excluded). */
  stored(): Promise<string[]>;
}

/** Every file under `dir`, recursively, relative names; `.staging` is listed as its own entries. */
export function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name).slice(dir.length + 1))
    .sort();
}

function rowCount(t: TestApp): number {
  const db = new SQLite(t.dbPath, { readonly: true });
  try {
    return (db.prepare('select count(*) as n from attachments').get() as { n: number }).n;
  } finally {
    db.close();
  }
}

const MiB = 1024 * 1024;

export function describeUploads(name: string, storage: () => Promise<StorageUnderTest>): void {
  async function app(overrides: Partial<ConfigInput> = {}, clock?: { now(): number }) {
    const under = await storage();
    const uploadDir = tempDir();
    const t = await createTestApp({ uploadDir, ...under.overrides, ...overrides }, clock ? { clock } : {});
    const staging = () => filesUnder(uploadDir).filter((f) => f.startsWith('.staging'));
    return { t, under, staging };
  }

  describe(`uploads on ${name}`, () => {
    it('stores a JPEG upright and without EXIF or GPS, with width, height and a WebP thumbnail ≤ 320 px', async () => {
      const { t } = await app();
      const original = await jpegWithGps(1200, 800);
      expect((await sharp(original).metadata()).exif).toBeDefined();
      const res = await upload(t, original);
      expect(res.status).toBe(201);
      const { attachment } = res.body;
      expect(res.body.data.attachment).toEqual(attachment);
      expect(attachment).toMatchObject({ kind: 'image', mime: 'image/jpeg', width: 800, height: 1200 });
      expect(attachment.id).toMatch(/^[A-Za-z0-9_-]{24}$/);
      expect(attachment.url).toBe(`${t.url}/v1/uploads/${attachment.id}`);
      expect(attachment.thumbnailUrl).toBe(`${t.url}/v1/uploads/${attachment.id}/thumbnail`);

      const file = await download(attachment.url);
      expect(file.status).toBe(200);
      expect(file.headers.get('content-type')).toBe('image/jpeg');
      expect(Number(file.headers.get('content-length'))).toBe(file.bytes.length);
      expect(file.bytes.length).toBe(attachment.size);
      expect(file.headers.get('cache-control')).toContain('immutable');
      const meta = await sharp(file.bytes).metadata();
      expect(meta.exif).toBeUndefined();
      expect(meta.xmp).toBeUndefined();
      expect(meta.orientation).toBeUndefined();
      expect([meta.width, meta.height]).toEqual([800, 1200]);
      expect(file.bytes.includes(Buffer.from('ParleyCam'))).toBe(false);

      const thumb = await download(attachment.thumbnailUrl);
      expect(thumb.status).toBe(200);
      expect(thumb.headers.get('content-type')).toBe('image/webp');
      const tm = await sharp(thumb.bytes).metadata();
      expect(tm.format).toBe('webp');
      expect(Math.max(tm.width!, tm.height!)).toBe(320);
      expect(tm.height).toBeGreaterThan(tm.width!);

      const again = await download(attachment.url, { 'if-none-match': file.headers.get('etag')! });
      expect(again.status).toBe(304);
    });

    it('keeps a small PNG at its size (thumbnails are never enlarged) and takes multipart uploads', async () => {
      const { t } = await app();
      const res = await upload(t, form(await png(64, 48), 'image/png', 'tiny.png'));
      expect(res.status).toBe(201);
      expect(res.body.attachment).toMatchObject({ kind: 'image', mime: 'image/png', width: 64, height: 48 });
      const tm = await sharp((await download(res.body.attachment.thumbnailUrl)).bytes).metadata();
      expect([tm.width, tm.height]).toEqual([64, 48]);
    });

    it('keeps every frame of an animated GIF, and takes WebP', async () => {
      const { t } = await app();
      const gif = (await upload(t, await animatedGif(40, 30, 3))).body.attachment;
      expect(gif).toMatchObject({ kind: 'image', mime: 'image/gif', width: 40, height: 30 });
      const stored = await sharp((await download(gif.url)).bytes, { animated: true }).metadata();
      expect(stored.pages).toBe(3);
      const webp = (await upload(t, await webpImage(50, 20))).body.attachment;
      expect(webp).toMatchObject({ kind: 'image', mime: 'image/webp', width: 50, height: 20 });
    });

    it('decides audio and video from the bytes, whatever the declared type or name', async () => {
      const { t } = await app();
      const cases = [
        { bytes: wav(), kind: 'audio', mime: 'audio/wav' },
        { bytes: mp3(), kind: 'audio', mime: 'audio/mpeg' },
        { bytes: isoMedia('M4A '), kind: 'audio', mime: 'audio/mp4' },
        { bytes: webm('audio'), kind: 'audio', mime: 'audio/webm' },
        { bytes: isoMedia('isom'), kind: 'vdo', mime: 'video/mp4' },
        { bytes: isoMedia('qt  '), kind: 'vdo', mime: 'video/quicktime' },
        { bytes: webm('video'), kind: 'vdo', mime: 'video/webm' },
      ];
      for (const [i, c] of cases.entries()) {
        // Every other one as multipart, declared as a JPEG: the declaration is ignored.
        const body = i % 2 === 0 ? c.bytes : form(c.bytes, 'image/jpeg', 'holiday.jpg');
        const res = await upload(t, body);
        expect(res.status, c.mime).toBe(201);
        expect(res.body.attachment, c.mime).toMatchObject({ kind: c.kind, mime: c.mime, size: c.bytes.length });
        expect(res.body.attachment.thumbnailUrl).toBeUndefined();
        const file = await download(res.body.attachment.url);
        expect(file.headers.get('content-type')).toBe(c.mime);
        expect(file.bytes.equals(c.bytes), c.mime).toBe(true);
      }
    });

    it('serves byte ranges: 206 with Content-Range, suffix and open ranges, 416 past the end', async () => {
      const { t } = await app();
      const video = isoMedia('isom', 100_000);
      const { attachment } = (await upload(t, video)).body;
      const size = video.length;
      const first = await download(attachment.url, { range: 'bytes=0-9' });
      expect(first.status).toBe(206);
      expect(first.headers.get('content-range')).toBe(`bytes 0-9/${size}`);
      expect(first.headers.get('content-length')).toBe('10');
      expect(first.bytes.equals(video.subarray(0, 10))).toBe(true);
      const middle = await download(attachment.url, { range: 'bytes=50000-' });
      expect(middle.headers.get('content-range')).toBe(`bytes 50000-${size - 1}/${size}`);
      expect(middle.bytes.equals(video.subarray(50000))).toBe(true);
      const suffix = await download(attachment.url, { range: 'bytes=-100' });
      expect(suffix.status).toBe(206);
      expect(suffix.bytes.equals(video.subarray(size - 100))).toBe(true);
      const past = await download(attachment.url, { range: `bytes=${size}-` });
      expect(past.status).toBe(416);
      expect(past.headers.get('content-range')).toBe(`bytes */${size}`);
      const head = await fetch(attachment.url, { method: 'HEAD' });
      expect(head.status).toBe(200);
      expect(head.headers.get('content-length')).toBe(String(size));
      expect((await head.arrayBuffer()).byteLength).toBe(0);
      const whole = await download(attachment.url, { range: 'bytes=0-0', 'if-range': '"stale"' });
      expect(whole.status).toBe(200);
      expect(whole.headers.get('accept-ranges')).toBe('bytes');
    });

    it('answers 415 for a text file posing as a PNG and for an empty body, leaving nothing', async () => {
      const { t, under, staging } = await app();
      const fake = Buffer.from('I am definitely a PNG image, trust me.\n');
      for (const body of [fake, form(fake, 'image/png', 'photo.png'), Buffer.alloc(0)]) {
        const res = await upload(t, body, body instanceof Buffer ? { headers: { 'content-type': 'image/png' } } : {});
        expect(res.status).toBe(415);
        expect(res.body).toEqual({ success: false, error: { code: 'unsupported_type', message: expect.any(String) } });
      }
      expect(await under.stored()).toEqual([]);
      expect(staging()).toEqual([]);
      expect(rowCount(t)).toBe(0);
    });

    it('answers 413 past the limit of the kind, cutting the upload off instead of reading it all', async () => {
      const { t, under, staging } = await app({ uploadLimits: { image: 100 * 1024, vdo: MiB, audio: 20 * MiB } });
      const big = await noisyPng(300, 300);
      const image = await upload(t, big);
      expect(image.status).toBe(413);
      expect(image.body.error.code).toBe('too_large');
      const multipart = await upload(t, form(big, 'image/png', 'big.png'));
      expect(multipart.status).toBe(413);
      expect(multipart.body.error.code).toBe('too_large');
      // The limit is the kind's: a 1 MiB voice message is over the image limit and well within audio's.
      const voice = await upload(t, wav(70));
      expect(voice.status).toBe(201);
      await t.app.uploads.removeForUser('customer', 'c1');
      // A "video" of 256 MiB sent as a stream: the answer comes after about 1 MiB, the rest is never sent.
      const total = 256 * MiB;
      const video = await streamUpload(t, mp4Header(total), total);
      expect(video.status).toBe(413);
      expect(JSON.parse(video.body).error.code).toBe('too_large');
      expect(video.written).toBeLessThan(32 * MiB);
      await waitUntil('the upload to settle', async () => (await metric(t, 'parley_uploads_in_progress')) === 0, 5000);
      expect(await under.stored()).toEqual([]);
      expect(staging()).toEqual([]);
      expect(rowCount(t)).toBe(0);
    });

    it('leaves no file and no row when the client goes away mid-upload', async () => {
      const { t, under, staging } = await app();
      const total = 64 * MiB;
      // A video (streamed to storage) and an image (staged for cleaning), each cut off by the client.
      const jpegHead = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46, 0x49, 0x46, 0x00, 0x01]);
      for (const [head, abortAfter] of [[mp4Header(total), 8 * MiB], [jpegHead, 4 * MiB]] as const) {
        await streamUpload(t, head, total, {
          abortAfter,
          whenSent: () => waitUntil('the server to receive the upload', async () => (await metric(t, 'parley_uploads_in_progress')) === 1, 5000),
        });
        await waitUntil('the aborted upload to be cleaned up', async () => (await metric(t, 'parley_uploads_in_progress')) === 0, 10_000);
      }
      expect(await metric(t, 'parley_uploads_total{result="created"}')).toBe(0);
      expect(await under.stored()).toEqual([]);
      expect(staging()).toEqual([]);
      expect(rowCount(t)).toBe(0);
    });

    it('keeps files of several S3 parts whole and in order: exactly one part, and two and a bit', async () => {
      const { t, under } = await app();
      for (const size of [5 * MiB, 12 * MiB + 17]) {
        const video = isoMedia('isom', size - 40);
        randomFillSync(video, 40); // distinct bytes everywhere, so a part out of place shows
        const res = await upload(t, video);
        expect(res.status, `${size}`).toBe(201);
        expect(res.body.attachment.size).toBe(video.length);
        const file = await download(res.body.attachment.url);
        expect(file.bytes.equals(video), `${size} bytes read back`).toBe(true);
        const across = await download(res.body.attachment.url, { range: `bytes=${5 * MiB - 3}-${5 * MiB + 2}` });
        expect(across.bytes.equals(video.subarray(5 * MiB - 3, 5 * MiB + 3))).toBe(true);
      }
      expect(await under.stored()).toHaveLength(2);
    });

    it('answers 404 for unknown ids and for the thumbnail of a file that has none', async () => {
      const { t } = await app();
      expect((await download(`${t.url}/v1/uploads/AAAAAAAAAAAAAAAAAAAAAAAA`)).status).toBe(404);
      expect((await download(`${t.url}/v1/uploads/nope`)).status).toBe(404);
      const { attachment } = (await upload(t, wav())).body;
      expect((await download(`${attachment.url}/thumbnail`)).status).toBe(404);
    });

    it('removes unused attachments after 24 h, and keeps the ones messages use', async () => {
      let now = Date.parse('2026-01-01T00:00:00Z');
      const { t, under } = await app({}, { now: () => now });
      const c = await t.connect('c1');
      const v = await t.connect('v1');
      await activeRoom(c, v, 'c1', 'v1', 'tok');
      const used = (await upload(t, await png())).body.attachment;
      const unused = (await upload(t, wav())).body.attachment;
      const sent = await c.request('message', { roomToken: 'tok', type: 'image', attachmentId: used.id });
      expect(sent.success).toBe(true);
      now += 23 * 3600_000;
      expect(await t.app.sweepUploads()).toBe(0);
      now += 2 * 3600_000;
      expect(await t.app.sweepUploads()).toBe(1);
      expect((await download(unused.url)).status).toBe(404);
      expect((await download(used.url)).status).toBe(200);
      expect(await under.stored()).toEqual([used.id, `${used.id}.thumb.webp`].map((k) => expect.stringContaining(k)));
    });

    it('removes the files of deleted messages and of an erased user', async () => {
      const { t, under } = await app();
      const c = await t.connect('c1');
      const v = await t.connect('v1');
      await activeRoom(c, v, 'c1', 'v1', 'tok');
      const first = (await upload(t, await png())).body.attachment;
      const second = (await upload(t, wav())).body.attachment;
      const spare = (await upload(t, mp3())).body.attachment;
      const theirs = (await upload(t, wav(), { userId: 'v1' })).body.attachment;
      const m1 = (await c.request('message', { roomToken: 'tok', type: 'image', attachmentId: first.id })).data.message;
      await c.request('message', { roomToken: 'tok', type: 'audio', attachmentId: second.id });
      expect(await t.app.uploads.removeForMessages([m1._id])).toBe(1);
      expect((await download(first.url)).status).toBe(404);
      expect((await download(first.thumbnailUrl)).status).toBe(404);
      expect((await download(second.url)).status).toBe(200);
      expect(await t.app.uploads.removeForUser('customer', 'c1')).toBe(2);
      for (const gone of [second, spare]) expect((await download(gone.url)).status).toBe(404);
      expect((await download(theirs.url)).status).toBe(200);
      expect(await under.stored()).toEqual([expect.stringContaining(theirs.id)]);
    });
  });
}
