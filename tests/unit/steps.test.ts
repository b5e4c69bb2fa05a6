/**
 * Identities between the float64 sampler references (src/maths/steps.ts), on random states and
 * steps, up to the float64 rounding of both sides (stepRounding).
 */
import { describe, expect, test } from 'vitest';
import { Rng, Stream, normal2 } from '../../src/maths/rng';
import * as ref from '../../src/maths/steps';
import { SEED, within } from '../random';

const seed = SEED;
const rng = new Rng(seed, 42);
/** Unit roundoff of float64. */
const U64 = 2 ** -53;

function randomCase(n: number): { p: ref.StepParams; st: ref.CpuState } {
  const lt = -3 + 6 * rng.uniform();
  const ls = lt + 0.05 + rng.uniform();
  const vp = (l: number): [number, number] => [
    Math.sqrt(1 / (1 + Math.exp(-2 * l))),
    Math.sqrt(1 / (1 + Math.exp(2 * l))),
  ];
  const [alphaT, sigmaT] = vp(lt);
  const [alphaS, sigmaS] = vp(ls);
  const p: ref.StepParams = {
    t: 0.6,
    alpha_t: alphaT,
    sigma_t: sigmaT,
    s: 0.5,
    alpha_s: alphaS,
    sigma_s: sigmaS,
    alpha: alphaT,
    sigma: sigmaT,
    eta: 0,
    n,
    m: 1,
    k: 0,
    seed: rng.int(2 ** 32),
    index: rng.int(1000),
    ...ref.emCoefficients(alphaT, sigmaT, alphaS, sigmaS),
    r: 0,
    error_scale: 0,
    error_bias: 0,
    error_noise: 0,
    evaluation: rng.int(1000),
  };
  const st = ref.cpuState(n);
  for (let i = 0; i < 2 * n; i++) {
    st.x[i] = rng.normal();
    st.x0hat[i] = rng.normal();
  }
  return { p, st };
}

/**
 * Largest factor by which a step's coefficients scale x and x0_hat: 1 / sigma_t and 1 / alpha_t
 * (divisions), and 1 / (1 - e^-h), h = lambda_s - lambda_t, for the cancellations in
 * alpha_s - alpha_t sigma_s / sigma_t and 1 - r^2 (h >= 0.05 here, so at most 20).
 */
function gain(p: ref.StepParams): number {
  const h = Math.log(p.alpha_s / p.sigma_s) - Math.log(p.alpha_t / p.sigma_t);
  return (1 + 1 / p.sigma_t + 1 / p.alpha_t) / -Math.expm1(-h);
}

/**
 * Asserts a[i] = b[i] up to float64 rounding: each side takes <= 8 roundings of terms no larger
 * than gain * size(i) (measured <= 4 u gain size).
 */
function expectAgree(
  a: ArrayLike<number>,
  b: ArrayLike<number>,
  gainOf: number,
  size: (i: number) => number,
): void {
  for (let i = 0; i < a.length; i++) {
    const tol = 16 * U64 * gainOf * size(i);
    within(Math.abs(a[i]! - b[i]!), tol, 'float64: <= 8 roundings a side, of terms <= gain size');
  }
}

/** |x| + |x0_hat| of coordinate i of a state: what the step's terms are made of. */
const sizeOf =
  (st: ref.CpuState) =>
  (i: number): number =>
    Math.abs(st.x[i]!) + Math.abs(st.x0hat[i]!);

const copy = (st: ref.CpuState): ref.CpuState => ({
  x: st.x.slice(),
  x0hat: st.x0hat.slice(),
  energy: st.energy.slice(),
  history: st.history.slice(),
});

