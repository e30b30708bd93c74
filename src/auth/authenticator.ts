import { jwtVerify, type JWTPayload, type JWTVerifyGetKey, type JWTVerifyOptions } from 'jose';
import { ParleyError, USER_ID_PATTERN } from '../protocol/index.js';
import { AuthFailure, reasonOf } from './auth-failure.js';
import { loadKeyRing, type JwtAlgorithm, type KeyRing, type KeySources } from './jwt-keys.js';

export interface HandshakeInput {
  auth: Record<string, unknown>;
  query: Record<string, unknown>;
}

export interface Identity {
  userId: string;
  /** When the credential stops being valid (ms since the epoch, clock tolerance included). */
  expiresAt?: number;
}

/** Turns credentials into a user id, or throws a ParleyError. */
export interface Authenticator {
  readonly mode: 'trusted' | 'jwt';
  fromHandshake(handshake: HandshakeInput): Promise<Identity>;
  /** The reader of an HTTP request: a user id in jwt mode, undefined in trusted mode. */
  fromAuthorizationHeader(header: string | undefined): Promise<string | undefined>;
}

const IDENTITY_KEYS = ['customerID', 'vendorID', 'userId'] as const;

export class TrustedAuthenticator implements Authenticator {
  readonly mode = 'trusted';

  async fromHandshake({ query }: HandshakeInput): Promise<Identity> {
    for (const key of IDENTITY_KEYS) {
      const value = query[key];
      if (value === undefined || value === '') continue;
      if (typeof value !== 'string' || !USER_ID_PATTERN.test(value)) {
        throw new ParleyError(
          'invalid_payload',
          `query.${key} must be 1–128 characters from [A-Za-z0-9_.:@-].`,
        );
      }
      return { userId: value };
    }
    throw new ParleyError('invalid_payload', 'Connect with query.customerID, query.vendorID or query.userId set to your user id.');
  }

  async fromAuthorizationHeader(): Promise<undefined> {
    return undefined;
  }
}

export interface JwtOptions extends KeySources {
  issuer?: string;
  audience?: string;
  clockToleranceSeconds: number;
  /** Refuse tokens without `exp` (default true): a token that never expires cannot be revoked. */
  requireExp?: boolean;
  /** The time exp/nbf are checked against (the app's clock); the system clock by default. */
  clock?: { now(): number };
}

/** Longest token accepted; anything longer is refused before parsing. */
const MAX_TOKEN_LENGTH = 8192;
const BEARER = /^bearer\s+/i;

export class JwtAuthenticator implements Authenticator {
  readonly mode = 'jwt';
  private readonly keys: KeyRing;
  private readonly verifyOptions: JWTVerifyOptions;
  private readonly clock: { now(): number };
  private readonly toleranceSeconds: number;

  constructor(options: JwtOptions) {
    this.keys = loadKeyRing(options);
    this.clock = options.clock ?? Date;
    this.toleranceSeconds = options.clockToleranceSeconds;
    this.verifyOptions = {
      algorithms: [...this.keys.keys()],
      clockTolerance: options.clockToleranceSeconds,
      ...(options.requireExp !== false ? { requiredClaims: ['exp'] } : {}),
      ...(options.issuer ? { issuer: options.issuer } : {}),
      ...(options.audience ? { audience: options.audience } : {}),
    };
  }

  async fromHandshake({ auth, query }: HandshakeInput): Promise<Identity> {
    return this.verify(auth.token ?? query.token);
  }

  async fromAuthorizationHeader(header: string | undefined): Promise<string> {
    return (await this.verify(header)).userId;
  }

  private async verify(raw: unknown): Promise<Identity> {
    if (raw === undefined || raw === null || raw === '') throw new AuthFailure('missing');
    if (typeof raw !== 'string') throw new AuthFailure('malformed');
    if (raw.length > MAX_TOKEN_LENGTH) throw new AuthFailure('too_long');
    const token = raw.trim().replace(BEARER, '');
    if (token.length === 0) throw new AuthFailure('missing');
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, this.keyFor, { ...this.verifyOptions, currentDate: new Date(this.clock.now()) }));
    } catch (err) {
      // Which check failed stays on the server (logged): telling the caller helps only an attacker.
      throw new AuthFailure(reasonOf(err));
    }
    const sub = typeof payload.sub === 'number' ? String(payload.sub) : payload.sub;
    if (typeof sub !== 'string' || !USER_ID_PATTERN.test(sub)) throw new AuthFailure('bad_subject');
    if (typeof payload.exp !== 'number') return { userId: sub };
    return { userId: sub, expiresAt: (payload.exp + this.toleranceSeconds) * 1000 };
  }

  private readonly keyFor: JWTVerifyGetKey = (header, token) => {
    const key = this.keys.get(header.alg as JwtAlgorithm);
    if (key === undefined) throw new AuthFailure('wrong_algorithm');
    return typeof key === 'function' ? key(header, token) : key;
  };
}
