import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../src/config/load-config.js';
import { tempDir } from './support/test-app.js';

const SECRET = 'config-test-secret-0123456789-abcdef';

describe('config (SPEC §1)', () => {
  it('has the documented defaults for the local env', () => {
    const config = loadConfig({ env: {} });
    expect(config).toMatchObject({
      port: 3300,
      host: '0.0.0.0',
      namespaces: ['customer', 'artisans'],
      databaseUrl: 'sqlite:./data/parley.db',
      authMode: 'trusted',
      maxHttpBufferSize: 65536,
      maxMessageLength: 4000,
    });
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.namespaces)).toBe(true);
  });

  it('lets environment variables override the file', () => {
    const config = loadConfig({
      env: { PORT: '4000', HOST: '127.0.0.1', DATABASE_URL: 'sqlite::memory:', NAMESPACES: 'a, b', AUTH_MODE: 'jwt', JWT_SECRET: SECRET },
    });
    expect(config).toMatchObject({ port: 4000, host: '127.0.0.1', databaseUrl: 'sqlite::memory:', namespaces: ['a', 'b'], authMode: 'jwt' });
  });

  it('reads src/config/<NODE_ENV>.json and CONFIG_FILE', () => {
    expect(() => loadConfig({ env: { NODE_ENV: 'production' } })).toThrow(/jwtSecret|JWT_SECRET/);
    expect(loadConfig({ env: { NODE_ENV: 'production', JWT_SECRET: SECRET } }).authMode).toBe('jwt');
    const file = join(tempDir(), 'custom.json');
    writeFileSync(file, JSON.stringify({ authMode: 'trusted', port: 5001, namespaces: ['shop'] }));
    expect(loadConfig({ env: { CONFIG_FILE: file } })).toMatchObject({ port: 5001, namespaces: ['shop'] });
    expect(() => loadConfig({ env: { CONFIG_FILE: join(tempDir(), 'missing.json') } })).toThrow(ConfigError);
  });

  it('names the key of a bad value', () => {
    expect(() => loadConfig({ env: { PORT: 'abc' } })).toThrow(/PORT/);
    expect(() => loadConfig({ env: { PORT: '70000' } })).toThrow(/^config: port:/);
    expect(() => loadConfig({ env: { AUTH_MODE: 'open' } })).toThrow(/authMode/);
    expect(() => loadConfig({ env: { DATABASE_URL: 'mysql://x' } })).toThrow(/databaseUrl/);
    expect(() => loadConfig({ env: { WRITE_BATCH_SIZE: '10000' } })).toThrow(/writeBatchSize/);
    expect(loadConfig({ env: { WRITE_BATCH_SIZE: '5000' } }).writeBatchSize).toBe(5000);
  });
});

function run(env: Record<string, string>): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
      env: { ...process.env, NODE_ENV: '', LOG_LEVEL: 'silent', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    const onData = (chunk: Buffer) => {
      out += chunk.toString();
      if (out.includes('listening on')) child.kill('SIGTERM');
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('exit', (code) => resolve({ code, out }));
  });
}

describe('the process (npm start)', () => {
  it('prints "listening on" with the port, and exits 0 on SIGTERM', async () => {
    const dir = tempDir();
    const { code, out } = await run({ PORT: '0', HOST: '127.0.0.1', DATABASE_URL: `sqlite:${join(dir, 'sub', 'p.db')}` });
    expect(out).toMatch(/listening on 127\.0\.0\.1:\d+/);
    expect(code).toBe(0);
  }, 30_000);

  it('exits 1 with one line naming the key when config is bad', async () => {
    const { code, out } = await run({ PORT: 'seventy' });
    expect(code).toBe(1);
    const lines = out.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0]!)).toMatchObject({ level: 60, msg: expect.stringMatching(/^config: PORT must be a whole number/) });
  }, 30_000);
});
