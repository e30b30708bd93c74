// Runs before `npm start` (and migrate, backup): builds dist/ when it is missing or older than the sources,
// so `npm install && npm start` works on a fresh clone. A deployment that ships only dist/ (no src/) skips it.
// Several processes may ask at once (parallel test files): one builds, the others wait for it.
import { existsSync, mkdirSync, readdirSync, rmSync, statSync, writeFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(fileURLToPath(import.meta.url), '..', '..');
const stamp = join(root, 'dist', '.build-stamp');
const lock = join(root, '.build-lock');
const inputs = ['src', 'tsconfig.json', 'tsconfig.build.json', 'package.json', 'scripts/build.mjs'].map((p) => join(root, p));

function newest(path) {
  const stat = statSync(path, { throwIfNoEntry: false });
  if (!stat) return 0;
  if (!stat.isDirectory()) return stat.mtimeMs;
  return Math.max(stat.mtimeMs, ...readdirSync(path).map((name) => newest(join(path, name))));
}

export function isFresh() {
  const built = statSync(stamp, { throwIfNoEntry: false });
  return built !== undefined && Math.max(...inputs.map(newest)) <= built.mtimeMs;
}

function alive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function readPid() {
  try {
    return Number(readFileSync(join(lock, 'pid'), 'utf8')) || 0;
  } catch {
    return 0; // not written yet, or just released
  }
}

/** Takes the lock, or returns false while another live process holds it (a dead holder's lock is taken over). */
function tryLock() {
  try {
    mkdirSync(lock);
  } catch (err) {
    if (err.code !== 'EEXIST') throw err;
    const holder = readPid();
    if (holder === 0 || alive(holder)) return false;
    rmSync(lock, { recursive: true, force: true });
    return tryLock();
  }
  writeFileSync(join(lock, 'pid'), String(process.pid));
  return true;
}

export async function ensureBuilt() {
  if (!existsSync(join(root, 'src')) || isFresh()) return false;
  while (!tryLock()) await new Promise((resolve) => setTimeout(resolve, 250));
  try {
    if (isFresh()) return false; // built by the process we waited for
    const { build } = await import('./build.mjs');
    const started = performance.now();
    console.error('parley: dist/ is missing or older than src/: building it (npm run build)…');
    await build();
    console.error(`parley: built dist/ in ${((performance.now() - started) / 1000).toFixed(1)} s`);
    return true;
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  ensureBuilt().catch((err) => {
    console.error(`parley: build failed: ${err instanceof Error ? err.message : err}`);
    process.exit(1);
  });
}