describe(`sampler identities (SEED=${seed})`, () => {
  test('Euler in sigma-space is DDIM with eta 0 (Karras et al. 2022, section 4)', () => {
    for (let k = 0; k < 20; k++) {
      const { p, st } = randomCase(50);
      const a = copy(st);
      const b = copy(st);
      ref.euler(a, p);
      ref.ddim(b, p);
      expectAgree(a.x, b.x, gain(p), sizeOf(st));
    }
  });

  test('DDPM is DDIM with eta 1, draw for draw', () => {
    for (let k = 0; k < 20; k++) {
      const { p, st } = randomCase(50);
      const a = copy(st);
      const b = copy(st);
      ref.ddpm(a, p);
      ref.ddim(b, { ...p, eta: 1 });
      // The noise terms too: the same draw z, scaled by equal coefficients.
      const z = (i: number): number => normal2(p.seed, Stream.step, i >> 1, p.index)[i & 1]!;
      expectAgree(a.x, b.x, gain(p), (i) => sizeOf(st)(i) + Math.abs(z(i)));
    }
  });

  test('Heun with a denoiser that does not change between t and s is Euler', () => {
    const { p, st } = randomCase(50);
    const heun = copy(st);
    const euler = copy(st);
    ref.heunPredict(heun, p);
    ref.heunCorrect(heun, p);
    ref.euler(euler, p);
    expectAgree(heun.x, euler.x, gain(p), sizeOf(st));
  });
});

describe(`zero terminal SNR and the stable Euler form (SEED=${seed})`, () => {
  test("Euler's multiplied-out form is the sigma-space step of Karras et al. when alpha_t > 0", () => {
    for (let k = 0; k < 20; k++) {
      const { p, st } = randomCase(50);
      const a = copy(st);
      ref.euler(a, p);
      const shT = p.sigma_t / p.alpha_t;
      const shS = p.sigma_s / p.alpha_s;
      const want = Array.from(a.x, (_, i) => {
        const xh = st.x[i]! / p.alpha_t;
        const d = (xh - st.x0hat[i]!) / shT;
        return p.alpha_s * (xh + (shS - shT) * d);
      });
      expectAgree(a.x, want, gain(p), sizeOf(st));
    }
  });

  test('from alpha_t = 0, Euler, DDIM (eta 0) and DPM-Solver++ are finite and agree', () => {
    const { p: base, st } = randomCase(50);
    const p = { ...base, alpha_t: 0, sigma_t: 1 };
    // x_s = sigma_s x + alpha_s x0_hat; every coefficient here is <= 1.
    const want = Array.from(st.x, (x, i) => p.sigma_s * x + p.alpha_s * st.x0hat[i]!);
    for (const step of [ref.euler, ref.ddim, ref.dpmpp2m]) {
      const c = copy(st);
      step(c, p);
      expect(c.x.every(Number.isFinite)).toBe(true);
      expectAgree(c.x, want, 1, sizeOf(st));
    }
  });
});

