import { ParleyError } from '../protocol/index.js';

/** Why a credential was refused: logged by the server, never sent to the client. */
export type AuthFailureReason =
  | 'missing'
  | 'malformed'
  | 'too_long'
  | 'expired'
  | 'bad_signature'
  | 'wrong_algorithm'
  | 'missing_exp'
  | 'not_yet_valid'
  | 'claim_mismatch'
  | 'no_matching_key'
  | 'bad_subject'
  | 'wrong_token'
  | 'invalid';

/** `unauthorized` to the client; the reason is for the server's log only. */
export class AuthFailure extends ParleyError {
  constructor(readonly reason: AuthFailureReason) {
    super('unauthorized', 'unauthorized');
  }
}

/** The reason behind an error thrown by jose's jwtVerify. */
export function reasonOf(err: unknown): AuthFailureReason {
  if (err instanceof AuthFailure) return err.reason;
  const { code, claim, reason } = (err ?? {}) as { code?: string; claim?: string; reason?: string };
  switch (code) {
    case 'ERR_JWT_EXPIRED':
      return 'expired';
    case 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED':
      return 'bad_signature';
    case 'ERR_JOSE_ALG_NOT_ALLOWED':
    case 'ERR_JOSE_NOT_SUPPORTED':
      return 'wrong_algorithm';
    case 'ERR_JWKS_NO_MATCHING_KEY':
    case 'ERR_JWKS_MULTIPLE_MATCHING_KEYS':
      return 'no_matching_key';
    case 'ERR_JWS_INVALID':
    case 'ERR_JWT_INVALID':
      return 'malformed';
    case 'ERR_JWT_CLAIM_VALIDATION_FAILED':
      if (claim === 'exp' && reason === 'missing') return 'missing_exp';
      return claim === 'nbf' ? 'not_yet_valid' : 'claim_mismatch';
    default:
      return 'invalid';
  }
}
