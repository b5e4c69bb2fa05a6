/** Times the float64 CPU references of the benchmark cases, on sizes small enough to be quick. */
import type { BenchCase } from './cases';
import { median } from './timer';

export interface CpuResult {
  n: number;
  /** Seconds per step over n particles, median of the repetitions. */
  seconds: number;
  particleSteps: number;
  pairs: number | null;
}

/** Work per step, in particle-component or particle-point evaluations (about 1 for a sampler). */
function workPerParticle(c: BenchCase): number {
  return Math.max(1, (c.m ?? c.k ?? 1) * Math.max(1, c.denoises));
}

/** Particles for the CPU run: about `work` evaluations per step, within [16, 100000]. */
export function cpuSize(c: BenchCase, work: number): number {
  return Math.max(16, Math.min(100_000, Math.round(work / workPerParticle(c))));
}

/** Repeats the step until each repetition lasts at least `minSeconds`; median per step. */
export async function timeCpu(
  c: BenchCase,
  o: { work: number; reps: number; minSeconds: number },
): Promise<CpuResult> {
  const n = cpuSize(c, o.work);
  const step = c.cpu(n);
  let start = performance.now();
  step();
  const first = Math.max((performance.now() - start) / 1000, 1e-6);
  const calls = Math.max(1, Math.ceil(o.minSeconds / first));
  const times: number[] = [];
  for (let r = 0; r < o.reps; r++) {
    // Lets timers and I/O run between repetitions: no long stretch of synchronous work.
    await new Promise((done) => setImmediate(done));
    start = performance.now();
    for (let i = 0; i < calls; i++) step();
    times.push((performance.now() - start) / 1000 / calls);
  }
  const seconds = median(times);
  return {
    n,
    seconds,
    particleSteps: n / seconds,
    pairs: c.m === null ? null : (n * c.m * c.denoises) / seconds,
  };
}
