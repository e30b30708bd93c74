import { createHash, timingSafeEqual } from 'node:crypto';

const digest = (value: string) => createHash('sha256').update(value).digest();

/**
 * Platform API keys, compared in constant time: each candidate is hashed (equal lengths whatever the
 * input) and compared with every key, without stopping at the first match.
 */
export class ApiKeys {
  private readonly digests: Buffer[];

  constructor(keys: readonly string[]) {
    this.digests = keys.map(digest);
  }

  get configured(): boolean {
    return this.digests.length > 0;
  }

  matches(candidate: string): boolean {
    const given = digest(candidate);
    let ok = false;
    for (const key of this.digests) ok = timingSafeEqual(key, given) || ok;
    return ok;
  }

  /** From an `Authorization` header value: `Bearer <key>`, the scheme in any case (RFC 7235). */
  accepts(header: string | undefined): boolean {
    if (!this.configured || header === undefined) return false;
    const match = /^Bearer +(.+)$/i.exec(header.trim());
    return match !== null && this.matches(match[1]!);
  }
}
