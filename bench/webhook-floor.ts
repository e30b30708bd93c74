import { pinSelf } from './lib/proc.js';
import { measureWebhookFloor } from './lib/webhook-floor.js';
import { WebhookReceiver } from './lib/webhook-receiver.js';

/**
 * The floor of what a webhook costs the process that sends it (bench/lib/webhook-floor.ts): CPU per signed
 * POST of Parley's WebhookSender on core 0, to a receiver on core 1, nothing else running. The features phase
 * measures it too and sets it beside the chat's CPU per message.
 *
 *   npm run build && npx tsx bench/webhook-floor.ts [posts] [concurrency]
 */
pinSelf(1);
const receiver = await WebhookReceiver.start();
try {
  const floor = await measureWebhookFloor(receiver.url, Number(process.argv[2] ?? 20_000), Number(process.argv[3] ?? 16));
  console.log(`sender on core 0, receiver on core 1: ${floor.ok} of ${floor.posts} POSTs answered 2xx, ${floor.concurrency} at a time, ${floor.postsPerSecond}/s`);
  console.log(`CPU per POST: ${floor.cpuUsPerPost} µs (user ${floor.userUsPerPost}, system ${floor.systemUsPerPost})`);
} finally {
  await receiver.close();
}
