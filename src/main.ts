import pino, { type Logger } from 'pino';
import { createApp } from './app.js';
import { ConfigError } from './config/load-config.js';

// Lifecycle lines (listening, shutting down, failing to start) are printed whatever LOG_LEVEL says:
// scripts and supervisors wait for them. Same format as every other line: pino JSON.
const ALWAYS = { level: 'info' } as const;
const bootstrap = pino({ name: 'parley', ...ALWAYS }).child({ module: 'main' });

async function main(): Promise<void> {
  const app = await createApp();
  const log: Logger = app.log.child({ module: 'main' }, ALWAYS);
  const { port } = await app.start();
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, `parley: ${signal} received, shutting down`);
    const force = setTimeout(() => {
      log.error('parley: shutdown timed out, exiting');
      process.exit(1);
    }, app.config.shutdownTimeoutMs + 5000);
    force.unref();
    app.close().then(
      () => {
        log.info('parley: shut down');
        process.exit(0);
      },
      (err: unknown) => {
        log.error({ err }, 'parley: shutdown failed');
        process.exit(1);
      },
    );
  };
  // Before the line below: a supervisor may signal the moment it sees it.
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  const { host, databaseUrl, authMode } = app.config;
  log.info(
    { host, port, storage: databaseUrl.split(':')[0], authMode },
    `parley listening on ${host}:${port} (storage ${databaseUrl.split(':')[0]}, auth ${authMode})`,
  );
}

main().catch((err: unknown) => {
  if (err instanceof ConfigError) bootstrap.fatal(err.message);
  else bootstrap.fatal({ err }, `parley: failed to start: ${err instanceof Error ? err.message : String(err)}`);
  // pino writes to stdout synchronously by default, so nothing is lost by exiting now.
  process.exit(1);
});
