/**
 * The class-conditional 2D network (src/maths/learn/network.ts, `classes`): the class enters as a
 * one-hot after the embeddings, so its gradient is the input layer's; checked here against
 * central finite differences of the float64 loss (./finiteDifferences.ts's error model), with
 * labelled and dropped (NO_CLASS) rows in one batch, on fresh random inputs (SEED=... replays).
 */
import { describe, expect, test } from 'vitest';
import {
  archProblem,
  embeddingWidth,
  embedRows,
  MAX_CLASSES,
  networkForward,
  networkLoss,
  NO_CLASS,
  parameterCount,
  type NetworkArch,
} from '../../src/maths/learn/network';
import { Rng } from '../../src/maths/rng';
import { SEED, within } from '../random';
import { centralDifference, gradientRounding } from './finiteDifferences';

const rng = new Rng(SEED, 151);
const normals = (n: number, scale = 1): Float64Array =>
  Float64Array.from({ length: n }, () => scale * rng.normal());

const ARCH: NetworkArch = {
  width: 5,
  depth: 1,
  frequencies: 2,
  activation: 'gelu',
  target: 'v',
  classes: 3,
};

describe(`the class-conditional network (SEED=${SEED})`, () => {
  test('the one-hot follows the embeddings; NO_CLASS and no labels leave zeros', () => {
    const rows = normals(3 * 3);
    const E = embeddingWidth(ARCH);
    expect(E).toBe(6 * ARCH.frequencies + 3);
    const e = embedRows(ARCH, rows, 3, [2, NO_CLASS, 0]);
    const plain = embedRows({ ...ARCH, classes: 0 }, rows, 3);
    for (let r = 0; r < 3; r++) {
      expect(Array.from(e.subarray(r * E, r * E + E - 3))).toEqual(
        Array.from(plain.subarray(r * (E - 3), (r + 1) * (E - 3))),
      );
    }
    expect(Array.from(e.subarray(E - 3, E))).toEqual([0, 0, 1]);
    expect(Array.from(e.subarray(2 * E - 3, 2 * E))).toEqual([0, 0, 0]);
    expect(Array.from(e.subarray(3 * E - 3, 3 * E))).toEqual([1, 0, 0]);
    expect(embedRows(ARCH, rows, 3).subarray(0, E).slice(-3)).toEqual(new Float64Array(3));
  });

  test("a class adds its column of the input layer's weights, nothing else", () => {
    const params = normals(parameterCount(ARCH), 0.5);
    const rows = normals(3);
    const none = networkForward(ARCH, params, rows, 1, [NO_CLASS]);
    const E = embeddingWidth(ARCH);
    for (let c = 0; c < 3; c++) {
      const pre = networkForward(ARCH, params, rows, 1, [c]).pre[0]!;
      for (let j = 0; j < ARCH.width; j++)
        expect(pre[j]! - none.pre[0]![j]!).toBeCloseTo(params[j * E + E - 3 + c]!, 12);
    }
  });

  test('every parameter of the loss against central differences, labelled and dropped rows', () => {
    const batch = 6;
    const labels = [0, 1, 2, NO_CLASS, rng.int(3), NO_CLASS];
    const data = {
      rows: normals(3 * batch),
      goal: normals(2 * batch),
      weight: Float64Array.from({ length: batch }, () => 0.5 + rng.uniform()),
      labels,
    };
    const E = embeddingWidth(ARCH);
    const params = normals(parameterCount(ARCH), 1 / Math.sqrt(E));
    const { grad } = networkLoss(ARCH, params, data, batch);
    const chain = 4 * (E + ARCH.width * (ARCH.depth + 1) + 2 * batch);
    for (let i = 0; i < params.length; i++) {
      const d = centralDifference(
        () => networkLoss(ARCH, params, data, batch).loss,
        params,
        i,
        chain,
      );
      within(
        Math.abs(grad[i]! - d.value),
        d.bound + gradientRounding(grad[i]!, chain),
        `dθ[${i}]: central difference, h^2 M3 / 6 + delta / h`,
      );
    }
    // The class columns of rows with no class get no gradient from them: dropping every label
    // leaves those columns' gradient exactly 0.
    const dropped = networkLoss(
      ARCH,
      params,
      { ...data, labels: labels.map(() => NO_CLASS) },
      batch,
    );
    for (let j = 0; j < ARCH.width; j++)
      for (let c = 0; c < 3; c++) expect(dropped.grad[j * E + E - 3 + c]).toBe(0);
  });

  test('classes are a whole number from 0 to MAX_CLASSES', () => {
    expect(archProblem({ ...ARCH, classes: MAX_CLASSES })).toBeNull();
    expect(archProblem({ ...ARCH, classes: 0 })).toBeNull();
    for (const bad of [-1, 1.5, MAX_CLASSES + 1])
      expect(archProblem({ ...ARCH, classes: bad })).toContain('classes must be');
  });
});
