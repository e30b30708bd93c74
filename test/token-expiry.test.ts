import { SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { createTestApp } from './support/test-app.js';

const SECRET = 'test-secret-that-is-long-enough-for-hs256';

function token(sub: string, expiresInSeconds: number): Promise<string> {
  const exp = Math.floor(Date.now() / 1000) + expiresInSeconds;
  return new SignJWT({ sub, exp }).setProtectedHeader({ alg: 'HS256' }).sign(new TextEncoder().encode(SECRET));
}

describe('token lifetime (jwt mode)', () => {
  it('disconnects a socket when its token expires, and keeps one whose token is still valid', async () => {
    const t = await createTestApp({ authMode: 'jwt', jwtSecret: SECRET, jwtClockToleranceSeconds: 0 });
    const shortLived = await t.open('customer', { auth: { token: await token('alice', 2) } }).connected();
    const longLived = await t.open('customer', { auth: { token: await token('bob', 3600) } }).connected();
    const reason = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('not disconnected within 5 s')), 5000);
      shortLived.socket.once('disconnect', (why) => {
        clearTimeout(timer);
        resolve(why);
      });
    });
    expect(reason).toBe('io server disconnect');
    await longLived.barrier();
    expect(longLived.socket.connected).toBe(true);
  });
});
