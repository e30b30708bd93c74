import autocannon from 'autocannon';
import { newHist, percentiles, recordMs, type Percentiles } from './hist.js';

export interface HttpLatency extends Percentiles {
  rps: number;
  non2xx: number;
  errors: number;
  /** Cores used by unrelated processes meanwhile (set by the caller). */
  foreign?: number;
  /** Cores used by the server meanwhile (set by the caller). */
  serverCpu?: number;
}

/**
 * GETs paths from `nextPath` with autocannon over `connections` keep-alive connections, closed loop,
 * and records every response time in an HDR histogram (µs resolution; autocannon's own one rounds
 * to whole ms). No `overallRate`: autocannon implements it as a burst at full speed at the start of
 * each second, which measures queueing behind the burst rather than the request.
 */
export async function httpLatency(
  base: string,
  nextPath: () => string,
  opts: { durationMs: number; connections: number },
): Promise<HttpLatency> {
  const hist = newHist();
  const instance = autocannon({
    url: base,
    connections: opts.connections,
    duration: Math.max(1, Math.round(opts.durationMs / 1000)),
    timeout: 10,
    requests: [{ method: 'GET', setupRequest: (req) => ({ ...req, path: nextPath() }) }],
  });
  instance.on('response', (_client: unknown, status: number, _bytes: number, ms: number) => {
    if (status >= 200 && status < 300) recordMs(hist, ms);
  });
  const result = await instance;
  return {
    ...percentiles(hist),
    rps: Math.round(result.requests.average),
    non2xx: result.non2xx,
    errors: result.errors + result.timeouts,
  };
}
