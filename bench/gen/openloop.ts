import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { encodeHist, newHist, recordMs } from '../lib/hist.js';
import type { RunCmd, RunResult } from './protocol.js';
import type { Socket } from './sockets.js';

export interface Pair {
  c: Socket;
  v: Socket;
  cid: string;
  vid: string;
  token: string;
}

export interface Delivery {
  clientMsgId?: string;
  senderId?: string;
}

/** The run currently listening to `message` events (set by runOpenLoop, read by the socket handlers). */
export const current: { onMessage: ((m: Delivery, ownId: string) => void) | null } = { onMessage: null };

/**
 * Open loop: message k is scheduled at t0 + k/rate whatever happened before; latencies are measured
 * from the scheduled time, so a slow server (or generator) cannot hide its queueing delay.
 */
export function runOpenLoop(pairs: Pair[], cmd: RunCmd): Promise<RunResult> {
  const seqs = cmd.seqs;
  const planned = seqs ? seqs.length : Math.max(1, Math.round((cmd.rate * cmd.durationMs) / 1000));
  let maxSeq = planned;
  if (seqs) for (const s of seqs) maxSeq = Math.max(maxSeq, s + 1);
  const st = newState(maxSeq);
  const interval = 1000 / cmd.rate;
  const prefix = `${cmd.tag}.`;
  const text = cmd.text ?? 'hello';
  const eld = monitorEventLoopDelay({ resolution: 10 });
  const cpu0 = process.cpuUsage();
  const t0 = performance.now() + 5;
  eld.enable();

  return new Promise((resolve) => {
    let k = 0;
    let drainTimer: NodeJS.Timeout | undefined;
    const finish = () => {
      if (drainTimer) clearTimeout(drainTimer);
      current.onMessage = null;
      eld.disable();
      resolve(result(st, cmd, planned, eld, cpu0, t0));
    };
    const maybeDone = () => {
      if (k === planned && st.acked + st.ackErrors === st.sent && st.delivered === st.sent && st.echoed === st.sent) finish();
    };
    current.onMessage = (m, ownId) => {
      onDelivery(st, m, ownId, prefix);
      maybeDone();
    };
    const send = (seq: number) => {
      const pair = pairs[seq % pairs.length]!;
      const fromVendor = Math.floor(seq / pairs.length) % 2 === 1;
      const payload = { roomToken: pair.token, message: text, type: 'text', clientMsgId: prefix + seq };
      st.sent++;
      (fromVendor ? pair.v : pair.c).emit('message', payload, (ack: { success?: boolean }) => {
        onAck(st, seq, ack, cmd.keepAcked === true);
        maybeDone();
      });
    };
    const tick = () => {
      const now = performance.now();
      while (k < planned && t0 + k * interval <= now) {
        const seq = seqs ? seqs[k]! : k;
        st.sched[seq] = t0 + k * interval;
        recordMs(st.sendLag, now - st.sched[seq]!);
        send(seq);
        k++;
      }
      if (k < planned) setTimeout(tick, 1);
      else {
        drainTimer = setTimeout(finish, cmd.drainMs);
        maybeDone();
      }
    };
    setTimeout(tick, 5);
  });
}

function newState(maxSeq: number) {
  return {
    sched: new Float64Array(maxSeq),
    seenRecv: new Uint8Array(maxSeq),
    seenEcho: new Uint8Array(maxSeq),
    sent: 0,
    acked: 0,
    ackErrors: 0,
    firstAckError: undefined as string | undefined,
    delivered: 0,
    echoed: 0,
    duplicates: 0,
    ackHist: newHist(),
    e2eHist: newHist(),
    sendLag: newHist(),
    ackedSeqs: [] as number[],
  };
}
type State = ReturnType<typeof newState>;

function onAck(st: State, seq: number, ack: { success?: boolean } | undefined, keep: boolean): void {
  if (ack?.success) {
    st.acked++;
    recordMs(st.ackHist, performance.now() - st.sched[seq]!);
    if (keep) st.ackedSeqs.push(seq);
  } else {
    st.ackErrors++;
    st.firstAckError ??= JSON.stringify(ack);
  }
}

function onDelivery(st: State, m: Delivery, ownId: string, prefix: string): void {
  const id = m?.clientMsgId;
  if (typeof id !== 'string' || !id.startsWith(prefix)) return;
  const seq = Number(id.slice(prefix.length));
  if (!Number.isInteger(seq) || seq < 0 || seq >= st.sched.length) return;
  const echo = m.senderId === ownId;
  const seen = echo ? st.seenEcho : st.seenRecv;
  if (seen[seq]) {
    st.duplicates++;
    return;
  }
  seen[seq] = 1;
  if (echo) st.echoed++;
  else {
    st.delivered++;
    recordMs(st.e2eHist, performance.now() - st.sched[seq]!);
  }
}

function result(
  st: State,
  cmd: RunCmd,
  planned: number,
  eld: ReturnType<typeof monitorEventLoopDelay>,
  cpu0: NodeJS.CpuUsage,
  t0: number,
): RunResult {
  const wallMs = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  const out: RunResult = {
    planned,
    sent: st.sent,
    acked: st.acked,
    ackErrors: st.ackErrors,
    delivered: st.delivered,
    echoed: st.echoed,
    duplicates: st.duplicates,
    ackHist: encodeHist(st.ackHist),
    e2eHist: encodeHist(st.e2eHist),
    sendLagHist: encodeHist(st.sendLag),
    eldP99Ms: eld.percentile(99) / 1e6,
    eldMaxMs: eld.max / 1e6,
    cpuShare: (cpu.user + cpu.system) / 1000 / Math.max(1, wallMs),
    wallMs,
  };
  if (st.firstAckError) out.firstAckError = st.firstAckError;
  if (cmd.keepAcked) out.ackedSeqs = st.ackedSeqs;
  return out;
}
