import { execFile, spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { PUBLISHED_SECRETS } from '../src/auth/weak-secrets.js';
import { ConfigError, envOverrides, fileOnlyKeys, loadConfig } from '../src/config/load-config.js';
import { configSchema } from '../src/config/schema.js';
import { captureLogs } from './support/log-capture.js';
import { createTestApp, tempDir } from './support/test-app.js';

const SECRET = 'hardening-config-secret-0123456789abcdef';

function configFile(content: Record<string, unknown>): string {
  const file = join(tempDir(), 'config.json');
  writeFileSync(file, JSON.stringify(content));
  return file;
}

describe('nothing fails open (item 3)', () => {
  it('refuses a NODE_ENV without its config file, naming it', () => {
    expect(() => loadConfig({ env: { NODE_ENV: 'staging' } })).toThrow(ConfigError);
    expect(() => loadConfig({ env: { NODE_ENV: 'staging' } })).toThrow(/NODE_ENV=staging/);
    expect(() => loadConfig({ env: { NODE_ENV: 'staging', JWT_SECRET: SECRET, AUTH_MODE: 'trusted' } })).toThrow(/staging/);
  });

  it('runs jwt unless a config chooses trusted explicitly', () => {
    expect(configSchema.parse({}).authMode).toBe('jwt');
    expect(() => loadConfig({ env: { CONFIG_FILE: configFile({}) } })).toThrow(/authMode is "jwt"/);
    expect(loadConfig({ env: { CONFIG_FILE: configFile({}), JWT_SECRET: SECRET } }).authMode).toBe('jwt');
    for (const name of ['local', 'test']) {
      const file = JSON.parse(readFileSync(join('src/config', `${name}.json`), 'utf8'));
      expect(file.authMode).toBe('trusted');
    }
    expect(loadConfig({ env: {} }).authMode).toBe('trusted');
  });

  it('refuses unknown keys, nested ones too, naming the key', () => {
    expect(() => loadConfig({ env: { CONFIG_FILE: configFile({ authMode: 'trusted', prot: 1 }) } })).toThrow(/unknown key "prot"/);
    const nested = { authMode: 'trusted', rateLimits: { mesage: { points: 1, durationSeconds: 1 } } };
    expect(() => loadConfig({ env: { CONFIG_FILE: configFile(nested) } })).toThrow(/unknown key "rateLimits\.mesage"/);
    const deeper = { authMode: 'trusted', rateLimits: { message: { points: 1, durationSeconds: 1, burst: 2 } } };
    expect(() => loadConfig({ env: { CONFIG_FILE: configFile(deeper) } })).toThrow(/unknown key "rateLimits\.message\.burst"/);
    expect(() => loadConfig({ env: {}, overrides: { maxRoomPerUser: 3 } as never })).toThrow(/unknown key "maxRoomPerUser"/);
  });

  it('refuses a short HS256 secret and the published development secret', () => {
    const jwt = (secret: string) => loadConfig({ env: { AUTH_MODE: 'jwt', JWT_SECRET: secret } });
    expect(() => jwt('short-secret')).toThrow(/jwtSecret \(JWT_SECRET\) is 12 bytes; HS256 needs at least 32/);
    expect(() => jwt('x'.repeat(31))).toThrow(/at least 32/);
    expect(jwt('x'.repeat(32)).jwtSecret).toHaveLength(32);
    for (const published of PUBLISHED_SECRETS) expect(() => jwt(published)).toThrow(/published development secret/);
    // A trusted server never uses the secret, so it is not checked there.
    expect(loadConfig({ env: { JWT_SECRET: 'short' } }).authMode).toBe('trusted');
  });

  it('has an environment variable for every key that is not documented as file-only', () => {
    const viaEnv = new Set(Object.values(envOverrides).map(([key]) => key));
    for (const key of Object.keys(configSchema.shape)) {
      expect(viaEnv.has(key as never) || fileOnlyKeys.has(key as never), `${key} has no environment variable`).toBe(true);
    }
  });

  it('documents every key with its environment variable and default in docs/configuration.md', () => {
    const doc = readFileSync('docs/configuration.md', 'utf8');
    const rows = new Map(
      doc
        .split('\n')
        .map((line) => /^\| `([A-Za-z0-9]+)` \|(.*)$/.exec(line))
        .filter((m): m is RegExpExecArray => m !== null)
        .map((m) => [m[1]!, m[2]!]),
    );
    const envOf = new Map(Object.entries(envOverrides).map(([name, [key]]) => [key as string, name]));
    for (const key of Object.keys(configSchema.shape)) {
      const row = rows.get(key);
      expect(row, `docs/configuration.md has no row for ${key}`).toBeDefined();
      expect(row).toContain(envOf.has(key) ? `\`${envOf.get(key)}\`` : 'file only');
    }
  });

  it('parses booleans and numbers from the environment, and names a bad one', () => {
    const config = loadConfig({
      env: { JWT_REQUIRE_EXP: 'false', SERVE_DOCS: '0', MAX_PENDING_PER_USER: '7', WRITE_BATCH_DELAY_MS: '1.5', TRUST_PROXY: 'true' },
    });
    expect(config).toMatchObject({ jwtRequireExp: false, serveDocs: false, maxPendingPerUser: 7, writeBatchDelayMs: 1.5, trustProxy: true });
    expect(() => loadConfig({ env: { SERVE_DEMO: 'yes' } })).toThrow(/SERVE_DEMO must be true or false/);
  });
});

describe('tokens must expire (item 3: jwtRequireExp)', () => {
  const key = new TextEncoder().encode(SECRET);
  const forever = () => new SignJWT({ sub: 'alice' }).setProtectedHeader({ alg: 'HS256' }).sign(key);

  it('refuses a token without exp by default, and logs why', async () => {
    const logs = captureLogs();
    const t = await createTestApp({ authMode: 'jwt', jwtSecret: SECRET }, { logger: logs.logger });
    const err = await t.open('customer', { auth: { token: await forever() } }).connectError();
    expect(err.message).toBe('unauthorized');
    await logs.waitFor((l) => l.reason === 'missing_exp');
    const res = await fetch(`${t.url}/v1/chat/?roomToken=x&namespace=customer`, { headers: { authorization: `Bearer ${await forever()}` } });
    expect(res.status).toBe(401);
  });

  it('accepts one when jwtRequireExp is false', async () => {
    const t = await createTestApp({ authMode: 'jwt', jwtSecret: SECRET, jwtRequireExp: false });
    await expect(t.open('customer', { auth: { token: await forever() } }).connected()).resolves.toBeDefined();
  });
});

describe('npm run token (item 3)', () => {
  const run = promisify(execFile);
  const token = (env: Record<string, string>) =>
    run(process.execPath, ['--import', 'tsx', 'scripts/token.ts', 'dave'], { env: { ...process.env, JWT_ISSUER: '', JWT_AUDIENCE: '', ...env } });

  it('refuses to sign without JWT_SECRET, with a short one or with the published one', async () => {
    await expect(token({ JWT_SECRET: '' })).rejects.toMatchObject({ code: 1, stderr: expect.stringMatching(/JWT_SECRET is not set/) });
    await expect(token({ JWT_SECRET: 'short' })).rejects.toMatchObject({ code: 1, stderr: expect.stringMatching(/at least 32/) });
    await expect(token({ JWT_SECRET: PUBLISHED_SECRETS[0]! })).rejects.toMatchObject({ code: 1 });
  }, 30_000);
});

describe('operations endpoints in production (item 13)', () => {
  it('production.json turns off the demo, the OpenAPI document and public metrics', () => {
    const config = loadConfig({ env: { NODE_ENV: 'production', JWT_SECRET: SECRET } });
    expect(config).toMatchObject({ serveDemo: false, serveDocs: false, metricsPublic: false });
  });

  it('serves none of them when they are off', async () => {
    const t = await createTestApp({ serveDemo: false, serveDocs: false, metricsPublic: false });
    for (const path of ['/metrics', '/docs/json', '/', '/index.html']) expect((await fetch(`${t.url}${path}`)).status).toBe(404);
    expect((await fetch(`${t.url}/healthz`)).status).toBe(200);
  });

  it('serves them by default outside production', async () => {
    const t = await createTestApp();
    for (const path of ['/metrics', '/docs/json', '/']) expect((await fetch(`${t.url}${path}`)).status).toBe(200);
  });

  it('requires Authorization: Bearer <metricsToken> for /metrics when a token is set, and logs refusals', async () => {
    const logs = captureLogs();
    const metricsToken = 'metrics-token-0123456789';
    const t = await createTestApp({ metricsPublic: false, metricsToken }, { logger: logs.logger });
    const scrape = (authorization?: string) =>
      fetch(`${t.url}/metrics`, { headers: authorization ? { authorization } : {} });
    expect((await scrape()).status).toBe(401);
    expect((await scrape('Bearer wrong-token-0123456789')).status).toBe(401);
    const ok = await scrape(`Bearer ${metricsToken}`);
    expect(ok.status).toBe(200);
    expect(await ok.text()).toContain('# TYPE parley_sockets gauge');
    await logs.waitFor((l) => l.msg?.startsWith('request unauthorized') && l.reason === 'wrong_token' && l.path === '/metrics');
    expect(logs.text()).not.toContain('wrong-token-0123456789');
    // A token protects metrics even when metricsPublic is on.
    const guarded = await createTestApp({ metricsPublic: true, metricsToken });
    expect((await fetch(`${guarded.url}/metrics`)).status).toBe(401);
  });
});

describe('one log format (item 19)', () => {
  it('prints "listening on" and the shutdown as pino JSON lines, whatever LOG_LEVEL', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
      env: { ...process.env, NODE_ENV: '', LOG_LEVEL: 'silent', PORT: '0', HOST: '127.0.0.1', DATABASE_URL: 'sqlite::memory:' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    const onData = (chunk: Buffer) => {
      out += chunk.toString();
      if (/listening on/.test(out) && !child.killed) child.kill('SIGTERM');
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    const code = await new Promise((resolve) => child.on('exit', resolve));
    expect(code).toBe(0);
    const lines = out.trim().split('\n').map((line) => JSON.parse(line));
    const listening = lines.find((l) => /listening on 127\.0\.0\.1:\d+/.test(l.msg));
    expect(listening).toMatchObject({ level: 30, name: 'parley', host: '127.0.0.1', port: expect.any(Number) });
    expect(listening.msg).toContain(`:${listening.port}`);
    expect(lines.some((l) => /SIGTERM received/.test(l.msg))).toBe(true);
  }, 30_000);
});
