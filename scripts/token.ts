/**
 * Mints an HS256 JWT for a user: `JWT_SECRET=… npm run -s token -- <userId> [--ttl 3600]`.
 * Signs with JWT_SECRET, the server's own secret (and sets iss/aud from JWT_ISSUER/JWT_AUDIENCE when
 * given). There is no built-in fallback secret: a secret printed here would be one anyone can use.
 * The token alone goes to stdout.
 */
import { parseArgs } from 'node:util';
import { SignJWT } from 'jose';
import { weakSecretReason } from '../src/auth/weak-secrets.js';
import { USER_ID_PATTERN } from '../src/protocol/index.js';

const USAGE = 'usage: JWT_SECRET=<secret> npm run -s token -- <userId> [--ttl <seconds>]   (env: JWT_SECRET, JWT_ISSUER, JWT_AUDIENCE)';

function fail(message: string): never {
  console.error(message);
  console.error(USAGE);
  process.exit(1);
}

async function main(): Promise<void> {
  let parsed;
  try {
    parsed = parseArgs({ allowPositionals: true, options: { ttl: { type: 'string', default: '3600' } } });
  } catch (err) {
    fail(err instanceof Error ? err.message : String(err));
  }
  const [userId, ...extra] = parsed.positionals;
  if (!userId || extra.length > 0) fail('give exactly one user id');
  if (!USER_ID_PATTERN.test(userId)) fail(`user id "${userId}" must be 1–128 characters from [A-Za-z0-9_.:@-]`);
  if (!/^[1-9][0-9]*$/.test(parsed.values.ttl)) fail(`--ttl must be a positive whole number of seconds, got "${parsed.values.ttl}"`);

  const secret = process.env.JWT_SECRET;
  if (!secret) fail('JWT_SECRET is not set: use the secret the server runs with (at least 32 bytes, e.g. `openssl rand -base64 48`).');
  const weak = weakSecretReason(secret);
  if (weak) fail(`JWT_SECRET ${weak}: the server refuses it.`);
  let jwt = new SignJWT({}).setProtectedHeader({ alg: 'HS256', typ: 'JWT' }).setSubject(userId).setIssuedAt();
  jwt = jwt.setExpirationTime(`${parsed.values.ttl}s`);
  if (process.env.JWT_ISSUER) jwt = jwt.setIssuer(process.env.JWT_ISSUER);
  if (process.env.JWT_AUDIENCE) jwt = jwt.setAudience(process.env.JWT_AUDIENCE);
  console.log(await jwt.sign(new TextEncoder().encode(secret)));
}

void main();
