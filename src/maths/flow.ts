/**
 * Flow matching on the rectified path x_t = (1 - t) x0 + t eps (the `rectified` schedule; Liu et
 * al. 2022, "Flow straight and fast"; Lipman et al. 2022, "Flow matching for generative
 * modeling"), in float64: its velocity from the denoiser's x0_hat, and its Euler sampler.
 *
 * Notation (both papers -> here): their t runs from noise (t = 0) to data (t = 1), ours from data
 * (t = 0) to noise (t = 1): their X_t is our x_{1-t}, their velocity X_1 - X_0 (data minus noise)
 * is our -v, with v = d x_t / dt = eps - x0 in our t. The sampler integrates from t = 1 down to 0.
 *
 * Nothing here runs on the GPU: the sandbox samples the path with its existing kernels, since the
 * Euler step in t on v_hat is DDIM with eta 0 on the same levels (and the sigma-space Euler
 * kernel): x_t + (s - t) v_hat = x_t + (s - t) (x_t - x0_hat) / t = (s / t) x_t + (1 - s / t) x0_hat
 * = (sigma_s / sigma_t) x_t + (alpha_s - alpha_t sigma_s / sigma_t) x0_hat, with alpha = 1 - t,
 * sigma = t. tests/gpu/flowMatching.test.ts checks the three agree on a real run.
 */
import type { Level } from './schedules';
import type { CpuState, StepParams } from './steps';
import { laneCount } from './steps';

/**
 * The velocity v_hat = d x_t / dt = eps_hat - x0_hat of one coordinate at a level of the rectified
 * path (alpha = 1 - t, sigma = t, sigma > 0), with eps_hat = (x - alpha x0_hat) / sigma (Tweedie,
 * as every sampler here forms it). On the path alpha + sigma = 1, so it is (x - x0_hat) / t: the
 * straight line from x0_hat through x, per unit of t. Meaningless on other schedules, whose
 * velocity needs d alpha / dt and d sigma / dt.
 */
export function velocityFromX0(x: number, x0hat: number, level: Level): number {
  return (x - level.alpha * x0hat) / level.sigma - x0hat;
}

/**
 * One Euler step in t of the flow-matching ODE d x / dt = v_hat, from level t to level s < t of a
 * rectified run, every coordinate: x_s = x_t + (s - t) v_hat(x_t, t). x0_hat is the denoiser's at
 * level t (st.x0hat), as a sampler kernel reads it. Finite at t = 1 (alpha = 0): v_hat = x - x0_hat.
 */
export function flowEuler(st: CpuState, p: StepParams): void {
  const level = { t: p.t, alpha: p.alpha_t, sigma: p.sigma_t };
  const dt = p.s - p.t;
  for (let k = 0; k < 2 * laneCount(p); k++)
    st.x[k] = st.x[k]! + dt * velocityFromX0(st.x[k]!, st.x0hat[k]!, level);
}
