import { fork } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';

/** What one signed POST costs the process that sends it (see measureWebhookFloor). */
export interface WebhookFloor {
  posts: number;
  ok: number;
  concurrency: number;
  /** CPU (user + system) per POST, µs. */
  cpuUsPerPost: number;
  userUsPerPost: number;
  systemUsPerPost: number;
  postsPerSecond: number;
}

const child = fileURLToPath(new URL('./webhook-floor-child.ts', import.meta.url));

/**
 * The floor of a webhook's cost to the node that sends it: Parley's own WebhookSender (dist/) POSTing signed
 * `message.created` bodies to `url`, in a process of its own on core 0 with nothing else to do — no outbox,
 * no database. Whatever delivers each message's event pays at least this per message, on its core.
 */
export async function measureWebhookFloor(url: string, posts = 20_000, concurrency = 16): Promise<WebhookFloor> {
  const proc = fork(child, [], { env: { ...process.env, WEBHOOK_FLOOR_URL: url, WEBHOOK_FLOOR_POSTS: String(posts), WEBHOOK_FLOOR_CONCURRENCY: String(concurrency) }, execArgv: ['--import', 'tsx'] });
  const exited = once(proc, 'exit');
  const [floor] = (await Promise.race([once(proc, 'message'), exited.then(([code]) => Promise.reject(new Error(`webhook floor child exited (${String(code)})`)))])) as [WebhookFloor];
  await exited;
  return floor;
}
