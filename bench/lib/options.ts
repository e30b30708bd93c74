/** Sizes and durations of one bench run; `full` ~20–30 min, `quick` ~6 min (of which features and uploads ~4), `smoke` seconds. */
export interface Mode {
  name: 'full' | 'quick' | 'smoke';
  idleCounts: number[];
  idleGenerators: number;
  rooms: number;
  warmupMs: number;
  stepMs: number;
  drainMs: number;
  startRate: number;
  stepFactor: number;
  maxSteps: number;
  latencyRates: number[];
  latencyMs: number;
  historyMessages: number;
  historyRooms: number;
  historyMs: number;
  /** autocannon connections, closed loop: 1 measures the request itself, more adds queueing. */
  historyConnections: number;
  durabilityRate: number;
  durabilityMs: number;
  storageMs: number;
  /** Part II features off vs on: fixed offered rates and how long each runs. */
  featureRates: number[];
  featureMs: number;
  /** Streamed upload sizes (MiB) for the server's RSS growth; the first is the figure against the target. */
  uploadSizesMiB: number[];
  /** Most time the run may spend waiting for other processes to stop using the CPU. */
  quietBudgetMs: number;
}

const full: Mode = {
  name: 'full',
  idleCounts: [0, 5000, 10000, 15000],
  idleGenerators: 3,
  rooms: 100,
  warmupMs: 4000,
  stepMs: 6000,
  drainMs: 3000,
  startRate: 500,
  stepFactor: 1.25,
  maxSteps: 16,
  latencyRates: [500, 1000, 2000, 5000],
  latencyMs: 15000,
  historyMessages: 1_000_000,
  historyRooms: 10_000,
  historyMs: 15000,
  historyConnections: 1,
  durabilityRate: 1000,
  durabilityMs: 10000,
  storageMs: 5000,
  featureRates: [1000, 2000],
  featureMs: 15000,
  uploadSizesMiB: [100, 100, 400],
  quietBudgetMs: 180_000,
};

const quick: Mode = {
  ...full,
  name: 'quick',
  idleCounts: [0, 1000, 2000, 3000],
  idleGenerators: 1,
  rooms: 50,
  warmupMs: 2500,
  stepMs: 2500,
  drainMs: 2000,
  stepFactor: 1.4,
  maxSteps: 10,
  latencyRates: [500, 1000, 2000],
  latencyMs: 2500,
  historyMessages: 100_000,
  historyRooms: 1_000,
  historyMs: 2000,
  durabilityRate: 500,
  durabilityMs: 4000,
  storageMs: 2000,
  featureMs: 5000,
  uploadSizesMiB: [100, 100],
  quietBudgetMs: 15_000,
};

const smoke: Mode = {
  ...quick,
  name: 'smoke',
  idleCounts: [0, 10, 20],
  rooms: 4,
  warmupMs: 300,
  stepMs: 800,
  drainMs: 1000,
  startRate: 100,
  stepFactor: 2,
  maxSteps: 2,
  latencyRates: [100],
  latencyMs: 800,
  historyMessages: 2_000,
  historyRooms: 20,
  historyMs: 800,
  durabilityRate: 100,
  durabilityMs: 1500,
  storageMs: 300,
  featureRates: [100],
  featureMs: 800,
  uploadSizesMiB: [16],
  quietBudgetMs: 0,
};

export interface Options {
  mode: Mode;
  profile: boolean;
  outDir: string;
  /** PostgreSQL URL for the Parley-on-PostgreSQL target (from TEST_DATABASE_URL). */
  pgUrl: string | undefined;
  /** Redis URL for the nodes part (several Parley processes on PostgreSQL + Redis; from TEST_REDIS_URL). */
  redisUrl: string | undefined;
  /** Only these parts (b1, b2, parley, pg, history, durability, features, uploads, nodes); all when empty. */
  only: Set<string>;
}

export function parseArgs(argv: string[], defaultOut: string): Options {
  const has = (flag: string) => argv.includes(flag);
  const value = (flag: string) => {
    const i = argv.indexOf(flag);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const mode = has('--smoke') ? smoke : has('--quick') ? quick : full;
  const only = new Set((value('--only') ?? '').split(',').filter(Boolean));
  return { mode, profile: has('--profile'), outDir: value('--out') ?? defaultOut, pgUrl: process.env.TEST_DATABASE_URL || undefined, redisUrl: process.env.TEST_REDIS_URL || undefined, only };
}
