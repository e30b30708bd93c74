// `npm run build`: everything production runs, in dist/ — the compiled server and SDK (tsc), the config
// files, and the demo page's SDK bundle (esbuild, ahead of time: the server never compiles anything).
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readdirSync, utimesSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = join(dirname(fileURLToPath(import.meta.url)), '..');
export const dist = join(root, 'dist');
/** Written last; its time is the build's start, so an edit made during a build makes the next check rebuild. */
export const stampFile = join(dist, '.build-stamp');
export const browserBundle = join(dist, 'browser', 'parley-client.js');

export async function build() {
  const started = new Date();
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  const compiled = spawnSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.build.json')], { cwd: root, stdio: 'inherit' });
  if (compiled.status !== 0) throw new Error(`tsc failed (exit ${compiled.status ?? compiled.signal})`);

  mkdirSync(join(dist, 'config'), { recursive: true });
  for (const file of readdirSync(join(root, 'src', 'config')).filter((f) => f.endsWith('.json'))) {
    copyFileSync(join(root, 'src', 'config', file), join(dist, 'config', file));
  }

  // The SDK with socket.io-client inside, as one ES module for the demo page (served at /sdk/client/index.js).
  const { build: bundle } = await import('esbuild');
  await bundle({
    entryPoints: [join(root, 'src', 'client', 'index.ts')],
    outfile: browserBundle,
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2020',
    minify: true,
    legalComments: 'inline',
    logLevel: 'warning',
  });

  writeFileSync(stampFile, `${started.toISOString()}\n`);
  utimesSync(stampFile, started, started);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const t0 = performance.now();
  build().then(
    () => console.log(`parley: built dist/ in ${((performance.now() - t0) / 1000).toFixed(1)} s`),
    (err) => {
      console.error(`parley: build failed: ${err instanceof Error ? err.message : err}`);
      process.exit(1);
    },
  );
}
