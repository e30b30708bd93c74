import { Counter, Histogram, type Registry } from 'prom-client';

const BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** Webhook attempts on the app's registry: `parley_webhook_attempts_total{result}`, `parley_webhook_attempt_seconds`. */
export function webhookMetrics(registry: Registry): (ok: boolean, seconds: number) => void {
  const attempts = new Counter({
    name: 'parley_webhook_attempts_total',
    help: 'Webhook delivery attempts, per result (delivered, failed)',
    labelNames: ['result'],
    registers: [registry],
  });
  const seconds = new Histogram({ name: 'parley_webhook_attempt_seconds', help: 'Duration of one webhook attempt', buckets: BUCKETS, registers: [registry] });
  return (ok, duration) => {
    attempts.inc({ result: ok ? 'delivered' : 'failed' });
    seconds.observe(duration);
  };
}
