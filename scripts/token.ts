/**
 * Mints a development HS256 JWT for a user: `npm run -s token -- <userId> [--ttl 3600]`.
 * Signs with JWT_SECRET (and sets iss/aud from JWT_ISSUER/JWT_AUDIENCE when given); without JWT_SECRET
 * it uses a development secret and says so on stderr. The token alone goes to stdout.
 */
import { parseArgs } from 'node:util';
import { SignJWT } from 'jose';
import { USER_ID_PATTERN } from '../src/protocol/index.js';

const DEV_SECRET = 'parley-dev-secret-do-not-use-in-production';
const USAGE = 'usage: npm run -s token -- <userId> [--ttl <seconds>]   (env: JWT_SECRET, JWT_ISSUER, JWT_AUDIENCE)';

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

  const secret = process.env.JWT_SECRET || DEV_SECRET;
  if (!process.env.JWT_SECRET) {
    console.error(`JWT_SECRET is not set: signed with the development secret "${DEV_SECRET}".`);
    console.error(`Start the server with AUTH_MODE=jwt JWT_SECRET=${DEV_SECRET} to accept it.`);
  }
  let jwt = new SignJWT({}).setProtectedHeader({ alg: 'HS256', typ: 'JWT' }).setSubject(userId).setIssuedAt();
  jwt = jwt.setExpirationTime(`${parsed.values.ttl}s`);
  if (process.env.JWT_ISSUER) jwt = jwt.setIssuer(process.env.JWT_ISSUER);
  if (process.env.JWT_AUDIENCE) jwt = jwt.setAudience(process.env.JWT_AUDIENCE);
  console.log(await jwt.sign(new TextEncoder().encode(secret)));
}

void main();
