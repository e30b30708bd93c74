import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { join } from 'node:path';
import { decodeJwt, exportJWK, exportSPKI, generateKeyPair, SignJWT, UnsecuredJWT, type CryptoKey, type JWTPayload } from 'jose';
import pino from 'pino';
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { ConfigInput } from '../src/config/schema.js';
import { createTestApp, tempDir, type TestApp } from './support/test-app.js';

const SECRET = 'test-secret-that-is-long-enough-for-hs256';
const secretKey = new TextEncoder().encode(SECRET);
const now = () => Math.floor(Date.now() / 1000);

type Alg = 'HS256' | 'RS256' | 'ES256';
/** Signs the claims; `exp` is one minute ahead unless the claims set it (`exp: undefined` leaves it out). */
function sign(claims: JWTPayload, key: CryptoKey | Uint8Array = secretKey, alg: Alg = 'HS256', kid?: string): Promise<string> {
  const withExp = 'exp' in claims ? claims : { ...claims, exp: now() + 60 };
  if (withExp.exp === undefined) delete withExp.exp;
  return new SignJWT(withExp).setProtectedHeader({ alg, ...(kid ? { kid } : {}) }).setIssuedAt().sign(key);
}

async function keyPair(alg: 'RS256' | 'ES256') {
  const pair = await generateKeyPair(alg, { extractable: true });
  return { ...pair, pem: await exportSPKI(pair.publicKey) };
}

function jwtApp(overrides: Partial<ConfigInput> = {}): Promise<TestApp> {
  return createTestApp({ authMode: 'jwt', ...overrides });
}

async function refused(t: TestApp, opts: { auth?: Record<string, unknown>; query?: Record<string, string> }) {
  const err = await t.open('customer', opts).connectError();
  expect(err.message).toBe('unauthorized');
  expect(err.data).toEqual({ code: 'unauthorized', message: 'unauthorized' });
}

/** Connects with the token and returns the id the server assigned (via a room it creates as customer). */
async function whoAmI(t: TestApp, opts: { auth?: Record<string, unknown>; query?: Record<string, string> }, guess: string) {
  const client = await t.open('customer', opts).connected();
  const res = await client.request('join-room', { customerID: guess, vendorID: 'whoami-vendor', roomToken: `who-${guess}-${Math.random()}` });
  client.close();
  return res.success ? res.data.room.createdBy : undefined;
}

describe('jwt mode: HS256 (jwtSecret)', () => {
  it('accepts a valid token in auth.token, query.token, with or without "Bearer "', async () => {
    const t = await jwtApp({ jwtSecret: SECRET });
    const token = await sign({ sub: 'alice', exp: now() + 60 });
    expect(await whoAmI(t, { auth: { token } }, 'alice')).toBe('alice');
    expect(await whoAmI(t, { query: { token } }, 'alice')).toBe('alice');
    expect(await whoAmI(t, { auth: { token: `Bearer ${token}` } }, 'alice')).toBe('alice');
  });

  it('ignores query ids: the identity is the token subject only', async () => {
    const t = await jwtApp({ jwtSecret: SECRET });
    const token = await sign({ sub: 'alice' });
    // Claiming to be mallory through the query changes nothing: acting as mallory is forbidden.
    const client = await t.open('customer', { auth: { token }, query: { userId: 'mallory', customerID: 'mallory' } }).connected();
    const asMallory = await client.request('join-room', { customerID: 'mallory', vendorID: 'v1', roomToken: 'm' });
    expect(asMallory.error.code).toBe('forbidden');
    expect((await client.request('join-room', { customerID: 'alice', vendorID: 'v1', roomToken: 'a' })).data.room.createdBy).toBe('alice');
    await refused(t, { query: { userId: 'alice' } });
    await refused(t, { query: { customerID: 'alice' } });
  });

  it('takes a numeric sub as its decimal string', async () => {
    const t = await jwtApp({ jwtSecret: SECRET });
    const token = await sign({ sub: 42 as unknown as string });
    expect(await whoAmI(t, { auth: { token } }, '42')).toBe('42');
  });

  it('refuses malformed, missing or oversized subjects', async () => {
    const t = await jwtApp({ jwtSecret: SECRET });
    for (const sub of ['has space', '', 'x'.repeat(129), 'ünïcode', 'a/b', undefined, { id: 'a' }, ['a'], true, 1e21]) {
      await refused(t, { auth: { token: await sign({ sub } as JWTPayload) } });
    }
  });

  it('honours 30 s of clock skew on exp and nbf, and refuses beyond it', async () => {
    const t = await jwtApp({ jwtSecret: SECRET });
    expect(await whoAmI(t, { auth: { token: await sign({ sub: 'a1', exp: now() - 15 }) } }, 'a1')).toBe('a1');
    expect(await whoAmI(t, { auth: { token: await sign({ sub: 'a2', nbf: now() + 15 }) } }, 'a2')).toBe('a2');
    await refused(t, { auth: { token: await sign({ sub: 'a3', exp: now() - 45 }) } });
    await refused(t, { auth: { token: await sign({ sub: 'a4', nbf: now() + 45 }) } });
  });

  it('refuses alg none, a bad signature, another secret, garbage and missing tokens', async () => {
    const t = await jwtApp({ jwtSecret: SECRET });
    const good = await sign({ sub: 'alice' });
    const [header, , signature] = good.split('.');
    const forged = `${header}.${Buffer.from(JSON.stringify({ sub: 'admin' })).toString('base64url')}.${signature}`;
    const tokens: unknown[] = [
      new UnsecuredJWT({ sub: 'alice' }).encode(),
      forged,
      await sign({ sub: 'alice' }, new TextEncoder().encode('another-secret')),
      `${good}x`,
      'not.a.jwt',
      '',
      'Bearer ',
      42,
      { token: good },
      'x'.repeat(9000),
    ];
    for (const token of tokens) await refused(t, { auth: { token } });
    await refused(t, {});
  });

  it('refuses RS256 and ES256 tokens when only a secret is configured', async () => {
    const t = await jwtApp({ jwtSecret: SECRET });
    for (const alg of ['RS256', 'ES256'] as const) {
      const { privateKey } = await keyPair(alg);
      await refused(t, { auth: { token: await sign({ sub: 'alice' }, privateKey, alg) } });
    }
  });

  it('checks iss and aud when configured', async () => {
    const t = await jwtApp({ jwtSecret: SECRET, jwtIssuer: 'parley-auth', jwtAudience: 'parley' });
    const token = await sign({ sub: 'alice', iss: 'parley-auth', aud: 'parley' });
    expect(await whoAmI(t, { auth: { token } }, 'alice')).toBe('alice');
    await refused(t, { auth: { token: await sign({ sub: 'alice', iss: 'elsewhere', aud: 'parley' }) } });
    await refused(t, { auth: { token: await sign({ sub: 'alice', iss: 'parley-auth', aud: 'other' }) } });
    await refused(t, { auth: { token: await sign({ sub: 'alice', aud: 'parley' }) } });
    await refused(t, { auth: { token: await sign({ sub: 'alice', iss: 'parley-auth' }) } });
  });
});

