/**
 * Float32 error bounds of the 2D denoiser kernels (run/denoise_mixture.wgsl,
 * run/denoise_empirical.wgsl) on their own inputs, and the assertion that a GPU result lies
 * within them of the float64 reference: shared by the kernel tests and the guidance tests.
 */
import type { Mixture } from '../../src/maths/datasets';
import { Stream } from '../../src/maths/rng';
import {
  F32,
  componentTermF32,
  distanceLogits,
  dot2,
  normal2F32,
  softmaxBounds,
  softmaxF32,
  worstElement,
  type KernelOutputs,
} from './harness';
import { SAMPLER_MODEL as MODEL } from './samplerBounds';
import { within } from '../random';

const LOG_2PI = Math.log(2 * Math.PI);

/** shaders/run/denoise_mixture.wgsl with bounds: x0_hat (2 per particle) and U (1 per particle). */
export function mixtureBounds(
  x: Float32Array,
  mixture: Mixture,
  alpha: number,
  sigma: number,
): { x0hat: Float64Array; energy: Float64Array } {
  const n = x.length / 2;
  const a = F32.of(alpha);
  const s2 = F32.of(sigma).mul(F32.of(sigma));
  const x0hat = new Float64Array(2 * n);
  const energy = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const xi = [new F32(x[2 * i]!), new F32(x[2 * i + 1]!)];
    const logits: F32[] = [];
    const means: F32[] = [];
    for (const c of mixture.components) {
      const { logit, ciR } = componentTermF32(c, xi, a, s2);
      const [sxx, sxy, syy] = c.cov.map((v) => F32.of(v));
      logits.push(logit);
      means.push(
        F32.of(c.mean[0]).add(a.mul(dot2([sxx!, sxy!], ciR))),
        F32.of(c.mean[1]).add(a.mul(dot2([sxy!, syy!], ciR))),
      );
    }
    const { mean, lse } = softmaxF32(logits, means, 2);
    x0hat[2 * i] = mean[0]!.e;
    x0hat[2 * i + 1] = mean[1]!.e;
    energy[i] = lse.e;
  }
  return { x0hat, energy };
}

/**
 * shaders/run/denoise_empirical.wgsl with bounds, plain (draws 1) or smoothed (each draw's query
 * x + s z, the draws' x0_hat and U averaged).
 */
export function empiricalBounds(
  x: Float32Array,
  data: Float32Array,
  alpha: number,
  sigma: number,
  smoothing = { smoothing: 0, draws: 1, seed: 0, evaluation: 0 },
): { x0hat: Float64Array; energy: Float64Array } {
  const n = x.length / 2;
  const m = data.length / 2;
  const a = F32.of(alpha);
  const sig = F32.of(sigma);
  const inv = new F32(1).div(new F32(2).mul(sig).mul(sig));
  const x0hat = new Float64Array(2 * n);
  const energy = new Float64Array(n);
  const { draws } = smoothing;
  for (let i = 0; i < n; i++) {
    let sumX = [new F32(0), new F32(0)];
    let sumU = new F32(0);
    for (let k = 0; k < draws; k++) {
      let q = [new F32(x[2 * i]!), new F32(x[2 * i + 1]!)];
      if (smoothing.smoothing > 0) {
        const z = normal2F32(smoothing.seed, Stream.smooth, i * draws + k, smoothing.evaluation);
        const s = F32.of(smoothing.smoothing);
        q = q.map((qc, c) => qc.add(s.mul(z[c]!)));
      }
      const { logit, logitErr } = distanceLogits(q, data, a, inv);
      const d = softmaxBounds(logit, logitErr, data, null, 2);
      sumX = sumX.map((v, c) => v.add(new F32(d.mean[c]!, d.meanErr[c])));
      sumU = sumU.sub(new F32(d.lse, d.lseErr));
    }
    x0hat[2 * i] = sumX[0]!.div(draws).e;
    x0hat[2 * i + 1] = sumX[1]!.div(draws).e;
    energy[i] = sumU
      .div(draws)
      .add(new F32(m).log())
      .add(sig.mul(sig).log())
      .add(F32.of(LOG_2PI)).e;
  }
  return { x0hat, energy };
}

/** x0_hat and U each within their bounds of the float64 denoiser. */
export function expectDenoised(
  gpu: KernelOutputs,
  cpu: { x0hat: Float64Array; energy: Float64Array },
  bounds: { x0hat: Float64Array; energy: Float64Array },
): void {
  for (const o of ['x0hat', 'energy'] as const) {
    // float32: 2x the running bound of logits, online softmax in kernel order, division, log.
    const { error, tolerance } = worstElement(gpu[o], cpu[o], bounds[o]);
    within(error, tolerance, `${o}: ${MODEL}, softmax terms in the kernel's order`);
  }
}
