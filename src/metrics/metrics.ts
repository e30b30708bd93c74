import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

const LATENCY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];

/** The app's Prometheus metrics, on a registry of its own (several apps may share a process). */
export class Metrics {
  readonly registry = new Registry();
  readonly sockets = new Gauge({ name: 'parley_sockets', help: 'Connected sockets per namespace', labelNames: ['namespace'], registers: [this.registry] });
  readonly events = new Counter({ name: 'parley_events_total', help: 'Client events received, per event name', labelNames: ['event'], registers: [this.registry] });
  readonly messagesStored = new Counter({ name: 'parley_messages_stored_total', help: 'Messages written to storage', registers: [this.registry] });
  readonly errors = new Counter({ name: 'parley_errors_total', help: 'Failed events and requests, per error code', labelNames: ['code'], registers: [this.registry] });
  readonly ackSeconds = new Histogram({ name: 'parley_ack_seconds', help: 'Time from receiving an event to its ack', labelNames: ['event'], buckets: LATENCY_BUCKETS, registers: [this.registry] });
  /** Set by the socket server: broadcasts kept in memory for connection state recovery, per namespace. */
  recoverySource: () => Iterable<[string, number]> = () => [];
  readonly recoveryPackets = new Gauge({
    name: 'parley_recovery_packets',
    help: 'Broadcasts kept in this process for connection state recovery (single node; with Redis they live in the stream)',
    labelNames: ['namespace'],
    registers: [this.registry],
    collect: () => {
      for (const [namespace, count] of this.recoverySource()) this.recoveryPackets.set({ namespace }, count);
    },
  });
  readonly storeSeconds = new Histogram({ name: 'parley_store_seconds', help: 'Time to write one batch of messages', buckets: LATENCY_BUCKETS, registers: [this.registry] });
  readonly storeLockWaitSeconds = new Histogram({
    name: 'parley_store_lock_wait_seconds',
    help: 'SQLite: time a write waited for another connection (a dispatcher process, the checkpointer) to release the lock',
    buckets: LATENCY_BUCKETS,
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry });
  }

  text(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
