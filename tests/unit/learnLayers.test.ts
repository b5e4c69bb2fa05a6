/**
 * The float64 references of the learned denoiser's layers (src/maths/learn/): every backward pass
 * against central finite differences of a float64 loss, within the error model of
 * ./finiteDifferences.ts, on fresh random inputs (seed in the names; SEED=... replays): each
 * layer alone under a random linear read-out, then chained in a tiny MLP (embedding -> linear ->
 * SiLU -> linear -> weighted MSE).
 */
import { describe, expect, test } from 'vitest';
import { gelu, geluBackward, silu, siluBackward } from '../../src/maths/learn/activations';
import { embed, embeddingTurns, transformerTurns } from '../../src/maths/learn/embedding';
import {
  linearBackwardInput,
  linearBackwardWeight,
  linearForward,
  linearParameters,
  type LinearShape,
} from '../../src/maths/learn/linear';
import { mseLoss } from '../../src/maths/learn/loss';
import { tinyMlpLoss, tinyMlpParameters, type TinyMlp } from '../../src/maths/learn/mlp';
import { Rng } from '../../src/maths/rng';
import { SEED, within } from '../random';
import { centralDifference, gradientRounding } from './finiteDifferences';
import {
  MAX_SPLIT_FLOATS,
  MAX_WEIGHT_SPLITS,
  splitBatch,
  WEIGHT_CHUNK,
} from '../../src/sim/learn/ops';

const rng = new Rng(SEED, 131);
const normals = (n: number, scale = 1): Float64Array =>
  Float64Array.from({ length: n }, () => scale * rng.normal());

/** Every coordinate of `grad` against the central difference of f along it. */
function expectGradient(
  what: string,
  f: () => number,
  x: Float64Array,
  grad: ArrayLike<number>,
  chain: number,
): void {
  expect(grad.length).toBe(x.length);
  for (let i = 0; i < x.length; i++) {
    const d = centralDifference(f, x, i, chain);
    within(
      Math.abs(grad[i]! - d.value),
      d.bound + gradientRounding(grad[i]!, chain),
      `${what}[${i}]: central difference, h^2 M3 / 6 + delta / h`,
    );
  }
}

const dot = (a: ArrayLike<number>, b: ArrayLike<number>): number => {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
};

describe(`learned denoiser layers, float64 backward against finite differences (SEED=${SEED})`, () => {
  test('linear: dX, dW and db of <C, X W^T + b>, sizes off any tile', () => {
    const s: LinearShape = { batch: 5, inputs: 7, outputs: 3, offset: 4 };
    const params = normals(s.offset + linearParameters(s.inputs, s.outputs) + 2);
    const x = normals(s.batch * s.inputs);
    const c = normals(s.batch * s.outputs);
    const f = (): number => dot(c, linearForward(s, x, params));
    expectGradient('dX', f, x, linearBackwardInput(s, c, params), s.inputs + s.outputs);
    const grads = new Float64Array(params.length);
    linearBackwardWeight(s, x, c, grads);
    // Only the layer's own part of the flat array is written; the rest stays 0 (and f ignores it).
    expectGradient('[dW | db]', f, params, grads, s.inputs + s.batch * s.outputs);
  });

  test('SiLU: dx of <c, silu(x)>', () => {
    const x = normals(40, 3);
    x[0] = 0;
    x[1] = -20;
    x[2] = 15;
    const c = normals(x.length);
    expectGradient('dx', () => dot(c, silu(x)), x, siluBackward(x, c), x.length + 8);
  });

  test('GELU (tanh form): dx of <c, gelu(x)>', () => {
    const x = normals(40, 3);
    x[0] = 0;
    x[1] = -20;
    x[2] = 15;
    x[3] = -4;
    const c = normals(x.length);
    expectGradient('dx', () => dot(c, gelu(x)), x, geluBackward(x, c), x.length + 12);
  });

  test('weighted MSE: dL/dpred', () => {
    const batch = 6;
    const width = 3;
    const pred = normals(batch * width);
    const target = normals(batch * width);
    const weight = Float64Array.from({ length: batch }, () => 0.1 + rng.uniform());
    const f = (): number => mseLoss(batch, width, pred, target, weight).loss;
    const { grad } = mseLoss(batch, width, pred, target, weight);
    expectGradient('dpred', f, pred, grad, 4 * batch * width);
  });

  test('tiny MLP: every parameter of embedding -> linear -> SiLU -> linear -> MSE', () => {
    const batch = 7;
    const columns = 3;
    const turns = transformerTurns(3, 4);
    const net: TinyMlp = {
      batch,
      columns,
      turns,
      hidden: 9,
      outputs: 2,
      inputs: normals(batch * columns),
      target: normals(batch * 2),
      weight: Float64Array.from({ length: batch }, () => 0.5 + rng.uniform()),
    };
    const width = 2 * turns.length * columns;
    const params = normals(tinyMlpParameters(net), 1 / Math.sqrt(width));
    const { grad } = tinyMlpLoss(net, params);
    const chain = 4 * (width + net.hidden + batch * net.outputs);
    expectGradient('dθ', () => tinyMlpLoss(net, params).loss, params, grad, chain);
  });
});

