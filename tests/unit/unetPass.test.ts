/**
 * The U-Net's float64 backward (src/maths/learn/unetPass.ts) against central finite differences
 * of its float64 loss, over every parameter tensor (a sample of coordinates in each) and the input
 * image, on a tiny configuration: 2 levels (so the down, up, skip and merge paths all carry
 * gradient), 2 groups of 2 channels, a 2-channel 4 x 6 image, a batch of 2 at different levels.
 */
import { describe, expect, test } from 'vitest';
import { unetPlan, type UNetArch } from '../../src/maths/learn/unet';
import { NO_CLASS } from '../../src/maths/learn/network';
import { unetForward, unetLoss } from '../../src/maths/learn/unetPass';
import { Rng } from '../../src/maths/rng';
import { SEED, within } from '../random';
import { centralDifference, gradientRounding } from './finiteDifferences';

const rng = new Rng(SEED, 151);
const normals = (n: number, scale = 1): Float64Array =>
  Float64Array.from({ length: n }, () => scale * rng.normal());

describe(`the U-Net's float64 gradient against finite differences (SEED=${SEED})`, () => {
  const arch: UNetArch = { channels: 4, levels: 2, groups: 2, frequencies: 3, target: 'v' };
  const image = { channels: 2, height: 4, width: 6 };
  const plan = unetPlan(arch, image);
  const batch = 2;
  const P = image.channels * image.height * image.width;
  // Weights at PyTorch's scale (1 / sqrt(fan in)); GroupNorm's gamma near 1 and beta near 0.
  const params = normals(plan.parameters, 0.3);
  for (const t of plan.tensors)
    if (/norm\d?\.weight$/.test(t.name))
      for (let i = 0; i < t.shape[0]!; i++) params[t.offset + i] = 1 + 0.2 * rng.normal();
  const b = {
    x: normals(batch * P),
    tau: Float64Array.of(0.3, 0.8),
    goal: normals(batch * P),
    weight: Float64Array.of(1, 0.5),
  };
  // The loss alone (the forward and the MSE), for the differences: no backward per evaluation.
  const lossOf = (): number => {
    const out = unetForward(plan, params, b.x, b.tau, batch).out;
    const scale = 1 / (batch * P);
    let l = 0;
    for (let i = 0; i < out.length; i++) {
      const d = out[i]! - b.goal[i]!;
      l += b.weight[Math.floor(i / P)]! * d * d * scale;
    }
    return l;
  };
  // The longest chain of float64 operations: every layer's sums over its inputs, generously.
  const chain = 64 * plan.ops.length * (9 * 2 * 2 * arch.channels + P);

  // About 5,000 evaluations of the network: seconds, more on a loaded machine.
  test(
    'every parameter tensor (8 coordinates of each, its first and last among them)',
    { timeout: 60_000 },
    () => {
      const { grad, loss } = unetLoss(plan, params, b, batch);
      expect(lossOf()).toBe(loss);
      for (const t of plan.tensors) {
        const n = t.shape.reduce((a, d) => a * d, 1);
        const picks = new Set([0, n - 1, ...Array.from({ length: 6 }, () => rng.int(n))]);
        for (const k of picks) {
          const i = t.offset + k;
          const d = centralDifference(lossOf, params, i, chain);
          within(
            Math.abs(grad[i]! - d.value),
            d.bound + gradientRounding(grad[i]!, chain),
            `${t.name}[${k}]: central difference, h^2 M3 / 6 + delta / h`,
          );
        }
      }
    },
  );

  test(
    'the input image, every value (the path through every layer and the skips)',
    { timeout: 60_000 },
    () => {
      const { dx } = unetLoss(plan, params, b, batch);
      for (let i = 0; i < b.x.length; i++) {
        const d = centralDifference(lossOf, b.x, i, chain);
        within(
          Math.abs(dx[i]! - d.value),
          d.bound + gradientRounding(dx[i]!, chain),
          `dL/dx[${i}]: central difference, h^2 M3 / 6 + delta / h`,
        );
      }
    },
  );

  test("class-conditional: the time MLP's input layer, class columns and all, and the label's path", () => {
    const conditional = unetPlan({ ...arch, classes: 3 }, image);
    const w = normals(conditional.parameters, 0.3);
    for (const t of conditional.tensors)
      if (/norm\d?\.weight$/.test(t.name))
        for (let i = 0; i < t.shape[0]!; i++) w[t.offset + i] = 1 + 0.2 * rng.normal();
    const labelled = { ...b, labels: [rng.int(3), NO_CLASS] };
    const lossOf2 = (): number => unetLoss(conditional, w, labelled, batch).loss;
    const { grad } = unetLoss(conditional, w, labelled, batch);
    const time0 = conditional.tensors.find((t) => t.name === 'time.0.weight')!;
    // [outputs, 2 K + classes]: every coordinate, the class columns included.
    expect(time0.shape).toEqual([4 * arch.channels, 2 * arch.frequencies + 3]);
    const n = time0.shape[0]! * time0.shape[1]!;
    for (let k = 0; k < n; k++) {
      const i = time0.offset + k;
      const d = centralDifference(lossOf2, w, i, chain);
      within(
        Math.abs(grad[i]! - d.value),
        d.bound + gradientRounding(grad[i]!, chain),
        `time.0.weight[${k}]: central difference, h^2 M3 / 6 + delta / h`,
      );
    }
    // The class changes the output; no class is zeros, the same as no labels at all.
    const out = (labels?: number[]) => unetForward(conditional, w, b.x, b.tau, batch, labels).out;
    expect(out([NO_CLASS, NO_CLASS])).toEqual(out());
    expect(out([1, NO_CLASS])).not.toEqual(out([2, NO_CLASS]));
  });
});
