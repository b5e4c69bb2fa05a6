/** Identities between the float64 sampler references (src/maths/steps.ts). */
import { describe, expect, test } from 'vitest';
import { Rng, Stream, normal2 } from '../../src/maths/rng';
import * as ref from '../../src/maths/steps';
import { SEED } from '../random';

const rng = new Rng(SEED, 42);

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

const copy = (st: ref.CpuState): ref.CpuState => ({
  x: st.x.slice(),
  x0hat: st.x0hat.slice(),
  energy: st.energy.slice(),
  aux: st.aux.slice(),
});

describe('sampler identities', () => {
  test('Euler in sigma-space is DDIM with eta 0 (Karras et al. 2022, section 4)', () => {
    for (let k = 0; k < 20; k++) {
      const { p, st } = randomCase(50);
      const a = copy(st);
      const b = copy(st);
      ref.euler(a, p);
      ref.ddim(b, p);
      for (let i = 0; i < a.x.length; i++) expect(a.x[i]).toBeCloseTo(b.x[i]!, 10);
    }
  });

  test('DDPM is DDIM with eta 1, draw for draw', () => {
    for (let k = 0; k < 20; k++) {
      const { p, st } = randomCase(50);
      const a = copy(st);
      const b = copy(st);
      ref.ddpm(a, p);
      ref.ddim(b, { ...p, eta: 1 });
      for (let i = 0; i < a.x.length; i++) expect(a.x[i]).toBeCloseTo(b.x[i]!, 10);
    }
  });

  test('Heun with a denoiser that does not change between t and s is Euler', () => {
    const { p, st } = randomCase(50);
    const heun = copy(st);
    const euler = copy(st);
    ref.heunPredict(heun, p);
    ref.heunCorrect(heun, p);
    ref.euler(euler, p);
    for (let i = 0; i < heun.x.length; i++) expect(heun.x[i]).toBeCloseTo(euler.x[i]!, 10);
  });
});

describe('zero terminal SNR and the stable Euler form', () => {
  test("Euler's multiplied-out form is the sigma-space step of Karras et al. when alpha_t > 0", () => {
    for (let k = 0; k < 20; k++) {
      const { p, st } = randomCase(50);
      const a = copy(st);
      ref.euler(a, p);
      const shT = p.sigma_t / p.alpha_t;
      const shS = p.sigma_s / p.alpha_s;
      for (let i = 0; i < a.x.length; i++) {
        const xh = st.x[i]! / p.alpha_t;
        const d = (xh - st.x0hat[i]!) / shT;
        expect(a.x[i]).toBeCloseTo(p.alpha_s * (xh + (shS - shT) * d), 10);
      }
    }
  });

  test('from alpha_t = 0, Euler, DDIM (eta 0) and DPM-Solver++ are finite and agree', () => {
    const { p: base, st } = randomCase(50);
    const p = { ...base, alpha_t: 0, sigma_t: 1 };
    const outs = [ref.euler, ref.ddim, ref.dpmpp2m].map((step) => {
      const c = copy(st);
      step(c, p);
      return c.x;
    });
    for (let i = 0; i < st.x.length; i++) {
      // x_s = sigma_s x + alpha_s x0_hat.
      const want = p.sigma_s * st.x[i]! + p.alpha_s * st.x0hat[i]!;
      for (const out of outs) expect(out[i]).toBeCloseTo(want, 10);
    }
  });
});

describe('DPM-Solver++(2M)', () => {
  test('first order (r = 0) is DDIM with eta 0, and keeps x0_hat for the next step', () => {
    const { p, st } = randomCase(50);
    const a = copy(st);
    const b = copy(st);
    ref.dpmpp2m(a, p);
    ref.ddim(b, p);
    for (let i = 0; i < a.x.length; i++) expect(a.x[i]).toBeCloseTo(b.x[i]!, 10);
    for (let i = 0; i < p.n; i++) {
      expect(a.aux[4 * i]).toBe(st.x0hat[2 * i]);
      expect(a.aux[4 * i + 1]).toBe(st.x0hat[2 * i + 1]);
    }
  });

  test('second order with an unchanged x0_hat is the first-order step', () => {
    const { p, st } = randomCase(50);
    for (let i = 0; i < p.n; i++) st.aux.set([st.x0hat[2 * i]!, st.x0hat[2 * i + 1]!], 4 * i);
    const a = copy(st);
    const b = copy(st);
    ref.dpmpp2m(a, { ...p, r: 0.7 });
    ref.dpmpp2m(b, p);
    for (let i = 0; i < a.x.length; i++) expect(a.x[i]).toBeCloseTo(b.x[i]!, 10);
  });

  test('the step is x_s = (sigma_s / sigma_t) x + alpha_s (1 - e^-h) D (Lu et al., Algorithm 2)', () => {
    const { p: base, st } = randomCase(20);
    const r = 0.8;
    const p = { ...base, r };
    st.aux.set(Float64Array.from({ length: 4 * p.n }, () => rng.normal()));
    const a = copy(st);
    ref.dpmpp2m(a, p);
    const h = Math.log(p.alpha_s / p.sigma_s) - Math.log(p.alpha_t / p.sigma_t);
    for (let i = 0; i < p.n; i++) {
      for (let q = 0; q < 2; q++) {
        const d = (1 + 1 / (2 * r)) * st.x0hat[2 * i + q]! - (1 / (2 * r)) * st.aux[4 * i + q]!;
        const want = (p.sigma_s / p.sigma_t) * st.x[2 * i + q]! - p.alpha_s * Math.expm1(-h) * d;
        expect(a.x[2 * i + q]).toBeCloseTo(want, 10);
      }
    }
  });
});