describe('jwt mode: RS256 / ES256 (jwtPublicKey)', () => {
  it('accepts RS256 with an RSA key and refuses HS256, ES256 and HS256-signed-with-the-PEM', async () => {
    const rsa = await keyPair('RS256');
    const t = await jwtApp({ jwtPublicKey: rsa.pem });
    expect(await whoAmI(t, { auth: { token: await sign({ sub: 'alice' }, rsa.privateKey, 'RS256') } }, 'alice')).toBe('alice');
    await refused(t, { auth: { token: await sign({ sub: 'alice' }) } });
    await refused(t, { auth: { token: await sign({ sub: 'alice' }, new TextEncoder().encode(rsa.pem)) } });
    await refused(t, { auth: { token: await sign({ sub: 'alice' }, (await keyPair('ES256')).privateKey, 'ES256') } });
    await refused(t, { auth: { token: await sign({ sub: 'alice' }, (await keyPair('RS256')).privateKey, 'RS256') } });
  });

  it('accepts ES256 with a P-256 key and refuses RS256', async () => {
    const ec = await keyPair('ES256');
    const t = await jwtApp({ jwtPublicKey: ec.pem });
    expect(await whoAmI(t, { query: { token: await sign({ sub: 'bob' }, ec.privateKey, 'ES256') } }, 'bob')).toBe('bob');
    await refused(t, { auth: { token: await sign({ sub: 'bob' }, (await keyPair('RS256')).privateKey, 'RS256') } });
    await refused(t, { auth: { token: await sign({ sub: 'bob', exp: now() - 60 }, ec.privateKey, 'ES256') } });
  });

  it('refuses to start with a key it could never verify with', async () => {
    const ed = await generateKeyPair('EdDSA', { extractable: true });
    await expect(jwtApp({ jwtPublicKey: await exportSPKI(ed.publicKey) })).rejects.toThrow(/RSA key|P-256/);
    await expect(jwtApp({ jwtPublicKey: 'not a pem' })).rejects.toThrow(/PEM/);
  });
});

