// `npm run dispatcher`: delivers webhooks recorded by the chat nodes (run those with WEBHOOK_DELIVER=false),
// from the same DATABASE_URL and config, until SIGTERM/SIGINT.
import pino from 'pino';
import { ConfigError, loadConfig } from './config/load-config.js';
import { startStandaloneDispatcher } from './webhooks/standalone.js';

const log = pino({ name: 'parley', level: 'info' }).child({ module: 'dispatch' });

async function main(): Promise<void> {
  const config = loadConfig();
  const dispatcher = await startStandaloneDispatcher(config, pino({ name: 'parley', level: config.logLevel }));
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, `parley dispatcher: ${signal} received, stopping`);
    dispatcher.close().then(
      () => process.exit(0),
      (err: unknown) => {
        log.error({ err }, 'parley dispatcher: stopping failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  log.info({ urls: config.webhookUrls.length, storage: config.databaseUrl.split(':')[0] }, 'parley dispatcher running');
}

main().catch((err: unknown) => {
  log.fatal(err instanceof ConfigError ? err.message : `parley dispatcher: failed to start: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
