import { z } from 'zod';

// Strict objects everywhere: a misspelt key must stop the server, not be silently ignored.
const bucket = z.strictObject({
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
    .strictObject({
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

const rateLimitDefaults = {
  message: { points: 30, durationSeconds: 1 },
  typing: { points: 10, durationSeconds: 1 },
  joinRoom: { points: 10, durationSeconds: 10 },
  other: { points: 30, durationSeconds: 1 },
  history: { points: 100, durationSeconds: 1 },
  /** Socket.IO connections per client address (see trustProxy) and per authenticated user. */
  connectPerIp: { points: 200, durationSeconds: 10 },
  connectPerUser: { points: 30, durationSeconds: 10 },
};

/** Every setting with its default. Files and environment variables are checked against this. */
export const configSchema = z.strictObject({
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
  /** The Redis broadcast stream keeps about this many entries: it bounds how far back a reconnect can recover. */
  redisStreamMaxLen: z.number().int().min(100).default(10_000),
  /** jwt unless something chooses trusted explicitly (local.json and test.json do): never fails open. */
  authMode: z.enum(['trusted', 'jwt']).default('jwt'),
  jwtSecret: z.string().min(1).optional(),
  jwtPublicKey: z.string().min(1).optional(),
  /** Path of a JSON Web Key Set file (RS256/ES256 keys, chosen by `kid`). */
  jwtJwksFile: z.string().min(1).optional(),
  jwtIssuer: z.string().min(1).optional(),
  jwtAudience: z.string().min(1).optional(),
  jwtClockToleranceSeconds: z.number().min(0).default(30),
  /** Tokens without `exp` are refused unless this is false. */
  jwtRequireExp: z.boolean().default(true),
  maxHttpBufferSize: z.number().int().positive().default(64 * 1024),
  maxMessageLength: z.number().int().positive().default(4000),
  /** Rooms a user created or accepted, per namespace (requests others sent do not count). */
  maxRoomsPerUser: z.number().int().positive().default(1000),
  /** Requests a user has sent that are still pending, per namespace. */
  maxPendingPerUser: z.number().int().positive().default(100),
  maxSocketsPerUser: z.number().int().positive().default(20),
  syncPageSize: z.number().int().min(1).max(1000).default(100),
  rateLimits: z
    .strictObject({
      message: bucket.default(rateLimitDefaults.message),
      typing: bucket.default(rateLimitDefaults.typing),
      joinRoom: bucket.default(rateLimitDefaults.joinRoom),
      other: bucket.default(rateLimitDefaults.other),
      history: bucket.default(rateLimitDefaults.history),
      connectPerIp: bucket.default(rateLimitDefaults.connectPerIp),
      connectPerUser: bucket.default(rateLimitDefaults.connectPerUser),
    })
    .default(rateLimitDefaults),
  /** Take the client address from X-Forwarded-For (first entry): only behind a proxy that sets it. */
  trustProxy: z.boolean().default(false),
  corsOrigins: z.array(z.string()).default([]),
  /**
   * Socket.IO connection state recovery window; 0 (the default) disables it. When on, every broadcast
   * carries a second argument (the offset), which one-argument handlers of other languages do not expect.
   */
  recoveryWindowMs: z.number().int().min(0).default(0),
  /** How long a node's presence entries live without a heartbeat (Redis presence). */
  presenceTtlSeconds: z.number().int().min(3).default(30),
  shutdownTimeoutMs: z.number().int().positive().default(10_000),
  /**
   * Group commit: a batch is written when it holds this many messages or after this many ms. At most 5,000: a
   * PostgreSQL batch binds its users (up to two per message) in one statement, far under the 65,535 cap.
   */
  writeBatchSize: z.number().int().positive().max(5000).default(256),
  writeBatchDelayMs: z.number().min(0).default(0),
  logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** GET / (the demo web client). production.json turns it off. */
  serveDemo: z.boolean().default(true),
  /** Message lifecycle and moderation (protocol §13). */
  editWindowMs: z.number().int().min(0).default(15 * 60 * 1000),
  /** `mask`: e-mails, phone numbers and links to hosts not allowed become `***` (a room's own setting wins). */
  contactMasking: z.enum(['off', 'mask']).default('off'),
  /** Hosts whose links are never masked; a domain also allows its subdomains. */
  allowedLinkDomains: z.array(z.string().min(1)).default([]),
  /** GET /docs/json (the OpenAPI document). production.json turns it off. */
  serveDocs: z.boolean().default(true),
  /** GET /metrics without credentials. production.json turns it off; metricsToken still serves it. */
  metricsPublic: z.boolean().default(true),
  /** When set, GET /metrics requires `Authorization: Bearer <metricsToken>` (whatever metricsPublic says). */
  metricsToken: z.string().min(16, 'must be at least 16 characters').optional(),
  /** Platform API keys (API_KEYS, comma-separated, each ≥ 24 characters); none: every platform request is 401. */
  apiKeys: z.array(z.string().min(24, 'each API key must be at least 24 characters')).default([]),
  /** Every webhook event is POSTed to each of these URLs (WEBHOOK_URLS); none: webhooks are off. */
  webhookUrls: z.array(z.string().regex(/^https?:\/\/\S+$/, 'must be an http(s) URL')).default([]),
  /** Standard Webhooks secret: `whsec_` + base64 of the key bytes (WEBHOOK_SECRET). */
  // Padded base64 only: receivers' Standard Webhooks libraries refuse anything else, so a key Parley would sign
  // with (Buffer.from decodes leniently) could never be configured on the other side.
  webhookSecret: z
    .string()
    .regex(/^whsec_(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=|[A-Za-z0-9+/]{4})$/, 'must be whsec_ followed by padded base64')
    .optional(),
  webhookTimeoutMs: z.number().int().positive().default(5000),
  webhookRetryBaseMs: z.number().int().positive().default(5000),
  /** How often each node looks for due deliveries (commits also wake it at once). */
  webhookPollMs: z.number().int().positive().default(1000),
  /**
   * Whether this node delivers webhooks (WEBHOOK_DELIVER). Off: it records events and evaluates unread
   * notifications, and `npm run dispatcher` processes (or other nodes) send them, off the chat's cores.
   */
  webhookDeliver: z.boolean().default(true),
  /**
   * Whether HTTP attempts run on a thread of their own (WEBHOOK_SENDER_THREAD): off the event loop that serves
   * the sockets, on another core when there is one. Off: on the event loop (one thread less).
   */
  webhookSenderThread: z.boolean().default(true),
  /** `message.unread` goes out when a message stays unread this long (UNREAD_NOTIFY_DELAY_MS). */
  unreadNotifyDelayMs: z.number().int().min(0).default(60_000),
  ...uploadConfig,
});

export type Config = Readonly<z.infer<typeof configSchema>>;
export type ConfigInput = z.input<typeof configSchema>;
