import { createPublicKey, type KeyObject } from 'node:crypto';
import { errors as joseErrors, jwtVerify, type JWTVerifyOptions } from 'jose';
import { ParleyError, USER_ID_PATTERN } from '../protocol/index.js';

export interface HandshakeInput {
  auth: Record<string, unknown>;
  query: Record<string, unknown>;
}

/** Turns credentials into a user id, or throws a ParleyError. */
export interface Authenticator {
  readonly mode: 'trusted' | 'jwt';
  fromHandshake(handshake: HandshakeInput): Promise<string>;
  /** The reader of an HTTP request: a user id in jwt mode, undefined in trusted mode. */
  fromAuthorizationHeader(header: string | undefined): Promise<string | undefined>;
}

const IDENTITY_KEYS = ['customerID', 'vendorID', 'userId'] as const;

export class TrustedAuthenticator implements Authenticator {
  readonly mode = 'trusted';

  async fromHandshake({ query }: HandshakeInput): Promise<string> {
    for (const key of IDENTITY_KEYS) {
      const value = query[key];
      if (value === undefined || value === '') continue;
      if (typeof value !== 'string' || !USER_ID_PATTERN.test(value)) {
        throw new ParleyError(
          'invalid_payload',
          `query.${key} must be 1–128 characters from [A-Za-z0-9_.:@-].`,
        );
      }
      return value;
    }
    throw new ParleyError('invalid_payload', 'Connect with query.customerID, query.vendorID or query.userId set to your user id.');
  }

  async fromAuthorizationHeader(): Promise<undefined> {
    return undefined;
  }
}

export interface JwtOptions {
  secret?: string;
  publicKey?: string;
  issuer?: string;
  audience?: string;
  clockToleranceSeconds: number;
}

export class JwtAuthenticator implements Authenticator {
  readonly mode = 'jwt';
  private readonly key: Uint8Array | KeyObject;
  private readonly verifyOptions: JWTVerifyOptions;

  constructor(options: JwtOptions) {
    let algorithms: string[];
    if (options.secret) {
      this.key = new TextEncoder().encode(options.secret);
      algorithms = ['HS256'];
    } else if (options.publicKey) {
      const key = createPublicKey(options.publicKey);
      this.key = key;
      algorithms = key.asymmetricKeyType === 'ec' ? ['ES256'] : ['RS256'];
    } else {
      throw new Error('jwt mode needs a secret or a public key');
    }
    this.verifyOptions = {
      algorithms,
      clockTolerance: options.clockToleranceSeconds,
      ...(options.issuer ? { issuer: options.issuer } : {}),
      ...(options.audience ? { audience: options.audience } : {}),
    };
  }

  async fromHandshake({ auth, query }: HandshakeInput): Promise<string> {
    return this.verify(auth.token ?? query.token);
  }

  async fromAuthorizationHeader(header: string | undefined): Promise<string> {
    return this.verify(header);
  }

  private async verify(raw: unknown): Promise<string> {
    if (typeof raw !== 'string' || raw.length === 0 || raw.length > 8192) throw unauthorized();
    const token = raw.startsWith('Bearer ') ? raw.slice('Bearer '.length).trim() : raw.trim();
    try {
      const { payload } = await jwtVerify(token, this.key, this.verifyOptions);
      const sub = typeof payload.sub === 'number' ? String(payload.sub) : payload.sub;
      if (typeof sub !== 'string' || !USER_ID_PATTERN.test(sub)) throw unauthorized();
      return sub;
    } catch (err) {
      if (err instanceof ParleyError || err instanceof joseErrors.JOSEError) throw unauthorized();
      throw unauthorized();
    }
  }
}

function unauthorized(): ParleyError {
  return new ParleyError('unauthorized', 'unauthorized');
}
