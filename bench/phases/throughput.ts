import { describe, passes, runStep, settle, type Step, type TrafficCtx } from './traffic.js';

export interface Throughput {
  /** Delivered messages/s at the highest step that passed (p99 ≤ 100 ms, nothing lost). */
  sustained: number;
  /** `server`: a step failed; `generator`: the load generator saturated first (sustained is a lower bound). */
  boundBy: 'server' | 'generator' | 'steps';
  steps: Step[];
}

/**
 * Steps the offered rate up until a step fails, then tries once halfway between the last pass and the fail.
 * A failing step is run a second time first (both servers alike): on this shared VM a single stall of the
 * whole process (seen on B1 too: 96 ms at 0.69 CPU) fails a 100 ms p99 by itself. A rate fails only when
 * both runs do; both are reported.
 */
export async function findThroughput(ctx: TrafficCtx): Promise<Throughput> {
  const { mode } = ctx;
  const steps: Step[] = [];
  let good: Step | undefined;
  let rate = mode.startRate;
  let boundBy: Throughput['boundBy'] = 'steps';
  let failedAt: number | undefined;
  for (let i = 0; i < mode.maxSteps; i++) {
    let step = await runStep(ctx, Math.round(rate), mode.stepMs);
    steps.push(step);
    ctx.log(`    step ${describe(step)}`);
    if (!passes(step) && !step.flags.includes('generator-saturated') && mode.name !== 'smoke') {
      await settle(ctx);
      step = await runStep(ctx, Math.round(rate), mode.stepMs);
      step.secondRun = true;
      steps.push(step);
      ctx.log(`    again ${describe(step)}`);
    }
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
