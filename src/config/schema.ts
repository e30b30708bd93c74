import { z } from 'zod';

const bucket = z.object({
  points: z.number().int().positive(),
  durationSeconds: z.number().positive(),
});

const MiB = 1024 * 1024;

/** Attachments (uploads): storage, limits, rate and cleanup. */
const uploadConfig = {
  /** Local folder of uploaded files (used when s3Bucket is not set). */
  uploadDir: z.string().min(1).default('./data/uploads'),
  /** Origin put in front of attachment URLs, e.g. https://chat.example.com; unset ⇒ the request's host. */
  publicUrl: z.url({ protocol: /^https?$/ }).optional(),
  /** An S3-compatible bucket instead of the local folder (several nodes share it). */
  s3Bucket: z.string().min(3).optional(),
  s3Endpoint: z.url().optional(),
  s3Region: z.string().min(1).default('us-east-1'),
  s3AccessKeyId: z.string().min(1).optional(),
  s3SecretAccessKey: z.string().min(1).optional(),
  /** Largest accepted file per kind, in bytes. */
  uploadLimits: z
    .object({
      image: z.number().int().positive().default(10 * MiB),
      vdo: z.number().int().positive().default(100 * MiB),
      audio: z.number().int().positive().default(20 * MiB),
    })
    .default({ image: 10 * MiB, vdo: 100 * MiB, audio: 20 * MiB }),
  /** Uploads per user (per namespace) and window. */
  uploadRateLimit: bucket.default({ points: 20, durationSeconds: 60 }),
  /** An attachment no message uses is removed after this long. */
  uploadOrphanTtlMs: z.number().int().positive().default(24 * 60 * 60 * 1000),
  /** How often the orphan sweep runs. */
  uploadSweepIntervalMs: z.number().int().positive().default(10 * 60 * 1000),
};

/** Every setting with its default. Files and environment variables are checked against this. */
export const configSchema = z.object({
  port: z.number().int().min(0).max(65535).default(3300),
  host: z.string().min(1).default('0.0.0.0'),
  namespaces: z
    .array(z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'namespace names are 1–64 characters from [A-Za-z0-9_-]'))
    .min(1)
    .default(['customer', 'artisans']),
  databaseUrl: z
    .string()
    .regex(/^(sqlite:|postgres:\/\/|postgresql:\/\/)/, 'must start with sqlite:, postgres:// or postgresql://')
    .default('sqlite:./data/parley.db'),
  /** SQLite `synchronous` in WAL mode: NORMAL survives a process kill, FULL also power loss. */
  sqliteSynchronous: z.enum(['NORMAL', 'FULL']).default('NORMAL'),
  redisUrl: z.string().regex(/^rediss?:\/\//, 'must start with redis:// or rediss://').optional(),
  /** Prefix of every Redis key and channel Parley uses, so several deployments can share one Redis. */
  redisKeyPrefix: z.string().regex(/^[A-Za-z0-9_.:-]{1,64}$/, 'is 1–64 characters from [A-Za-z0-9_.:-]').default('parley:'),
  authMode: z.enum(['trusted', 'jwt']).default('trusted'),
  jwtSecret: z.string().min(1).optional(),
  jwtPublicKey: z.string().min(1).optional(),
  /** Path of a JSON Web Key Set file (RS256/ES256 keys, chosen by `kid`). */
  jwtJwksFile: z.string().min(1).optional(),
  jwtIssuer: z.string().min(1).optional(),
  jwtAudience: z.string().min(1).optional(),
  jwtClockToleranceSeconds: z.number().min(0).default(30),
  maxHttpBufferSize: z.number().int().positive().default(64 * 1024),
  maxMessageLength: z.number().int().positive().default(4000),
  maxRoomsPerUser: z.number().int().positive().default(1000),
  maxSocketsPerUser: z.number().int().positive().default(20),
  syncPageSize: z.number().int().min(1).max(1000).default(100),
  rateLimits: z
    .object({
      message: bucket.default({ points: 30, durationSeconds: 1 }),
      typing: bucket.default({ points: 10, durationSeconds: 1 }),
      joinRoom: bucket.default({ points: 10, durationSeconds: 10 }),
      other: bucket.default({ points: 30, durationSeconds: 1 }),
      history: bucket.default({ points: 100, durationSeconds: 1 }),
    })
    .default({
      message: { points: 30, durationSeconds: 1 },
      typing: { points: 10, durationSeconds: 1 },
      joinRoom: { points: 10, durationSeconds: 10 },
      other: { points: 30, durationSeconds: 1 },
      history: { points: 100, durationSeconds: 1 },
    }),
  corsOrigins: z.array(z.string()).default([]),
  /** Socket.IO connection state recovery window (0 disables it). */
  recoveryWindowMs: z.number().int().min(0).default(2 * 60 * 1000),
  /** How long a node's presence entries live without a heartbeat (Redis presence). */
  presenceTtlSeconds: z.number().int().min(3).default(30),
  shutdownTimeoutMs: z.number().int().positive().default(10_000),
  /** Group commit: a batch is written when it holds this many messages or after this many ms. */
  writeBatchSize: z.number().int().positive().default(256),
  writeBatchDelayMs: z.number().min(0).default(0),
  logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  serveDemo: z.boolean().default(true),
  ...uploadConfig,
});

export type Config = Readonly<z.infer<typeof configSchema>>;
export type ConfigInput = z.input<typeof configSchema>;
