import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
// Not part of `npm test` (it needs the machine's CPU to itself): `npm run test:bench-smoke` (vitest.bench-smoke.config.ts).
import type { Results } from '../bench/lib/results.js';
import { BUILD_TIMEOUT_MS, ensureBuilt } from './support/build.js';

const hasTaskset = spawnSync('taskset', ['--version'], { stdio: 'ignore' }).status === 0;
const suite = hasTaskset ? describe : describe.skip;
const title = hasTaskset
  ? 'bench harness (npm run bench -- --quick --smoke)'
  : 'bench harness — SKIPPED: `taskset` (util-linux) is not installed, so the bench cannot pin server and load generator to separate cores';

/** Runs the tiny smoke variant of the bench (a few clients, about a second per step, a tiny seed). */
function runSmoke(outDir: string): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const args = ['--import', 'tsx', 'bench/run.ts', '--quick', '--smoke', '--out', outDir, '--only', 'b1,b2,parley,history,durability'];
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    // SIGTERM first: the bench then stops the servers it started; SIGKILL only if that hangs.
    const term = setTimeout(() => child.kill('SIGTERM'), 105_000);
    const kill = setTimeout(() => child.kill('SIGKILL'), 112_000);
    child.on('exit', (code) => {
      clearTimeout(term);
      clearTimeout(kill);
      resolve({ code, output });
    });
  });
}

suite(title, () => {
  const outDir = mkdtempSync(join(tmpdir(), 'parley-bench-smoke-'));
  afterAll(() => rmSync(outDir, { recursive: true, force: true }));
  beforeAll(ensureBuilt, BUILD_TIMEOUT_MS); // the bench runs the built server; build outside its time budget

  it('produces every figure for B1, B2 and Parley', { timeout: 120_000 }, async () => {
    const { code, output } = await runSmoke(outDir);
    expect(code, output.slice(-3000)).toBe(0);
    const r = JSON.parse(readFileSync(join(outDir, 'latest-smoke.json'), 'utf8')) as Results;
    expect(r.errors).toEqual([]);
    expect(r.b2?.map((b) => b.rowsPerSec > 0)).toEqual([true, true]);
    for (const name of ['b1', 'parley-sqlite']) {
      const t = r.targets[name]!;
      expect(t, name).toBeDefined();
      expect(t.idle.points.length).toBeGreaterThanOrEqual(3);
      expect(Number.isFinite(t.idle.rssPerConn) && Number.isFinite(t.idle.heapPerConn)).toBe(true);
      expect(t.throughput.steps.length).toBeGreaterThan(0);
      expect(t.throughput.sustained, `${name}: sustained throughput`).toBeGreaterThan(0);
      expect(t.latency.length).toBeGreaterThan(0);
      for (const s of [...t.latency, t.halfB1]) {
        expect(s.e2e.count).toBeGreaterThan(0);
        expect(s.ack.count).toBeGreaterThan(0);
      }
    }
    const h = r.history!;
    expect(h.seed.rowsPerSec).toBeGreaterThan(0);
    for (const page of [h.page1, h.page1Big, h.deep, h.cursor]) expect(page.count).toBeGreaterThan(0);
    // Nothing acknowledged is lost, and a resend stores nothing twice.
    expect(r.durability, 'the durability run').toBeDefined();
    expect(r.durability!.ackedBeforeKill).toBeGreaterThan(0);
    expect(r.durability!.ackedLost).toBe(0);
    expect(r.durability!.duplicates).toBe(0);
    expect(r.durability!.missingAfterResend).toBe(0);
    expect(readFileSync(join(outDir, 'latest-smoke.md'), 'utf8')).toContain('| Figure |');
  });
});
