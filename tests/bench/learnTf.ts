/**
 * The learned denoiser's network and training step in TF.js, for `npm run bench:learn`: the same
 * MLP as src/maths/learn/network.ts (sin/cos embeddings of x c_in, y c_in and tau at the same
 * frequencies, computed in the graph; Linear -> GELU(tanh) -> depth residual blocks -> Linear),
 * the same initial weights, the same batch (x0 from the points, a level uniform over the grid,
 * eps normal) and the same unweighted MSE on eps; tf.train.adam at the same lr. Not done here,
 * and done by our trainer: weight decay, gradient clipping, EMA (a few element-wise passes).
 */
import * as tf from '@tensorflow/tfjs-core';
import {
  initialParameters,
  networkForward,
  networkLayers,
  networkTurns,
  OUTPUTS,
  type NetworkArch,
} from '../../src/maths/learn/network';
import { minimizeSteps, relativeError } from './tfjs';

const GELU_C = Math.sqrt(2 / Math.PI);

/** GELU in its tanh form, written x sigmoid(2u) as the kernels do (the same function). */
function gelu(x: tf.Tensor): tf.Tensor {
  const u = tf.mul(tf.add(x, tf.mul(tf.mul(tf.mul(x, x), x), 0.044715)), GELU_C);
  return tf.mul(x, tf.sigmoid(tf.mul(u, 2)));
}

export class TfNet {
  private readonly weights: tf.Variable<tf.Rank.R2>[] = [];
  private readonly biases: tf.Variable<tf.Rank.R1>[] = [];
  /** 2 pi times the frequencies in turns: [1, K] for x and y, and for tau. */
  private readonly freqXY: tf.Tensor2D;
  private readonly freqT: tf.Tensor2D;
  private readonly data: tf.Tensor2D;
  private readonly alpha: tf.Tensor1D;
  private readonly sigma: tf.Tensor1D;
  private readonly optimizer: tf.AdamOptimizer;

  constructor(
    readonly arch: NetworkArch,
    seed: number,
    points: Float32Array,
    levels: Float32Array,
    lr: number,
  ) {
    const init = initialParameters(arch, seed);
    for (const l of networkLayers(arch)) {
      const w = init.subarray(l.offset, l.offset + l.inputs * l.outputs);
      const b = init.subarray(
        l.offset + l.inputs * l.outputs,
        l.offset + (l.inputs + 1) * l.outputs,
      );
      // Ours are row-major [outputs, inputs] (PyTorch's); TF multiplies rows by [inputs, outputs].
      this.weights.push(
        tf.variable(tf.tidy(() => tf.transpose(tf.tensor2d(w, [l.outputs, l.inputs])))),
      );
      this.biases.push(tf.variable(tf.tensor1d(b)));
    }
    const k = arch.frequencies;
    const turns = networkTurns(arch).map((v) => 2 * Math.PI * v);
    this.freqXY = tf.tensor2d(turns.slice(0, k), [1, k]);
    this.freqT = tf.tensor2d(turns.slice(k), [1, k]);
    this.data = tf.tensor2d(points, [points.length / 2, 2]);
    this.alpha = tf.tensor1d(levels.filter((_, i) => i % 2 === 0));
    this.sigma = tf.tensor1d(levels.filter((_, i) => i % 2 === 1));
    this.optimizer = tf.train.adam(lr, 0.9, 0.999, 1e-8);
  }

  /** The network's output for rows [B, 3] of (x c_in, y c_in, tau). */
  forward(rows: tf.Tensor2D): tf.Tensor {
    const embed = (column: number, freq: tf.Tensor2D): tf.Tensor[] => {
      const angle = tf.mul(tf.slice(rows, [0, column], [-1, 1]), freq);
      return [tf.sin(angle), tf.cos(angle)];
    };
    const e = tf.concat(
      [...embed(0, this.freqXY), ...embed(1, this.freqXY), ...embed(2, this.freqT)],
      1,
    );
    const linear = (x: tf.Tensor, i: number): tf.Tensor =>
      tf.add(tf.matMul(x, this.weights[i]!), this.biases[i]!);
    let h = gelu(linear(e, 0));
    for (let i = 1; i <= this.arch.depth; i++) h = tf.add(h, gelu(linear(h, i)));
    return linear(h, this.arch.depth + 1);
  }

  /** One batch's loss: x = alpha x0 + sigma eps at a uniform level, MSE of eps summed over x, y. */
  private loss(batch: number): tf.Scalar {
    const levels = this.alpha.shape[0];
    const x0 = tf.gather(this.data, tf.randomUniform([batch], 0, this.data.shape[0], 'int32'));
    const level = tf.randomUniform([batch], 0, levels, 'int32');
    const a = tf.expandDims(tf.gather(this.alpha, level), 1);
    const s = tf.expandDims(tf.gather(this.sigma, level), 1);
    const eps = tf.randomNormal([batch, OUTPUTS]);
    const cIn = tf.rsqrt(tf.add(tf.square(a), tf.square(s)));
    const x = tf.mul(tf.add(tf.mul(x0, a), tf.mul(eps, s)), cIn);
    const tau = tf.mul(tf.atan2(s, a), 2 / Math.PI);
    const out = this.forward(tf.concat([x, tau], 1) as tf.Tensor2D);
    return tf.div(tf.sum(tf.squaredDifference(out, eps)), batch);
  }

  /**
   * `steps` optimiser steps with no readback between them; the first and the last loss, read
   * once at the end.
   */
  train(steps: number, batch: number): Promise<{ first: number; last: number }> {
    return minimizeSteps(this.optimizer, () => this.loss(batch), steps);
  }

  /** Largest |TF - float64| over the largest |float64| of the untrained network on `rows`. */
  async check(rows: Float32Array, seed: number): Promise<number> {
    const batch = rows.length / 3;
    const out = tf.tidy(() => this.forward(tf.tensor2d(rows, [batch, 3])));
    const got = await out.data();
    out.dispose();
    const ref = networkForward(this.arch, initialParameters(this.arch, seed), rows, batch).out;
    return relativeError(got, ref);
  }

  dispose(): void {
    for (const v of [...this.weights, ...this.biases]) v.dispose();
    for (const t of [this.freqXY, this.freqT, this.data, this.alpha, this.sigma]) t.dispose();
    this.optimizer.dispose();
  }
}
