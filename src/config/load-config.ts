import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { weakSecretReason } from '../auth/weak-secrets.js';
import { configSchema, type Config, type ConfigInput } from './schema.js';

const here = dirname(fileURLToPath(import.meta.url));

export class ConfigError extends Error {
  override name = 'ConfigError';
}

type Env = Record<string, string | undefined>;
type Parse = (name: string, value: string) => unknown;

const text: Parse = (_name, value) => value;
const int: Parse = (name, value) => {
  if (!/^-?[0-9]+$/.test(value)) throw new ConfigError(`config: ${name} must be a whole number, got "${value}"`);
  return Number(value);
};
const decimal: Parse = (name, value) => {
  if (!/^-?[0-9]+(\.[0-9]+)?$/.test(value)) throw new ConfigError(`config: ${name} must be a number, got "${value}"`);
  return Number(value);
};
const bool: Parse = (name, value) => {
  const lower = value.toLowerCase();
  if (lower === 'true' || lower === '1') return true;
  if (lower === 'false' || lower === '0') return false;
  throw new ConfigError(`config: ${name} must be true or false, got "${value}"`);
};
const list: Parse = (_name, value) =>
  value
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part.length > 0);


/** Attachments: storage and limits (the per-kind limits only as a whole object from the file, or these three). */
const uploadEnv: Record<string, [keyof ConfigInput, (key: string, value: string) => unknown]> = {
  UPLOAD_DIR: ['uploadDir', text],
  PUBLIC_URL: ['publicUrl', (_k, v) => v.replace(/\/+$/, '')],
  S3_BUCKET: ['s3Bucket', text],
  S3_ENDPOINT: ['s3Endpoint', text],
  S3_REGION: ['s3Region', text],
  S3_ACCESS_KEY_ID: ['s3AccessKeyId', text],
  S3_SECRET_ACCESS_KEY: ['s3SecretAccessKey', text],
  UPLOAD_ORPHAN_TTL_MS: ['uploadOrphanTtlMs', int],
};

/** UPLOAD_MAX_IMAGE_BYTES, UPLOAD_MAX_VIDEO_BYTES, UPLOAD_MAX_AUDIO_BYTES over the file's uploadLimits. */
function uploadLimitsFromEnv(env: Env, fromFile: unknown): Record<string, unknown> | undefined {
  const names = { image: 'UPLOAD_MAX_IMAGE_BYTES', vdo: 'UPLOAD_MAX_VIDEO_BYTES', audio: 'UPLOAD_MAX_AUDIO_BYTES' };
  const limits: Record<string, unknown> = {};
  for (const [kind, name] of Object.entries(names)) {
    const value = env[name];
    if (value !== undefined && value !== '') limits[kind] = int(name, value);
  }
  if (Object.keys(limits).length === 0) return undefined;
  return { ...(typeof fromFile === 'object' && fromFile !== null ? fromFile : {}), ...limits };
}

/** Environment variables that override a config key, with their parsers. */
export const envOverrides: Readonly<Record<string, readonly [keyof ConfigInput, Parse]>> = {
  PORT: ['port', int],
  HOST: ['host', text],
  NAMESPACES: ['namespaces', list],
  DATABASE_URL: ['databaseUrl', text],
  SQLITE_SYNCHRONOUS: ['sqliteSynchronous', (_n, v) => v.toUpperCase()],
  REDIS_URL: ['redisUrl', text],
  REDIS_KEY_PREFIX: ['redisKeyPrefix', text],
  AUTH_MODE: ['authMode', text],
  JWT_SECRET: ['jwtSecret', text],
  JWT_PUBLIC_KEY: ['jwtPublicKey', (_n, v) => v.replace(/\\n/g, '\n')],
  JWT_JWKS_FILE: ['jwtJwksFile', text],
  JWT_ISSUER: ['jwtIssuer', text],
  JWT_AUDIENCE: ['jwtAudience', text],
  JWT_CLOCK_TOLERANCE_SECONDS: ['jwtClockToleranceSeconds', decimal],
  JWT_REQUIRE_EXP: ['jwtRequireExp', bool],
  REDIS_STREAM_MAX_LEN: ['redisStreamMaxLen', int],
  MAX_HTTP_BUFFER_SIZE: ['maxHttpBufferSize', int],
  MAX_MESSAGE_LENGTH: ['maxMessageLength', int],
  MAX_ROOMS_PER_USER: ['maxRoomsPerUser', int],
  MAX_PENDING_PER_USER: ['maxPendingPerUser', int],
  MAX_SOCKETS_PER_USER: ['maxSocketsPerUser', int],
  SYNC_PAGE_SIZE: ['syncPageSize', int],
  TRUST_PROXY: ['trustProxy', bool],
  CORS_ORIGINS: ['corsOrigins', list],
  RECOVERY_WINDOW_MS: ['recoveryWindowMs', int],
  PRESENCE_TTL_SECONDS: ['presenceTtlSeconds', int],
  SHUTDOWN_TIMEOUT_MS: ['shutdownTimeoutMs', int],
  WRITE_BATCH_SIZE: ['writeBatchSize', int],
  WRITE_BATCH_DELAY_MS: ['writeBatchDelayMs', decimal],
  LOG_LEVEL: ['logLevel', text],
  SERVE_DEMO: ['serveDemo', bool],
  SERVE_DOCS: ['serveDocs', bool],
  METRICS_PUBLIC: ['metricsPublic', bool],
  METRICS_TOKEN: ['metricsToken', text],
  API_KEYS: ['apiKeys', list],
  WEBHOOK_URLS: ['webhookUrls', list],
  WEBHOOK_SECRET: ['webhookSecret', text],
  WEBHOOK_TIMEOUT_MS: ['webhookTimeoutMs', int],
  WEBHOOK_RETRY_BASE_MS: ['webhookRetryBaseMs', int],
  WEBHOOK_POLL_MS: ['webhookPollMs', int],
  WEBHOOK_DELIVER: ['webhookDeliver', bool],
  WEBHOOK_SENDER_THREAD: ['webhookSenderThread', bool],
  UNREAD_NOTIFY_DELAY_MS: ['unreadNotifyDelayMs', int],
  EDIT_WINDOW_MS: ['editWindowMs', int],
  CONTACT_MASKING: ['contactMasking', (_k, v) => v.toLowerCase()],
  ALLOWED_LINK_DOMAINS: ['allowedLinkDomains', (k, v) => (list(k, v) as string[]).map((d) => d.toLowerCase())],
  ...uploadEnv,
};