describe('sinusoidal embedding', () => {
  test("transformerTurns: scale 10000^(-k / (K - 1)) radians per unit, in turns, tiny-diffusion's order", () => {
    const k = 16;
    const scale = 25;
    const turns = transformerTurns(k, scale);
    for (let j = 0; j < k; j++) {
      const radians = scale * 10000 ** (-j / (k - 1));
      expect(turns[j]).toBe(Math.fround(radians / (2 * Math.PI)));
    }
    expect(Array.from(embeddingTurns(1, 2, 2))).toEqual([2]);
    expect(() => embeddingTurns(0, 1, 2)).toThrow();
    expect(() => embeddingTurns(3, 2, 1)).toThrow();
  });

  test('embed writes sin then cos of each column at its offset, nothing else', () => {
    const turns = embeddingTurns(2, 0.5, 1);
    const s = Float64Array.from([0.25, 1, -0.5, 2]);
    const out = new Float64Array(2 * 6).fill(7);
    embed({ batch: 2, inStride: 2, column: 1, outStride: 6, outOffset: 1 }, s, turns, out);
    const row = (v: number): number[] => [
      7,
      Math.sin(Math.PI * v),
      Math.sin(2 * Math.PI * v),
      Math.cos(Math.PI * v),
      Math.cos(2 * Math.PI * v),
      7,
    ];
    expect(Array.from(out)).toEqual([...row(1), ...row(2)]);
  });
});

describe("the weights' gradient's split of a batch (src/sim/learn/ops.ts)", () => {
  test('chunks that are never empty, cover the batch, and stay within the caps', () => {
    for (const count of [10, 99_074, 700_000, 2 ** 23, 2 ** 24]) {
      for (const batch of [1, 5, 63, 64, 65, 127, 129, 150, 256, 4096, 4097, 65536]) {
        const { splits, chunk } = splitBatch(batch, count);
        const what = `batch ${batch}, ${count} parameters: ${splits} x ${chunk}`;
        // Every chunk holds a row: the last one starts before the end of the batch.
        expect((splits - 1) * chunk, what).toBeLessThan(batch);
        expect(splits * chunk, what).toBeGreaterThanOrEqual(batch);
        expect(splits, what).toBeLessThanOrEqual(MAX_WEIGHT_SPLITS);
        if (splits > 1) expect(splits * count, what).toBeLessThanOrEqual(MAX_SPLIT_FLOATS);
        // No split where one chunk holds the batch; otherwise chunks of WEIGHT_CHUNK rows at most
        // unless a cap (splits, or the partials' floats) made them longer.
        if (batch <= WEIGHT_CHUNK) expect(splits, what).toBe(1);
        const capped = Math.min(MAX_WEIGHT_SPLITS, Math.floor(MAX_SPLIT_FLOATS / count));
        if (Math.ceil(batch / WEIGHT_CHUNK) <= capped)
          expect(chunk, what).toBeLessThanOrEqual(WEIGHT_CHUNK);
      }
    }
  });
});
