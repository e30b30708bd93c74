import { readlinkSync } from 'node:fs';
import { setPriority } from 'node:os';
import { parentPort, workerData } from 'node:worker_threads';
import { WebhookSender } from './sender.js';
import type { SendReply, ThreadInit, ToThread } from './threaded-sender.js';

/**
 * The sender thread (see ThreadedSender): POSTs what the dispatcher sends it with the ordinary WebhookSender
 * and answers with each attempt's result, a batch per event-loop turn.
 */
const init = workerData as ThreadInit;
const port = parentPort!;
lowerPriority(init.nice);
const sender = new WebhookSender(init.secret, init.timeoutMs);
let stop = new AbortController();
let replies: SendReply[] = [];

const flush = () => {
  const batch = replies;
  replies = [];
  port.postMessage(batch);
};

port.on('message', (message: ToThread) => {
  if (message.kind === 'abort') {
    stop.abort();
    stop = new AbortController();
    return;
  }
  for (const r of message.batch) {
    void sender.send(r.url, r.id, new Date(r.at), r.body, stop.signal).then((result) => {
      if (replies.length === 0) setImmediate(flush);
      replies.push([r.seq, result.ok, result.status, result.error]);
    });
  }
});

/**
 * Below the chat's threads when the core is contended: Linux schedules threads, and `setpriority` on this
 * thread's id changes only it. Best effort (another OS, or a container that forbids it).
 */
function lowerPriority(nice: number): void {
  try {
    const tid = Number(readlinkSync('/proc/thread-self').split('/').pop());
    if (Number.isInteger(tid) && tid > 0) setPriority(tid, nice);
  } catch {
    // not Linux: the thread runs at the process's priority
  }
}
