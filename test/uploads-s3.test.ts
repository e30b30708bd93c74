import { afterAll, beforeAll, expect, it } from 'vitest';
import { png } from './support/media.js';
import { createTestApp } from './support/test-app.js';
import { download, upload } from './support/uploads.js';
import { startS3, s3Overrides, type LocalS3 } from './support/s3.js';
import { describeUploads } from './support/upload-suite.js';

// A real S3 endpoint (s3rver, in process, temp directory), one bucket per test.
let s3: LocalS3;
beforeAll(async () => {
  s3 = await startS3();
});
afterAll(async () => {
  await s3?.close();
});

describeUploads('S3 (s3rver)', async () => {
  const bucket = await s3.bucket();
  return { overrides: s3Overrides(s3, bucket), stored: () => s3.keys(bucket) };
});

it('reports the bucket in /readyz', async () => {
  const t = await createTestApp(s3Overrides(s3, await s3.bucket()));
  const ready = await (await fetch(`${t.url}/readyz`)).json();
  expect(ready.checks.uploads).toBe('up');
  const missing = await createTestApp(s3Overrides(s3, 'no-such-bucket'));
  const res = await fetch(`${missing.url}/readyz`);
  expect(res.status).toBe(503);
  expect((await res.json()).checks.uploads).toBe('down');
});

it('lets two nodes share the bucket: uploaded on one, served and removed through the other', async () => {
  const bucket = await s3.bucket();
  const a = await createTestApp(s3Overrides(s3, bucket));
  const b = await createTestApp(s3Overrides(s3, bucket), { dbPath: a.dbPath });
  const { attachment } = (await upload(a, await png(30, 20))).body;
  const viaB = await download(attachment.url.replace(a.url, b.url));
  expect(viaB.status).toBe(200);
  expect(viaB.bytes.length).toBe(attachment.size);
  expect(await b.app.uploads.removeForUser('customer', 'c1')).toBe(1);
  expect((await download(attachment.url)).status).toBe(404);
  expect(await s3.keys(bucket)).toEqual([]);
});
