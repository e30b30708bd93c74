import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

/** The core protocol suites, run a second time against PostgreSQL when TEST_DATABASE_URL is set. */
const coreOnPostgres = [
  'connect',
  'rooms',
  'messages',
  'presence',
  'errors',
  'history',
  'restart',
  'hardening-rooms',
  'fuzz',
  'sync',
  'sync-cluster',
  'presence-cluster',
  'client-catch-up',
  'webhooks',
  'webhook-dispatcher',
  'webhook-deliveries',
  'webhook-claims',
  'webhook-feed',
  'platform',
  'platform-erasure',
  'platform-text',
  'platform-auth',
  'system-sender',
  // Message lifecycle and moderation (§13).
  'message-edit', 'message-delete', 'reactions', 'replies', 'blocking', 'contact-masking', 'reports', 'reports-platform',
  // Attachments (§12).
  'uploads-messages',
  'uploads-lifecycle',
].map(
  (name) => `test/${name}.test.ts`,
);
const postgresUrl = process.env.TEST_DATABASE_URL?.trim();

const warned = globalThis as { parleyPgSkipWarned?: boolean };
// Vitest evaluates this file more than once per run; one notice is enough.
if (!postgresUrl && !warned.parleyPgSkipWarned) {
  warned.parleyPgSkipWarned = true;
  console.warn(
    '[vitest] project "postgres" skipped: TEST_DATABASE_URL is not set, so the core protocol suites run on SQLite only. ' +
      'Start the services with `eval "$(bash scripts/ci-services.sh)"` to run them on PostgreSQL too.',
  );
}

export default defineConfig({
  resolve: {
    // The tests run the TypeScript sources: the webhook sender thread loads them through tsx (see the stand-in).
    alias: [{ find: /^\.\/sender-thread-spawn\.js$/, replacement: fileURLToPath(new URL('./test/support/sender-thread-spawn.ts', import.meta.url)) }],
  },
  test: {
    testTimeout: 20_000,
    hookTimeout: 30_000,
    pool: 'forks',
    reporters: ['default'],
    projects: [
      // The bench smoke runs on its own (`npm run test:bench-smoke`, after `npm test` in CI): it needs the CPU.
      { extends: true, test: { name: 'sqlite', include: ['test/**/*.test.ts'], exclude: ['test/bench-smoke.test.ts'] } },
      ...(postgresUrl
        ? [{ extends: true as const, test: { name: 'postgres', include: coreOnPostgres, env: { PARLEY_TEST_DATABASE: 'postgres' } } }]
        : []),
    ],
  },
});
