import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Logger } from 'pino';

// src/ under tsx, dist/ when built: the SDK sits in <root>/client and imports <root>/protocol.
const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const SDK_FILE = /^[a-z][a-z-]*\.js$/;
const PROTOCOL_FILES = new Set(['events.js', 'errors.js']);

/**
 * What the demo page loads besides public/: socket.io-client's ESM build at /vendor/socket.io/, and the
 * SDK itself at /sdk/client/*.js, so the page runs the very code the SDK tests exercise.
 */
export async function registerDemoAssets(app: FastifyInstance, log: Logger): Promise<void> {
  let vendorDir: string | undefined;
  try {
    vendorDir = join(dirname(createRequire(import.meta.url).resolve('socket.io-client/package.json')), 'dist');
  } catch {
    log.warn('socket.io-client is not installed: the demo page cannot connect');
  }
  if (vendorDir) {
    await app.register(fastifyStatic, { root: vendorDir, prefix: '/vendor/socket.io/', decorateReply: false });
  }

  const compiled = new Map<string, string>();
  app.get<{ Params: { dir: string; file: string } }>('/sdk/:dir/:file', { schema: { hide: true } }, async (req, reply) => {
    const { dir, file } = req.params;
    const allowed = dir === 'client' ? SDK_FILE.test(file) : dir === 'protocol' && PROTOCOL_FILES.has(file);
    if (!allowed) return reply.callNotFound();
    const key = `${dir}/${file}`;
    let code = compiled.get(key);
    if (code === undefined) {
      code = await loadModule(join(root, dir, file));
      if (code === undefined) return reply.callNotFound();
      compiled.set(key, code);
    }
    return reply.type('text/javascript; charset=utf-8').header('cache-control', 'no-cache').send(code);
  });
}

/** The built .js when running from dist/, else the .ts source with its types stripped by esbuild (tsx's). */
async function loadModule(jsPath: string): Promise<string | undefined> {
  if (existsSync(jsPath)) return readFile(jsPath, 'utf8');
  const tsPath = jsPath.replace(/\.js$/, '.ts');
  if (!existsSync(tsPath)) return undefined;
  const { transform } = await import('esbuild');
  const result = await transform(await readFile(tsPath, 'utf8'), { loader: 'ts', format: 'esm', target: 'es2022' });
  return result.code;
}
