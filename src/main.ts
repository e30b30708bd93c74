import { createApp } from './app.js';
import { ConfigError } from './config/load-config.js';

async function main(): Promise<void> {
  const app = await createApp();
  const { port } = await app.start();
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`parley: ${signal} received, shutting down`);
    const force = setTimeout(() => {
      console.error('parley: shutdown timed out, exiting');
      process.exit(1);
    }, app.config.shutdownTimeoutMs + 5000);
    force.unref();
    app.close().then(
      () => process.exit(0),
      (err: unknown) => {
        console.error('parley: shutdown failed', err);
        process.exit(1);
      },
    );
  };
  // Before the line below: a supervisor may signal the moment it sees it.
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  // Plain line on purpose: scripts and supervisors wait for it whatever the log level.
  console.log(`parley listening on ${app.config.host}:${port} (storage ${app.config.databaseUrl.split(':')[0]}, auth ${app.config.authMode})`);
}

main().catch((err: unknown) => {
  if (err instanceof ConfigError) {
    console.error(err.message);
  } else {
    console.error('parley: failed to start:', err instanceof Error ? err.message : err);
  }
  process.exit(1);
});
