/**
 * The float64 references of the optimiser kernels (src/maths/learn/optim.ts) against what AdamW
 * and an EMA must do in closed form: Adam's first step is lr g / (|g| + eps) whatever the scale of
 * g (the bias corrections undo the zero initial moments), decoupled weight decay shrinks p by
 * (1 - lr wd) per step independently of the gradient, and an EMA of a constant p closes the gap by
 * decay^n after n steps.
 */
import { describe, expect, test } from 'vitest';
import { adamCorrections, adamwStep, DEFAULT_ADAM, emaStep } from '../../src/maths/learn/optim';
import { Rng } from '../../src/maths/rng';
import { SEED, within } from '../random';

const rng = new Rng(SEED, 132);
const EPS64 = 2 ** -53;

describe(`AdamW and EMA, float64 (SEED=${SEED})`, () => {
  test('the first step is lr g / (|g| + eps), for gradients of any scale', () => {
    const h = { ...DEFAULT_ADAM, weightDecay: 0 };
    const n = 50;
    const g = Float64Array.from({ length: n }, () => rng.normal() * 10 ** (8 * rng.uniform() - 4));
    const p0 = Float64Array.from({ length: n }, () => rng.normal());
    const p = p0.slice();
    adamwStep(h, 1, p, g, new Float64Array(n), new Float64Array(n));
    for (let i = 0; i < n; i++) {
      const expected = p0[i]! - (h.lr * g[i]!) / (Math.abs(g[i]!) + h.eps);
      // About 10 roundings of numbers up to |p0| + lr.
      within(
        Math.abs(p[i]! - expected),
        16 * EPS64 * (Math.abs(p0[i]!) + 1),
        'step 1: 10 roundings',
      );
    }
  });

  test('weight decay is decoupled: with g = 0, p shrinks by (1 - lr wd) per step', () => {
    const h = { ...DEFAULT_ADAM, lr: 0.1, weightDecay: 0.5 };
    const p = Float64Array.from([1, -2, 3]);
    const m = new Float64Array(3);
    const v = new Float64Array(3);
    for (let t = 1; t <= 5; t++) adamwStep(h, t, p, new Float64Array(3), m, v);
    const shrink = (1 - h.lr * h.weightDecay) ** 5;
    for (const [i, p0] of [1, -2, 3].entries())
      within(Math.abs(p[i]! - shrink * p0), 16 * EPS64 * Math.abs(p0), '5 products');
  });

  test('the bias corrections are 1 / (1 - b^t), finite from t = 1, tending to 1', () => {
    const [c1, c2] = adamCorrections(DEFAULT_ADAM, 1);
    expect(c1).toBeCloseTo(10, 12);
    expect(c2).toBeCloseTo(1000, 9);
    const [d1, d2] = adamCorrections(DEFAULT_ADAM, 100_000);
    expect(d1).toBe(1);
    expect(Math.abs(d2 - 1)).toBeLessThan(1e-40);
    expect(() => adamCorrections(DEFAULT_ADAM, 0)).toThrow();
  });

  test('an EMA of a constant p closes the gap by decay^n', () => {
    const decay = 0.99;
    const p = Float64Array.from({ length: 8 }, () => rng.normal());
    const e0 = Float64Array.from({ length: 8 }, () => rng.normal());
    const e = e0.slice();
    for (let t = 0; t < 100; t++) emaStep(decay, p, e);
    for (let i = 0; i < p.length; i++) {
      const expected = p[i]! + decay ** 100 * (e0[i]! - p[i]!);
      within(Math.abs(e[i]! - expected), 400 * EPS64 * 4, '100 steps of 3 roundings on |x| < 4');
    }
  });
});
