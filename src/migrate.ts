// `npm run migrate`: brings the configured database (DATABASE_URL, as the server reads it) to the latest
// schema and exits. The server migrates on start too; this lets an upgrade migrate before the new nodes start.
import { ConfigError, loadConfig } from './config/load-config.js';
import { openStore } from './store/open-store.js';

async function migrate(): Promise<void> {
  const config = loadConfig();
  const started = performance.now();
  const store = await openStore({ databaseUrl: config.databaseUrl, sqliteSynchronous: config.sqliteSynchronous });
  // The SQLite WAL checkpointer's worker does not hold the process open: hold it until close() is done.
  const hold = setInterval(() => {}, 60_000);
  await store.close().finally(() => clearInterval(hold));
  const storage = config.databaseUrl.split(':')[0];
  console.log(`parley: ${storage} schema is up to date (${Math.round(performance.now() - started)} ms)`);
}

migrate().catch((err: unknown) => {
  console.error(err instanceof ConfigError ? err.message : `parley: migration failed: ${err instanceof Error ? err.message : err}`);
  process.exit(1);
});
