import hdr from 'hdr-histogram-js';

/** An HDR histogram of microseconds (1 µs … 10 min, 3 significant digits). */
export type Hist = hdr.Histogram;

export function newHist(): Hist {
  return hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 600_000_000, numberOfSignificantValueDigits: 3 });
}

/** Records a duration given in milliseconds (as from performance.now()) as whole microseconds. */
export function recordMs(h: Hist, ms: number): void {
  h.recordValue(Math.min(600_000_000, Math.max(1, Math.round(ms * 1000))));
}

export function encodeHist(h: Hist): string {
  return hdr.encodeIntoCompressedBase64(h);
}

export function decodeHist(s: string): Hist {
  return hdr.decodeFromCompressedBase64(s);
}

/** Adds all encoded histograms into one. */
export function mergeHists(encoded: string[]): Hist {
  const total = newHist();
  for (const e of encoded) total.add(decodeHist(e));
  return total;
}

export interface Percentiles {
  count: number;
  p50: number;
  p99: number;
  p999: number;
  max: number;
}

/** Percentiles in milliseconds (rounded to the µs). */
export function percentiles(h: Hist): Percentiles {
  const ms = (us: number) => Math.round(us) / 1000;
  if (h.totalCount === 0) return { count: 0, p50: 0, p99: 0, p999: 0, max: 0 };
  return {
    count: h.totalCount,
    p50: ms(h.getValueAtPercentile(50)),
    p99: ms(h.getValueAtPercentile(99)),
    p999: ms(h.getValueAtPercentile(99.9)),
    max: ms(h.maxValue),
  };
}