describe('Euler-Maruyama', () => {
  test('VE, the step to sigma = 0: drift only, and it lands on x0_hat (Tweedie)', () => {
    const { p: base, st } = randomCase(50);
    const p = {
      ...base,
      alpha_t: 1,
      alpha_s: 1,
      sigma_s: 0,
      ...ref.emCoefficients(1, base.sigma_t, 1, 0),
    };
    ref.em(st, p);
    for (let i = 0; i < st.x.length; i++) expect(st.x[i]).toBeCloseTo(st.x0hat[i]!, 10);
  });

  test('its noise is the step stream, sqrt(G) z', () => {
    const { p, st } = randomCase(50);
    const a = copy(st);
    ref.em(a, p);
    const drift = copy(st);
    ref.em(drift, { ...p, sigma_s: 0 });
    for (let i = 0; i < p.n; i++) {
      const z = normal2(p.seed, Stream.step, i, p.index);
      for (let q = 0; q < 2; q++) {
        expect(a.x[2 * i + q]! - drift.x[2 * i + q]!).toBeCloseTo(
          Math.sqrt(p.diffusion) * z[q]!,
          10,
        );
      }
    }
  });

  test('its drift is the probability-flow drift with twice the score term, to first order', () => {
    // Reverse SDE f x - g^2 score against the ODE f x - g^2 score / 2 (Song et al. 2021, eq. 13):
    // over a small step, em without noise moves x + F x twice as far as Euler does.
    const vp = (l: number): [number, number] => [
      Math.sqrt(1 / (1 + Math.exp(-2 * l))),
      Math.sqrt(1 / (1 + Math.exp(2 * l))),
    ];
    for (const [lambda, ve] of [
      [-1, false],
      [1.5, false],
      [0.3, true],
    ] as const) {
      const { p: base, st } = randomCase(20);
      const [alphaT, sigmaT] = ve ? [1, Math.exp(-lambda)] : vp(lambda);
      const [alphaS, sigmaS] = ve ? [1, Math.exp(-lambda - 1e-5)] : vp(lambda + 1e-5);
      const coefficients = ref.emCoefficients(alphaT, sigmaT, alphaS, sigmaS);
      const p = { ...base, alpha_t: alphaT, sigma_t: sigmaT, alpha_s: alphaS, sigma_s: sigmaS };
      const sde = copy(st);
      ref.em(sde, { ...p, ...coefficients, sigma_s: 0 });
      const ode = copy(st);
      ref.euler(ode, p);
      // A least-squares ratio over all particles: a particle whose ODE move is nearly zero
      // would make its own ratio meaningless.
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
      expect(numDen / denDen).toBeCloseTo(2, 3);
    }
  });
});

describe('the deliberate score error', () => {
  test('zero magnitudes leave x0_hat alone; bias shifts along a fixed unit vector', () => {
    const { p, st } = randomCase(50);
    const a = copy(st);
    ref.perturb(a, p);
    expect(a.x0hat).toEqual(st.x0hat);
    expect(Math.hypot(...ref.BIAS_DIRECTION)).toBeCloseTo(1, 15);
    const b = copy(st);
    ref.perturb(b, { ...p, error_bias: 0.5 });
    for (let i = 0; i < p.n; i++) {
      for (let q = 0; q < 2; q++) {
        expect(b.x0hat[2 * i + q]! - st.x0hat[2 * i + q]!).toBeCloseTo(
          0.5 * ref.BIAS_DIRECTION[q]!,
          12,
        );
      }
    }
  });

  test('scale multiplies by 1 + scale; noise draws from its own stream, per evaluation', () => {
    const { p, st } = randomCase(50);
    const a = copy(st);
    ref.perturb(a, { ...p, error_scale: -0.25, error_noise: 0.1 });
    for (let i = 0; i < p.n; i++) {
      const z = normal2(p.seed, Stream.perturb, i, p.evaluation);
      for (let q = 0; q < 2; q++) {
        expect(a.x0hat[2 * i + q]).toBeCloseTo(0.75 * st.x0hat[2 * i + q]! + 0.1 * z[q]!, 12);
      }
    }
    const b = copy(st);
    ref.perturb(b, { ...p, error_noise: 0.1, evaluation: p.evaluation + 1 });
    const c = copy(st);
    ref.perturb(c, { ...p, error_noise: 0.1 });
    expect(b.x0hat.some((v, i) => v !== c.x0hat[i])).toBe(true);
  });
});
