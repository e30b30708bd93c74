import type { Logger } from 'pino';
import type { AttachmentService } from './attachment-service.js';

/**
 * Every `intervalMs`, removes attachments older than `ttlMs` that no message uses (SPEC §12: after 24 h).
 * Each node sweeps; removals are idempotent, so several nodes sweeping together only repeat work.
 */
export class OrphanSweeper {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly uploads: AttachmentService,
    private readonly options: { intervalMs: number; ttlMs: number },
    private readonly log: Logger,
  ) {}

  start(): void {
    this.timer = setInterval(() => void this.sweepNow(), this.options.intervalMs);
    this.timer.unref();
  }

  /** One sweep now (after any sweep still running); resolves with how many attachments went. */
  sweepNow(): Promise<number> {
    const run = this.running.then(() =>
      this.uploads.sweep(this.options.ttlMs).then(
        (removed) => {
          if (removed > 0) this.log.info({ removed }, 'removed unused attachments');
          return removed;
        },
        (err: unknown) => {
          this.log.error({ err }, 'attachment sweep failed; retrying at the next interval');
          return 0;
        },
      ),
    );
    this.running = run;
    return run;
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }
}
