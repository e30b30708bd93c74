/**
 * Observes the server's handling of socket disconnects (a pass-through spy on PresenceService.disconnect, in
 * this test process): lets a test wait until a disconnect has been handled and its notices sent, so it can
 * assert that a notice did NOT go out without sleeping. Restored when the test finishes.
 */
import { onTestFinished, vi } from 'vitest';
import { PresenceService } from '../../src/services/presence-service.js';

export function watchDisconnects() {
  const handled: Array<Promise<unknown>> = [];
  const waiters = new Set<() => void>();
  const original = PresenceService.prototype.disconnect;
  const spy = vi.spyOn(PresenceService.prototype, 'disconnect').mockImplementation(function (this: PresenceService, actor) {
    const result = original.call(this, actor);
    handled.push(result.catch(() => {}));
    for (const wake of waiters) wake();
    return result;
  });
  onTestFinished(() => spy.mockRestore());
  return {
    /** Resolves once the server has handled `count` disconnects in all (counted from the start) and sent their notices. */
    async handled(count: number, timeoutMs = 5000): Promise<void> {
      let timedOut = false;
      const timer = setTimeout(() => {
        timedOut = true;
        for (const wake of waiters) wake();
      }, timeoutMs);
      try {
        while (handled.length < count) {
          if (timedOut) throw new Error(`timed out after ${timeoutMs} ms waiting for ${count} disconnects (saw ${handled.length})`);
          await new Promise<void>((resolve) => {
            const wake = () => {
              waiters.delete(wake);
              resolve();
            };
            waiters.add(wake);
          });
        }
      } finally {
        clearTimeout(timer);
      }
      await Promise.all(handled.slice(0, count));
      // The notice is emitted in the callback that runs after the service resolves.
      await new Promise((resolve) => setImmediate(resolve));
    },
  };
}
