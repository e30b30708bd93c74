/**
 * Polls a condition that no event announces (a key in Redis, an HTTP status) until it holds; fails after
 * `timeoutMs` naming `what`. Waiting for an event should use the event itself (TestClient.waitFor).
 */
export async function waitUntil(what: string, check: () => boolean | Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