describe(`DPM-Solver++(2M) (SEED=${seed})`, () => {
  test('first order (r = 0) is DDIM with eta 0, and keeps x0_hat for the next step', () => {
    const { p, st } = randomCase(50);
    const a = copy(st);
    const b = copy(st);
    ref.dpmpp2m(a, p);
    ref.ddim(b, p);
    expectAgree(a.x, b.x, gain(p), sizeOf(st));
    for (let i = 0; i < p.n; i++) {
      expect(a.history[4 * i]).toBe(st.x0hat[2 * i]);
      expect(a.history[4 * i + 1]).toBe(st.x0hat[2 * i + 1]);
    }
  });

  test('second order with an unchanged x0_hat is the first-order step', () => {
    const { p, st } = randomCase(50);
    for (let i = 0; i < p.n; i++) st.history.set([st.x0hat[2 * i]!, st.x0hat[2 * i + 1]!], 4 * i);
    const a = copy(st);
    const b = copy(st);
    ref.dpmpp2m(a, { ...p, r: 0.7 });
    ref.dpmpp2m(b, p);
    // (1 + c) d - c d with c = 0.5 / 0.7: terms up to 2.5 |x0_hat|.
    expectAgree(a.x, b.x, 3 * gain(p), sizeOf(st));
  });

  test('the step is x_s = (sigma_s / sigma_t) x + alpha_s (1 - e^-h) D (Lu et al., Algorithm 2)', () => {
    const { p: base, st } = randomCase(20);
    const r = 0.8;
    const p = { ...base, r };
    st.history.set(Float64Array.from({ length: 4 * p.n }, () => rng.normal()));
    const a = copy(st);
    ref.dpmpp2m(a, p);
    const h = Math.log(p.alpha_s / p.sigma_s) - Math.log(p.alpha_t / p.sigma_t);
    const want = new Float64Array(2 * p.n);
    for (let i = 0; i < p.n; i++) {
      for (let q = 0; q < 2; q++) {
        const d = (1 + 1 / (2 * r)) * st.x0hat[2 * i + q]! - (1 / (2 * r)) * st.history[4 * i + q]!;
        want[2 * i + q] =
          (p.sigma_s / p.sigma_t) * st.x[2 * i + q]! - p.alpha_s * Math.expm1(-h) * d;
      }
    }
    // D sums 1.625 x0_hat and 0.625 of the previous one.
    const size = (k: number): number =>
      Math.abs(st.x[k]!) +
      2 * (Math.abs(st.x0hat[k]!) + Math.abs(st.history[4 * (k >> 1) + (k & 1)]!));
    expectAgree(a.x, want, gain(p), size);
  });
});

describe(`Euler-Maruyama (SEED=${seed})`, () => {
  test('VE, the step to sigma = 0: drift only, and it lands on x0_hat (Tweedie)', () => {
    const { p: base, st } = randomCase(50);
    const p = {
      ...base,
      alpha_t: 1,
      alpha_s: 1,
      sigma_s: 0,
      ...ref.emCoefficients(1, base.sigma_t, 1, 0),
    };
    const before = copy(st);
    ref.em(st, p);
    // x + sigma^2 (x0_hat - x) / sigma^2: a few roundings of |x| + |x0_hat|.
    expectAgree(st.x, st.x0hat, 1, sizeOf(before));
  });

  test('its noise is the step stream, sqrt(G) z', () => {
    const { p, st } = randomCase(50);
    const a = copy(st);
    ref.em(a, p);
    const drift = copy(st);
    ref.em(drift, { ...p, sigma_s: 0 });
    const moved = new Float64Array(2 * p.n);
    const want = new Float64Array(2 * p.n);
    const size = new Float64Array(2 * p.n);
    for (let i = 0; i < p.n; i++) {
      const z = normal2(p.seed, Stream.step, i, p.index);
      for (let q = 0; q < 2; q++) {
        const k = 2 * i + q;
        moved[k] = a.x[k]! - drift.x[k]!;
        want[k] = Math.sqrt(p.diffusion) * z[q]!;
        // Both runs sum x (1 - f), G (alpha_t x0_hat - x) / sigma_t^2 and (one) the noise.
        const score = (p.alpha_t * Math.abs(st.x0hat[k]!) + Math.abs(st.x[k]!)) / p.sigma_t ** 2;
        size[k] =
          Math.abs(st.x[k]!) * (1 + Math.abs(p.drift)) + p.diffusion * score + Math.abs(want[k]);
      }
    }
    expectAgree(moved, want, 1, (k) => 2 * size[k]!);
  });

  test('its drift is the probability-flow drift with twice the score term, to first order', () => {
    // Reverse SDE f x - g^2 score against the ODE f x - g^2 score / 2 (Song et al. 2021, eq. 13):
    // over a small step, em without noise moves x + F x twice as far as Euler does.
    const vp = (l: number): [number, number] => [
      Math.sqrt(1 / (1 + Math.exp(-2 * l))),
      Math.sqrt(1 / (1 + Math.exp(2 * l))),
    ];
    const dl = 1e-5;
    for (const [lambda, ve] of [
      [-1, false],
      [1.5, false],
      [0.3, true],
    ] as const) {
      const { p: base, st } = randomCase(20);
      const [alphaT, sigmaT] = ve ? [1, Math.exp(-lambda)] : vp(lambda);
      /** The least-squares ratio of the two moves over a step of dl in lambda. */
      const ratio = (step: number): number => {
        const [alphaS, sigmaS] = ve ? [1, Math.exp(-lambda - step)] : vp(lambda + step);
        const coefficients = ref.emCoefficients(alphaT, sigmaT, alphaS, sigmaS);
        const p = { ...base, alpha_t: alphaT, sigma_t: sigmaT, alpha_s: alphaS, sigma_s: sigmaS };
        const sde = copy(st);
        ref.em(sde, { ...p, ...coefficients, sigma_s: 0 });
        const ode = copy(st);
        ref.euler(ode, p);
        // Over all particles: a particle whose ODE move is nearly zero would make its own ratio
        // meaningless.
        let numDen = 0;
        let denDen = 0;
        for (let i = 0; i < st.x.length; i++) {
          const x = st.x[i]!;
          const fx = coefficients.drift * x;
          const num = sde.x[i]! - x + fx;
          const den = ode.x[i]! - x + fx;
          numDen += num * den;
          denDen += den * den;
        }
        return numDen / denDen;
      };
      // ratio = 2 + c dl + O(dl^2): the step-doubling difference ratio(2 dl) - ratio(dl) is c dl,
      // 2x for the O(dl^2) rest; the moves, O(dl), are differences of O(1) values, a few u each.
      const r1 = ratio(dl);
      const tol = 2 * Math.abs(ratio(2 * dl) - r1) + (64 * U64) / dl;
      within(Math.abs(r1 - 2), tol, 'first order in the step: c dl by step doubling');
    }
  });
});

