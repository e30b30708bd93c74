import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { configSchema, type Config, type ConfigInput } from './schema.js';

const here = dirname(fileURLToPath(import.meta.url));

export class ConfigError extends Error {
  override name = 'ConfigError';
}

type Env = Record<string, string | undefined>;

const int = (key: string, value: string): number => {
  if (!/^-?[0-9]+$/.test(value)) throw new ConfigError(`config: ${key} must be a whole number, got "${value}"`);
  return Number(value);
};
const list = (value: string): string[] =>
  value
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part.length > 0);

const text = (_k: string, v: string) => v;

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
const envOverrides: Record<string, [keyof ConfigInput, (key: string, value: string) => unknown]> = {
  PORT: ['port', int],
  HOST: ['host', (_k, v) => v],
  DATABASE_URL: ['databaseUrl', (_k, v) => v],
  SQLITE_SYNCHRONOUS: ['sqliteSynchronous', (_k, v) => v.toUpperCase()],
  REDIS_URL: ['redisUrl', (_k, v) => v],
  REDIS_KEY_PREFIX: ['redisKeyPrefix', (_k, v) => v],
  AUTH_MODE: ['authMode', (_k, v) => v],
  JWT_SECRET: ['jwtSecret', (_k, v) => v],
  JWT_PUBLIC_KEY: ['jwtPublicKey', (_k, v) => v.replace(/\\n/g, '\n')],
  JWT_JWKS_FILE: ['jwtJwksFile', (_k, v) => v],
  JWT_ISSUER: ['jwtIssuer', (_k, v) => v],
  JWT_AUDIENCE: ['jwtAudience', (_k, v) => v],
  NAMESPACES: ['namespaces', (_k, v) => list(v)],
  CORS_ORIGINS: ['corsOrigins', (_k, v) => list(v)],
  MAX_MESSAGE_LENGTH: ['maxMessageLength', int],
  MAX_HTTP_BUFFER_SIZE: ['maxHttpBufferSize', int],
  PRESENCE_TTL_SECONDS: ['presenceTtlSeconds', int],
  SHUTDOWN_TIMEOUT_MS: ['shutdownTimeoutMs', int],
  LOG_LEVEL: ['logLevel', (_k, v) => v],
  ...uploadEnv,
};

function readJson(path: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    throw new ConfigError(`config: cannot read config file ${path}`);
  }
  try {
    const parsed: unknown = JSON.parse(text);
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

/** File (`src/config/<NODE_ENV>.json` or `CONFIG_FILE`) < environment < overrides; validated and frozen. */
export function loadConfig({ env = process.env, overrides = {} }: LoadConfigOptions = {}): Config {
  const nodeEnv = env.NODE_ENV && env.NODE_ENV.length > 0 ? env.NODE_ENV : 'local';
  const file = env.CONFIG_FILE ? resolve(env.CONFIG_FILE) : resolve(here, `${nodeEnv}.json`);
  const fromFile = env.CONFIG_FILE || nodeEnv !== 'local' ? readJsonIfPresent(file, Boolean(env.CONFIG_FILE)) : readJson(file);
  const fromEnv: Record<string, unknown> = {};
  for (const [name, [key, parse]] of Object.entries(envOverrides)) {
    const value = env[name];
    if (value !== undefined && value !== '') fromEnv[key] = parse(name, value);
  }
  const uploadLimits = uploadLimitsFromEnv(env, fromFile.uploadLimits);
  if (uploadLimits) fromEnv.uploadLimits = uploadLimits;
  return validateConfig({ ...fromFile, ...fromEnv, ...overrides });
}

function readJsonIfPresent(path: string, required: boolean): Record<string, unknown> {
  try {
    return readJson(path);
  } catch (err) {
    if (required || !(err instanceof ConfigError) || !err.message.includes('cannot read')) throw err;
    return {};
  }
}

export function validateConfig(input: Record<string, unknown>): Config {
  const result = configSchema.safeParse(input);
  if (!result.success) {
    const issue = result.error.issues[0] as z.core.$ZodIssue;
    throw new ConfigError(`config: ${issue.path.join('.') || '(root)'}: ${issue.message}`);
  }
  const config = result.data;
  if (config.authMode === 'jwt' && !config.jwtSecret && !config.jwtPublicKey && !config.jwtJwksFile) {
    throw new ConfigError(
      'config: authMode is "jwt" but neither jwtSecret (JWT_SECRET), jwtPublicKey (JWT_PUBLIC_KEY) nor jwtJwksFile (JWT_JWKS_FILE) is set',
    );
  }
  return deepFreeze(config);
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}
