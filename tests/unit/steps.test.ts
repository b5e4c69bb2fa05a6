/** Identities between the float64 sampler references (src/maths/steps.ts). */
import { describe, expect, test } from 'vitest';
import { Rng } from '../../src/maths/rng';
import * as ref from '../../src/maths/steps';

const rng = new Rng(Math.floor(Math.random() * 2 ** 32), 42);

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