/** Keys set only in a config file (nested objects); every other key has an environment variable. */
export const fileOnlyKeys: ReadonlySet<keyof ConfigInput> = new Set<keyof ConfigInput>(['rateLimits', 'uploadLimits', 'uploadRateLimit', 'uploadSweepIntervalMs']);

function readJson(path: string, why: string): Record<string, unknown> {
  let source: string;
  try {
    source = readFileSync(path, 'utf8');
  } catch {
    throw new ConfigError(`config: cannot read config file ${path}${why}`);
  }
  try {
    const parsed: unknown = JSON.parse(source);
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('not an object');
    return parsed as Record<string, unknown>;
  } catch {
    throw new ConfigError(`config: ${path} is not a JSON object`);
  }
}

export interface LoadConfigOptions {
  env?: Env;
  /** Values that win over file and environment (tests, embedding). */
  overrides?: Partial<ConfigInput>;
}

/**
 * File (`src/config/<NODE_ENV>.json` or `CONFIG_FILE`) < environment < overrides; validated and frozen.
 * A NODE_ENV without its file is refused rather than run on defaults: an unknown environment must not
 * silently get a configuration nobody wrote.
 */
export function loadConfig({ env = process.env, overrides = {} }: LoadConfigOptions = {}): Config {
  const nodeEnv = env.NODE_ENV && env.NODE_ENV.length > 0 ? env.NODE_ENV : 'local';
  const fromFile = env.CONFIG_FILE
    ? readJson(resolve(env.CONFIG_FILE), ' (CONFIG_FILE)')
    : readJson(
        resolve(here, `${nodeEnv}.json`),
        ` for NODE_ENV=${nodeEnv}: create it, point CONFIG_FILE at a file, or use NODE_ENV=local|test|production`,
      );
  const fromEnv: Record<string, unknown> = {};
  for (const [name, [key, parse]] of Object.entries(envOverrides)) {
    const value = env[name];
    if (value !== undefined && value !== '') fromEnv[key] = parse(name, value);
  }
  const uploadLimits = uploadLimitsFromEnv(env, fromFile.uploadLimits);
  if (uploadLimits) fromEnv.uploadLimits = uploadLimits;
  return validateConfig({ ...fromFile, ...fromEnv, ...overrides });
}

function describeIssue(issue: z.core.$ZodIssue): string {
  const where = issue.path.join('.');
  if (issue.code === 'unrecognized_keys') {
    const keys = issue.keys.map((key) => `"${where ? `${where}.` : ''}${key}"`).join(', ');
    return `config: unknown key${issue.keys.length > 1 ? 's' : ''} ${keys} (see docs/configuration.md for every key)`;
  }
  return `config: ${where || '(root)'}: ${issue.message}`;
}

export function validateConfig(input: Record<string, unknown>): Config {
  const result = configSchema.safeParse(input);
  if (!result.success) throw new ConfigError(describeIssue(result.error.issues[0] as z.core.$ZodIssue));
  const config = result.data;
  if (config.authMode === 'jwt') checkJwtKeys(config);
  if (config.webhookUrls.length > 0 && !config.webhookSecret) {
    throw new ConfigError('config: webhookUrls (WEBHOOK_URLS) is set but webhookSecret (WEBHOOK_SECRET) is not: webhooks must be signed');
  }
  return deepFreeze(config);
}

function checkJwtKeys(config: z.infer<typeof configSchema>): void {
  if (!config.jwtSecret && !config.jwtPublicKey && !config.jwtJwksFile) {
    throw new ConfigError(
      'config: authMode is "jwt" but neither jwtSecret (JWT_SECRET), jwtPublicKey (JWT_PUBLIC_KEY) nor jwtJwksFile (JWT_JWKS_FILE) is set',
    );
  }
  const weak = config.jwtSecret === undefined ? undefined : weakSecretReason(config.jwtSecret);
  if (weak) throw new ConfigError(`config: jwtSecret (JWT_SECRET) ${weak}`);
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}
