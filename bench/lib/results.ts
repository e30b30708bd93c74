import type { History } from '../phases/history.js';
import type { Durability } from '../phases/durability.js';
import type { Features } from '../phases/features.js';
import type { Uploads } from '../phases/uploads.js';
import type { Nodes } from '../phases/nodes.js';
import type { IdleDensity } from '../phases/idle.js';
import type { Throughput } from '../phases/throughput.js';
import type { Step } from '../phases/traffic.js';
import type { StorageRun } from '../storage-ceiling.js';
import type { Frame } from '../profile.js';

/** Everything measured against one server (B1, Parley on SQLite, Parley on PostgreSQL). */
export interface TargetResult {
  name: string;
  startMs: number;
  idle: IdleDensity;
  latency: Step[];
  throughput: Throughput;
  /** Latency at half of B1's sustained throughput. */
  halfB1: Step;
  error?: string;
}

export interface Machine {
  nproc: number;
  cpu: string;
  node: string;
  memGiB: number;
  fdLimit: string;
  kernel: string;
}

export interface ProfileSummary {
  what: string;
  file: string;
  totalMs: number;
  busyMs: number;
  frames: Frame[];
  groups: Frame[];
}

export interface Results {
  meta: { mode: string; startedAt: string; durationS: number; machine: Machine; commit: string; notes: string[] };
  b2?: StorageRun[];
  targets: Record<string, TargetResult>;
  history?: History;
  durability?: Durability;
  features?: Features;
  uploads?: Uploads;
  nodes?: Nodes;
  profile?: ProfileSummary;
  profileHistory?: ProfileSummary;
  errors: string[];
}
