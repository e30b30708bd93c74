/** The one error registry: code, HTTP status and a default sentence. */
export const errorRegistry = {
  invalid_payload: { status: 400, message: 'The payload is not valid.' },
  unauthorized: { status: 401, message: 'A valid token is required.' },
  forbidden: { status: 403, message: 'You are not allowed to do this.' },
  not_found: { status: 404, message: 'No such room.' },
  room_token_taken: { status: 409, message: 'This roomToken already names a room of another pair.' },
  room_not_active: { status: 409, message: 'The room has not been accepted yet.' },
  room_required: { status: 400, message: 'Name the room with roomToken: you do not have exactly one active room.' },
  too_large: { status: 413, message: 'The payload or file is larger than allowed.' },
  unsupported_type: { status: 415, message: 'This kind of file is not accepted.' },
  rate_limited: { status: 429, message: 'Too many requests; slow down and retry later.' },
  internal: { status: 500, message: 'Something went wrong on the server; retry later.' },
} as const;

export type ErrorCode = keyof typeof errorRegistry;
export const errorCodes = Object.keys(errorRegistry) as ErrorCode[];

export interface ErrorBody {
  code: ErrorCode;
  message: string;
}

export class ParleyError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message?: string) {
    super(message ?? errorRegistry[code].message);
    this.name = 'ParleyError';
    this.code = code;
  }
  get status(): number {
    return errorRegistry[this.code].status;
  }
  toBody(): ErrorBody {
    return { code: this.code, message: this.message };
  }
}

/** Anything thrown that is not a ParleyError becomes `internal` (its detail goes to the log only). */
export function toParleyError(err: unknown): ParleyError {
  return err instanceof ParleyError ? err : new ParleyError('internal');
}
