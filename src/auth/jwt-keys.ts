import { createPublicKey, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createLocalJWKSet, type JSONWebKeySet, type JWTVerifyGetKey } from 'jose';

/** The only algorithms Parley accepts: HS256 with a shared secret, RS256 or ES256 with a public key. */
export type JwtAlgorithm = 'HS256' | 'RS256' | 'ES256';

/** A verification key per accepted algorithm; anything else is refused before a signature is checked. */
export type KeyRing = Map<JwtAlgorithm, Uint8Array | KeyObject | JWTVerifyGetKey>;

export interface KeySources {
  secret?: string;
  /** PEM (SPKI public key, certificate, or a private key whose public half is used). */
  publicKey?: string;
  /** Path of a JSON Web Key Set file ({ "keys": [...] }). */
  jwksFile?: string;
}

// jose refuses RSA keys below 2048 bits at verify time; refusing them at start makes the mistake visible.
const MIN_RSA_BITS = 2048;

/** Loads the configured keys, failing at start (not per token) when a key is unusable. */
export function loadKeyRing({ secret, publicKey, jwksFile }: KeySources): KeyRing {
  const ring: KeyRing = new Map();
  if (secret) ring.set('HS256', new TextEncoder().encode(secret));
  if (publicKey) {
    const { algorithm, key } = parsePublicKey(publicKey);
    ring.set(algorithm, key);
  }
  if (jwksFile) {
    const set = createLocalJWKSet(readJwks(jwksFile));
    for (const algorithm of ['RS256', 'ES256'] as const) if (!ring.has(algorithm)) ring.set(algorithm, set);
  }
  if (ring.size === 0) throw new Error('jwt mode needs jwtSecret, jwtPublicKey or jwtJwksFile');
  return ring;
}

function parsePublicKey(pem: string): { algorithm: JwtAlgorithm; key: KeyObject } {
  let key: KeyObject;
  try {
    key = createPublicKey(pem);
  } catch {
    throw new Error('jwtPublicKey is not a PEM public key (-----BEGIN PUBLIC KEY----- …)');
  }
  const details = key.asymmetricKeyDetails ?? {};
  if (key.asymmetricKeyType === 'rsa') {
    if ((details.modulusLength ?? 0) < MIN_RSA_BITS) throw new Error(`jwtPublicKey: RSA keys must have at least ${MIN_RSA_BITS} bits`);
    return { algorithm: 'RS256', key };
  }
  if (key.asymmetricKeyType === 'ec' && details.namedCurve === 'prime256v1') return { algorithm: 'ES256', key };
  throw new Error('jwtPublicKey must be an RSA key (RS256) or an EC P-256 key (ES256)');
}

function readJwks(path: string): JSONWebKeySet {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch {
    throw new Error(`jwtJwksFile: cannot read a JSON key set from ${path}`);
  }
  const keys = (parsed as { keys?: unknown } | null)?.keys;
  if (!Array.isArray(keys) || keys.length === 0) throw new Error(`jwtJwksFile: ${path} has no "keys"`);
  return parsed as JSONWebKeySet;
}
