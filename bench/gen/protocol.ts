/** Messages between the bench orchestrator and a load-generator process (over the Node IPC channel). */

export interface IdleCmd {
  cmd: 'idle';
  url: string;
  count: number;
  prefix: string;
  concurrency: number;
  localAddress?: string;
}

export interface SetupCmd {
  cmd: 'setup';
  url: string;
  /** Where the vendors connect (another node, so that every message crosses nodes); default `url`. */
  vendorUrl?: string;
  rooms: number;
  prefix: string;
  localAddress?: string;
}

export interface RunCmd {
  cmd: 'run';
  /** Offered messages per second (for this generator). */
  rate: number;
  durationMs: number;
  /** How long to wait for outstanding acks and deliveries after the last send. */
  drainMs: number;
  /** Tag put in every clientMsgId: `${tag}.${seq}`. */
  tag: string;
  /** Send exactly these sequence numbers (in order) instead of 0…rate·duration. */
  seqs?: number[];
  /** Return the sequence numbers that were acknowledged with success. */
  keepAcked?: boolean;
  /** The text of every message (default `hello`). */
  text?: string;
}

export interface CloseCmd {
  cmd: 'close';
}

export type Cmd = IdleCmd | SetupCmd | RunCmd | CloseCmd;
export type Request = Cmd & { id: number };

export interface IdleResult {
  connected: number;
  failed: number;
  firstError?: string;
  ms: number;
}

export interface SetupResult {
  rooms: number;
  ms: number;
}

export interface RunResult {
  planned: number;
  sent: number;
  acked: number;
  ackErrors: number;
  firstAckError?: string;
  /** Deliveries to the counterpart (distinct messages). */
  delivered: number;
  /** Deliveries back to the sender's own socket. */
  echoed: number;
  duplicates: number;
  /** Encoded HDR histograms (µs). */
  ackHist: string;
  e2eHist: string;
  sendLagHist: string;
  /** Generator health: event-loop delay percentiles (ms) and CPU share of one core. */
  eldP99Ms: number;
  eldMaxMs: number;
  cpuShare: number;
  wallMs: number;
  ackedSeqs?: number[];
}

export type Reply = { id: number; ok: true; result: unknown } | { id: number; ok: false; error: string };
