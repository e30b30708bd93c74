/**
 * Points per key per fixed window, in this process, synchronously: the same rule as rate-limiter-flexible's
 * memory limiter (a window starts with a key's first point and lasts `durationMs`), without a promise, a
 * result object and a timer per key and window on every event. Expired windows are swept on use, at most
 * once per window length, so idle keys do not accumulate.
 */
export class FixedWindowCounter {
  private readonly windows = new Map<string, { used: number; endsAt: number }>();
  private nextSweepAt = 0;

  constructor(
    private readonly points: number,
    private readonly durationMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Takes one point: 0 when granted, else the milliseconds until the key's window ends. */
  take(key: string): number {
    const now = this.now();
    if (now >= this.nextSweepAt) this.sweep(now);
    const window = this.windows.get(key);
    if (window === undefined || window.endsAt <= now) {
      this.windows.set(key, { used: 1, endsAt: now + this.durationMs });
      return this.points >= 1 ? 0 : this.durationMs;
    }
    window.used += 1;
    return window.used <= this.points ? 0 : window.endsAt - now;
  }

  /** Keys with a window still open (for tests). */
  get size(): number {
    return this.windows.size;
  }

  private sweep(now: number): void {
    for (const [key, window] of this.windows) if (window.endsAt <= now) this.windows.delete(key);
    this.nextSweepAt = now + Math.max(this.durationMs, 1000);
  }
}