describe(`the deliberate score error (SEED=${seed})`, () => {
  test('zero magnitudes leave x0_hat alone; bias shifts along a fixed unit vector', () => {
    const { p, st } = randomCase(50);
    const a = copy(st);
    ref.perturb(a, p);
    expect(a.x0hat).toEqual(st.x0hat);
    expect(Math.hypot(...ref.BIAS_DIRECTION)).toBeCloseTo(1, 15);
    const b = copy(st);
    ref.perturb(b, { ...p, error_bias: 0.5 });
    const shift = Array.from(b.x0hat, (v, k) => v - st.x0hat[k]!);
    const want = Array.from(shift, (_, k) => 0.5 * ref.BIAS_DIRECTION[k & 1]!);
    // x0_hat + 0.5 d rounded once, then the difference: terms <= |x0_hat| + 0.5.
    expectAgree(shift, want, 1, (k) => Math.abs(st.x0hat[k]!) + 0.5);
  });

  test('scale multiplies by 1 + scale; noise draws from its own stream, per evaluation', () => {
    const { p, st } = randomCase(50);
    const a = copy(st);
    ref.perturb(a, { ...p, error_scale: -0.25, error_noise: 0.1 });
    const want = new Float64Array(2 * p.n);
    const size = new Float64Array(2 * p.n);
    for (let i = 0; i < p.n; i++) {
      const z = normal2(p.seed, Stream.perturb, i, p.evaluation);
      for (let q = 0; q < 2; q++) {
        want[2 * i + q] = 0.75 * st.x0hat[2 * i + q]! + 0.1 * z[q]!;
        size[2 * i + q] = Math.abs(st.x0hat[2 * i + q]!) + 0.1 * Math.abs(z[q]!);
      }
    }
    expectAgree(a.x0hat, want, 1, (k) => size[k]!);
    const b = copy(st);
    ref.perturb(b, { ...p, error_noise: 0.1, evaluation: p.evaluation + 1 });
    const c = copy(st);
    ref.perturb(c, { ...p, error_noise: 0.1 });
    expect(b.x0hat.some((v, i) => v !== c.x0hat[i])).toBe(true);
  });
});
