import { FEATURE_TEXT } from '../phases/features.js';
import { pinSelf } from './proc.js';
import type { WebhookFloor } from './webhook-floor.js';

/** The child of measureWebhookFloor: POSTs, after a warm-up, `concurrency` at a time, and reports its CPU. */
async function main(url: string, posts: number, concurrency: number): Promise<WebhookFloor> {
  const { WebhookSender } = (await import(new URL('../../dist/webhooks/sender.js', import.meta.url).href)) as typeof import('../../src/webhooks/sender.js');
  const sender = new WebhookSender(`whsec_${Buffer.alloc(32, 7).toString('base64')}`, 5000);
  const message = { _id: '01JEXAMPLE0000000000000000', roomToken: 'order-42', senderId: 'c1', receiverId: 'v1', type: 'text', text: FEATURE_TEXT, original: FEATURE_TEXT, dt: new Date().toISOString() };
  const body = JSON.stringify({ type: 'message.created', timestamp: new Date().toISOString(), data: { namespace: 'customer', message } });
  const stop = new AbortController().signal;
  const run = async (count: number) => {
    let next = 0;
    let ok = 0;
    const one = async () => {
      while (next < count) if ((await sender.send(url, `msg_${next++}`, new Date(), body, stop)).ok) ok++;
    };
    await Promise.all(Array.from({ length: concurrency }, one));
    return ok;
  };
  await run(Math.min(3000, posts));
  const cpu = process.cpuUsage();
  const started = performance.now();
  const ok = await run(posts);
  const used = process.cpuUsage(cpu);
  const seconds = (performance.now() - started) / 1000;
  sender.close();
  const us = (x: number) => Math.round((10 * x) / posts) / 10;
  return { posts, ok, concurrency, cpuUsPerPost: us(used.user + used.system), userUsPerPost: us(used.user), systemUsPerPost: us(used.system), postsPerSecond: Math.round(posts / seconds) };
}

pinSelf(0);
const env = process.env;
process.send!(await main(env.WEBHOOK_FLOOR_URL!, Number(env.WEBHOOK_FLOOR_POSTS), Number(env.WEBHOOK_FLOOR_CONCURRENCY)));
