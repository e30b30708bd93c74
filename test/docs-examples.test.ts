import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUILD_TIMEOUT_MS, ensureBuilt, root } from './support/build.js';
import { createTestApp } from './support/test-app.js';

const run = promisify(execFile);

/**
 * The example after `<!-- example: <name> -->` in a doc, exactly as printed: the first ```js block after
 * the marker, and the ```text block after it (what the example prints).
 */
function example(doc: string, name: string): { code: string; output: string } {
  const text = readFileSync(join(root, doc), 'utf8');
  const at = text.indexOf(`<!-- example: ${name} -->`);
  if (at < 0) throw new Error(`${doc} has no <!-- example: ${name} --> marker`);
  const code = /```js\n([\s\S]*?)```/.exec(text.slice(at));
  const output = code && /```text\n([\s\S]*?)```/.exec(text.slice(at + code.index + code[0].length));
  if (!code || !output) throw new Error(`${doc}: the ${name} example needs a js block and a text block after its marker`);
  return { code: code[1]!, output: output[1]! };
}

// Inside the repository, so the example resolves socket.io-client and `parley/client` as a reader's copy would.
const scratch = mkdtempSync(join(root, '.docs-example-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

async function runExample(file: string, url: string): Promise<{ stdout: string; stderr: string }> {
  return run(process.execPath, [file], { cwd: root, env: { ...process.env, PARLEY_URL: url }, timeout: 20_000 });
}

describe('documentation examples run as printed', () => {
  beforeAll(ensureBuilt, BUILD_TIMEOUT_MS); // the SDK example imports the built parley/client

  const examples: Array<[string, string, string]> = [
    ['README.md', 'readme', 'hello.mjs'],
    ['docs/client.md', 'sdk', 'sdk-hello.mjs'],
  ];
  for (const [doc, name, fileName] of examples) {
    it(`${doc} (${name}): exits 0 with the printed output, on a fresh and then a used database`, { timeout: 60_000 }, async () => {
      const { code, output } = example(doc, name);
      const file = join(scratch, fileName);
      writeFileSync(file, code);
      const t = await createTestApp();
      for (const attempt of ['fresh database', 'used database']) {
        const result = await runExample(file, t.url).catch((err: { code?: number; stdout?: string; stderr?: string }) => {
          throw new Error(`${doc} example failed on a ${attempt} (exit ${err.code}):\n${err.stdout}\n${err.stderr}`);
        });
        expect(result.stdout, attempt).toBe(output);
      }
    });
  }
});

describe('the docs stand on their own', () => {
  const docs = ['README.md', ...readdirSync(join(root, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)];
  const read = (doc: string) => readFileSync(join(root, doc), 'utf8');

  it('never point outside the repository (no shared/ folder, no SPEC file)', () => {
    const outside = docs.flatMap((doc) =>
      read(doc)
        .split('\n')
        .map((line, i) => ({ where: `${doc}:${i + 1}`, line }))
        .filter(({ line }) => /shared\/|SPEC/.test(line)),
    );
    expect(outside).toEqual([]);
  });

  it("README's first screen has exactly two set-up commands, npm install && npm start and npm test", () => {
    const first = /```sh\n([\s\S]*?)```/.exec(read('README.md'))!;
    expect(read('README.md').slice(0, first.index).split('\n').length).toBeLessThan(15);
    const commands = first[1]!.split('\n').map((l) => l.replace(/#.*$/, '').trim()).filter(Boolean);
    expect(commands).toEqual(['npm install && npm start', 'npm test']);
  });

  it('explain namespaces, the token script, the PostgreSQL quick start and deployment', () => {
    const readme = read('README.md');
    expect(readme).toMatch(/same namespace/);
    expect(readme).toMatch(/npm run -s token/);
    expect(readme).toMatch(/CREATE ROLE parley[\s\S]*CREATE DATABASE parley OWNER parley/);
    const deploy = read('docs/deploy.md');
    for (const topic of ['npm run build', '[Service]', 'Upgrade $http_upgrade', 'preStop', 'npm run migrate', 'npm run backup', 'pg_dump', 'Start-up time']) {
      expect(deploy, topic).toContain(topic);
    }
  });
});
