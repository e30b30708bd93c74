import { describe, passes, runStep, settle, type Step, type TrafficCtx } from './traffic.js';

export interface Throughput {
  /** Delivered messages/s at the highest step that passed (p99 ≤ 100 ms, nothing lost). */
  sustained: number;
  /** `server`: a step failed; `generator`: the load generator saturated first (sustained is a lower bound). */
  boundBy: 'server' | 'generator' | 'steps';
  steps: Step[];
}

/** Steps the offered rate up until a step fails, then tries once halfway between the last pass and the fail. */
export async function findThroughput(ctx: TrafficCtx): Promise<Throughput> {
  const { mode } = ctx;
  const steps: Step[] = [];
  let good: Step | undefined;
  let rate = mode.startRate;
  let boundBy: Throughput['boundBy'] = 'steps';
  let failedAt: number | undefined;
  for (let i = 0; i < mode.maxSteps; i++) {
    const step = await runStep(ctx, Math.round(rate), mode.stepMs);
    steps.push(step);
    ctx.log(`    step ${describe(step)}`);
    if (step.flags.includes('generator-saturated')) {
      boundBy = passes(step) ? 'generator' : 'server';
      if (passes(step)) good = step;
      else failedAt = step.rate;
      break;
    }
    if (!passes(step)) {
      boundBy = 'server';
      failedAt = step.rate;
      break;
    }
    good = step;
    rate *= mode.stepFactor;
  }
  if (failedAt !== undefined && mode.name !== 'smoke') {
    const mid = Math.round(((good?.rate ?? 0) + failedAt) / 2);
    await settle(ctx);
    const step = await runStep(ctx, mid, mode.stepMs);
    steps.push(step);
    ctx.log(`    refine ${describe(step)}`);
    if (passes(step) && !step.flags.includes('generator-saturated')) good = step;
  }
  return { sustained: good?.deliveredPerSec ?? 0, boundBy, steps };
}
