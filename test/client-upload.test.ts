import { SignJWT } from 'jose';
import { describe, expect, it, onTestFinished } from 'vitest';
import { createParleyClient, ParleyError, type ParleyClientOptions } from '../src/client/index.js';
import { png, wav } from './support/media.js';
import { createTestApp, type TestApp } from './support/test-app.js';

async function sdk(t: TestApp, who: { userId: string } | { token: string }) {
  const client = createParleyClient({ url: t.url, namespace: 'customer', ...who } as ParleyClientOptions);
  onTestFinished(() => client.close());
  await client.ready();
  return client;
}

describe('SDK: upload and sendAttachment', () => {
  it('uploads a Buffer or a Blob and sends it as a media message by attachmentId', async () => {
    const t = await createTestApp();
    const customer = await sdk(t, { userId: 'c1' });
    const vendor = await sdk(t, { userId: 'v1' });
    await customer.joinRoom({ customerID: 'c1', vendorID: 'v1', roomToken: 'r1' });
    await vendor.acceptRoom({ roomToken: 'r1' });

    const photo = await customer.upload(await png(100, 50));
    expect(photo).toMatchObject({ kind: 'image', mime: 'image/png', width: 100, height: 50 });
    const voice = await customer.upload(new Blob([new Uint8Array(wav())], { type: 'audio/wav' }));
    expect(voice.kind).toBe('audio');

    const delivered = new Promise((resolve) => vendor.on('message', resolve));
    const { message } = await customer.sendAttachment(photo, { roomToken: 'r1' });
    expect(message).toMatchObject({ message_type: 'image', message: photo.url, attachment: photo });
    expect(await delivered).toEqual(message);
  });

  it('rejects with the server’s error code, and uses the Bearer token in jwt mode', async () => {
    const secret = 'sdk-upload-secret-long-enough-for-hs256';
    const t = await createTestApp({ authMode: 'jwt', jwtSecret: secret });
    const token = await new SignJWT({ sub: 'c9' }).setProtectedHeader({ alg: 'HS256' }).setExpirationTime('1h').sign(new TextEncoder().encode(secret));
    const client = await sdk(t, { token });
    const refused = await client.upload(new TextEncoder().encode('not a picture')).catch((err: unknown) => err);
    expect(refused).toBeInstanceOf(ParleyError);
    expect((refused as ParleyError).code).toBe('unsupported_type');
    expect((await client.upload(wav())).kind).toBe('audio');
  });
});