describe('jwt mode: JWKS file (jwtJwksFile)', () => {
  it('verifies with the key named by kid and refuses unknown kids and HS256', async () => {
    const rsa = await keyPair('RS256');
    const ec = await keyPair('ES256');
    const file = join(tempDir(), 'jwks.json');
    const keys = [
      { ...(await exportJWK(rsa.publicKey)), kid: 'r1', alg: 'RS256', use: 'sig' },
      { ...(await exportJWK(ec.publicKey)), kid: 'e1', alg: 'ES256', use: 'sig' },
    ];
    writeFileSync(file, JSON.stringify({ keys }));
    const t = await jwtApp({ jwtJwksFile: file });
    expect(await whoAmI(t, { auth: { token: await sign({ sub: 'r' }, rsa.privateKey, 'RS256', 'r1') } }, 'r')).toBe('r');
    expect(await whoAmI(t, { auth: { token: await sign({ sub: 'e' }, ec.privateKey, 'ES256', 'e1') } }, 'e')).toBe('e');
    await refused(t, { auth: { token: await sign({ sub: 'r' }, rsa.privateKey, 'RS256', 'nope') } });
    await refused(t, { auth: { token: await sign({ sub: 'r' }, (await keyPair('RS256')).privateKey, 'RS256', 'r1') } });
    await refused(t, { auth: { token: await sign({ sub: 'r' }) } });
  });
});

describe('jwt mode: history over HTTP', () => {
  it('answers 401 before anything else, 403 to a non-member and 200 to a member', async () => {
    const t = await jwtApp({ jwtSecret: SECRET });
    const tokens = { alice: await sign({ sub: 'alice' }), bob: await sign({ sub: 'bob' }), eve: await sign({ sub: 'eve' }) };
    const alice = await t.open('customer', { auth: { token: tokens.alice } }).connected();
    const bob = await t.open('customer', { auth: { token: tokens.bob } }).connected();
    await alice.request('join-room', { customerID: 'alice', vendorID: 'bob', roomToken: 'ab' });
    await bob.request('accept-room', { roomToken: 'ab' });
    await alice.request('message', { roomToken: 'ab', message: 'secret plans' });

    const get = async (query: string, authorization?: string) => {
      const res = await fetch(`${t.url}/v1/chat/?${query}`, { headers: authorization ? { authorization } : {} });
      return { status: res.status, body: await res.json() };
    };
    const q = 'roomToken=ab&namespace=customer';
    for (const [query, auth] of [
      [q, undefined],
      [q, 'Bearer nope'],
      [q, tokens.alice.slice(0, -2)],
      [q, `Basic ${Buffer.from('alice:pw').toString('base64')}`],
      ['', undefined],
      ['roomToken=ab', 'Bearer garbage'],
      ['roomToken=zz&namespace=nope&page=x', undefined],
    ] as const) {
      const res = await get(query, auth);
      expect(res.status).toBe(401);
      expect(res.body).toEqual({ success: false, error: { code: 'unauthorized', message: 'unauthorized' } });
    }
    expect(await get(q, `Bearer ${tokens.eve}`)).toMatchObject({ status: 403, body: { error: { code: 'forbidden' } } });
    const ok = await get(q, `Bearer ${tokens.bob}`);
    expect(ok.status).toBe(200);
    expect(ok.body.data.messages.map((m: { message: string }) => m.message)).toEqual(['secret plans']);
    expect((await get(q, `bearer ${tokens.alice}`)).status).toBe(200);
    expect((await get('namespace=customer', `Bearer ${tokens.alice}`)).status).toBe(400);
  });
});

describe('trusted mode', () => {
  it('starts without a secret and warns exactly once', async () => {
    const lines: string[] = [];
    const sink = new Writable({ write: (chunk, _enc, done) => (lines.push(String(chunk)), done()) });
    const t = await createTestApp({ authMode: 'trusted' }, { logger: pino({ level: 'warn' }, sink) });
    expect(await whoAmI(t, { query: { userId: 'carol' } }, 'carol')).toBe('carol');
    expect(lines.filter((l) => l.includes('AUTH_MODE=trusted'))).toHaveLength(1);
  });
});

describe('scripts/token.ts (npm run token)', () => {
  it('mints an HS256 token with JWT_SECRET that the server accepts, with the asked ttl', async () => {
    const t = await jwtApp({ jwtSecret: SECRET });
    const run = promisify(execFile);
    const { stdout } = await run(process.execPath, ['--import', 'tsx', 'scripts/token.ts', 'dave', '--ttl', '120'], {
      env: { ...process.env, JWT_SECRET: SECRET, JWT_ISSUER: '', JWT_AUDIENCE: '' },
    });
    const token = stdout.trim();
    const claims = decodeJwt(token);
    expect(claims).toMatchObject({ sub: 'dave' });
    expect(claims.exp! - claims.iat!).toBe(120);
    expect(await whoAmI(t, { auth: { token } }, 'dave')).toBe('dave');
    await expect(run(process.execPath, ['--import', 'tsx', 'scripts/token.ts', 'not valid'])).rejects.toMatchObject({ code: 1 });
  }, 30_000);
});
