/** First retry after `baseMs`, each next one ×4, capped at one hour. `failures` counts failed attempts (≥ 1). */
export function retryDelayMs(baseMs: number, failures: number): number {
  return Math.min(baseMs * 4 ** Math.max(0, failures - 1), HOUR_MS);
}

export const HOUR_MS = 60 * 60 * 1000;
/**
 * A delivery is retried until this long after it was recorded (not after its own first attempt: behind a
 * failing delivery of the same room it may wait long before its first attempt), then it is `failed`.
 */
export const GIVE_UP_AFTER_MS = 24 * HOUR_MS;
