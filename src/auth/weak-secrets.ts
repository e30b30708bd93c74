/** HS256 secrets shorter than this are refused at start (RFC 7518 §3.2: a key at least as long as the hash). */
export const MIN_HS256_SECRET_BYTES = 32;

/**
 * Secrets that were published (earlier versions of `npm run token` printed the first one and told the
 * reader to start the server with it): a server using one accepts tokens anyone can mint.
 */
export const PUBLISHED_SECRETS: readonly string[] = ['parley-dev-secret-do-not-use-in-production'];

/** Why a shared secret must not be used, or undefined when it is acceptable. */
export function weakSecretReason(secret: string): string | undefined {
  if (PUBLISHED_SECRETS.includes(secret)) return 'is the published development secret; generate your own (e.g. `openssl rand -base64 48`)';
  const bytes = Buffer.byteLength(secret, 'utf8');
  if (bytes < MIN_HS256_SECRET_BYTES) {
    return `is ${bytes} bytes; HS256 needs at least ${MIN_HS256_SECRET_BYTES} (e.g. \`openssl rand -base64 48\`)`;
  }
  return undefined;
}
