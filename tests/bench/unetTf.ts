/**
 * The image U-Net in TF.js, for `npm run bench:unet`: the PyTorch modules of README.md's "The
 * image U-Net" written again here, in TF's NHWC layout (the stored images' own: channels
 * interleaved), with variables named as that state dict's. Its weights load by those names from
 * our flat parameters (src/maths/learn/unet.ts's tensors), each shape checked, every variable
 * loaded once: a plan that differed from these modules would not load. The same batch as our
 * trainer (x0 from the images, a level uniform over the grid, eps normal), the unweighted MSE of
 * the target over every value; tf.train.adam at the same lr. Not done here, and done by our
 * trainer: weight decay, gradient clipping, EMA (a few element-wise passes).
 */
import * as tf from '@tensorflow/tfjs-core';
import type { TensorSpec } from '../../src/maths/learn/network';
import { NORM_EPS, type ImageFormat, type UNetArch } from '../../src/maths/learn/unet';
import { unetTurns } from '../../src/maths/learn/unetPass';
import { minimizeSteps } from './tfjs';

const silu = (x: tf.Tensor): tf.Tensor => tf.mul(x, tf.sigmoid(x));

/** A variable in TF's layout and the PyTorch shape it loads from. */
interface Param {
  variable: tf.Variable;
  torch: number[];
}

export class TfUNet {
  private readonly params = new Map<string, Param>();
  /** 2 pi times the time embedding's frequencies in turns: [1, K]. */
  private readonly freq: tf.Tensor2D;
  private readonly optimizer: tf.AdamOptimizer;
  private data: { images: tf.Tensor4D; alpha: tf.Tensor1D; sigma: tf.Tensor1D } | null = null;

  constructor(
    readonly arch: UNetArch,
    readonly image: ImageFormat,
    lr: number,
  ) {
    const { channels: C, levels: L, frequencies: K } = arch;
    const T = 4 * C;
    const ch = (l: number): number => (l === 0 ? C : 2 * C);
    this.linear('time.0', 2 * K, T);
    this.linear('time.2', T, T);
    this.conv('conv_in', image.channels, C);
    for (let l = 0; l < L; l++) {
      this.res(`down.${l}.res`, ch(l), T);
      if (l < L - 1) this.conv(`down.${l}.down`, ch(l), ch(l + 1));
    }
    this.res('mid.res', ch(L - 1), T);
    for (let l = 0; l < L - 1; l++) {
      this.conv(`up.${l}.up`, ch(l + 1), ch(l));
      this.conv(`up.${l}.merge`, 2 * ch(l), ch(l));
      this.res(`up.${l}.res`, ch(l), T);
    }
    this.norm('out.norm', C);
    this.conv('out.conv', C, image.channels);
    const turns = unetTurns(K).map((v) => 2 * Math.PI * v);
    this.freq = tf.tensor2d(turns, [1, K]);
    this.optimizer = tf.train.adam(lr, 0.9, 0.999, 1e-8);
  }

  /** Parameters: the variables' sizes summed. */
  get parameters(): number {
    let n = 0;
    for (const p of this.params.values()) n += p.variable.size;
    return n;
  }

  /** Sets every variable from flat parameters by PyTorch name; throws on any mismatch. */
  load(flat: Float32Array, tensors: readonly TensorSpec[]): void {
    const loaded = new Set<string>();
    for (const t of tensors) {
      const p = this.params.get(t.name);
      if (!p) throw new Error(`TF.js U-Net: no variable ${t.name}`);
      if (loaded.has(t.name)) throw new Error(`TF.js U-Net: ${t.name} loaded twice`);
      if (p.torch.join() !== t.shape.join())
        throw new Error(`TF.js U-Net: ${t.name} is [${p.torch.join()}], not [${t.shape.join()}]`);
      const size = t.shape.reduce((a, b) => a * b, 1);
      const values = flat.subarray(t.offset, t.offset + size);
      tf.tidy(() => {
        const v = tf.tensor(values, t.shape);
        // PyTorch's [out, in, 3, 3] and [out, in]; TF's [3, 3, in, out] and [in, out].
        const perm = t.shape.length === 4 ? [2, 3, 1, 0] : t.shape.length === 2 ? [1, 0] : null;
        p.variable.assign(perm ? tf.transpose(v, perm) : v);
      });
      loaded.add(t.name);
    }
    const missing = [...this.params.keys()].filter((n) => !loaded.has(n));
    if (missing.length) throw new Error(`TF.js U-Net: not loaded: ${missing.join(', ')}`);
  }

  /** The stored images (m images NHWC, as the image run holds them) and the training grid. */
  setData(images: Float32Array, m: number, levels: Float32Array): void {
    const { height: H, width: W, channels: C } = this.image;
    this.data = {
      images: tf.tensor4d(images, [m, H, W, C]),
      alpha: tf.tensor1d(levels.filter((_, i) => i % 2 === 0)),
      sigma: tf.tensor1d(levels.filter((_, i) => i % 2 === 1)),
    };
  }

  /** The network's output for images x c_in [N, H, W, C] at levels tau [N, 1]. */
  forward(x: tf.Tensor4D, tau: tf.Tensor2D): tf.Tensor4D {
    const L = this.arch.levels;
    const a = tf.mul(tau, this.freq);
    const t = silu(
      this.dense('time.2', silu(this.dense('time.0', tf.concat([tf.sin(a), tf.cos(a)], 1)))),
    );
    let h = this.conv3x3('conv_in', x);
    const skips: tf.Tensor[] = [];
    for (let l = 0; l < L; l++) {
      h = this.resBlock(`down.${l}.res`, h, t);
      skips.push(h);
      if (l < L - 1)
        h = this.conv3x3(`down.${l}.down`, tf.avgPool(h as tf.Tensor4D, 2, 2, 'valid'));
    }
    h = this.resBlock('mid.res', h, t);
    for (let l = L - 2; l >= 0; l--) {
      const [, height, width] = h.shape as number[];
      const up = tf.image.resizeNearestNeighbor(h as tf.Tensor4D, [2 * height!, 2 * width!]);
      h = this.conv3x3(`up.${l}.up`, up);
      h = this.conv3x3(`up.${l}.merge`, tf.concat([h, skips[l]!], 3));
      h = this.resBlock(`up.${l}.res`, h, t);
    }
    return this.conv3x3('out.conv', silu(this.groupNorm('out.norm', h))) as tf.Tensor4D;
  }

  /** `steps` optimiser steps on batches of `batch` images; the first and the last loss. */
  train(steps: number, batch: number): Promise<{ first: number; last: number }> {
    return minimizeSteps(this.optimizer, () => this.loss(batch), steps);
  }

  /** `k` forwards of x at tau, no readback between them; resolves when the last is done. */
  async forwards(k: number, x: tf.Tensor4D, tau: tf.Tensor2D): Promise<void> {
    let out: tf.Tensor | null = null;
    for (let i = 0; i < k; i++) {
      out?.dispose();
      out = tf.tidy(() => this.forward(x, tau));
    }
    await out?.data();
    out?.dispose();
  }

  dispose(): void {
    for (const p of this.params.values()) p.variable.dispose();
    this.freq.dispose();
    if (this.data) for (const t of Object.values(this.data)) t.dispose();
    this.optimizer.dispose();
  }

  /** x = alpha x0 + sigma eps at a uniform level, fed as x c_in; the MSE of the target. */
  private loss(batch: number): tf.Scalar {
    if (!this.data) throw new Error('TF.js U-Net: setData first');
    const { images, alpha, sigma } = this.data;
    const { height: H, width: W, channels: C } = this.image;
    const x0 = tf.gather(images, tf.randomUniform([batch], 0, images.shape[0], 'int32'));
    const level = tf.randomUniform([batch], 0, alpha.shape[0], 'int32');
    const a = tf.reshape(tf.gather(alpha, level), [batch, 1, 1, 1]);
    const s = tf.reshape(tf.gather(sigma, level), [batch, 1, 1, 1]);
    const eps = tf.randomNormal([batch, H, W, C]);
    const cIn = tf.rsqrt(tf.add(tf.square(a), tf.square(s)));
    const x = tf.mul<tf.Tensor4D>(tf.add(tf.mul(x0, a), tf.mul(eps, s)), cIn);
    const tau = tf.reshape<tf.Rank.R2>(tf.mul(tf.atan2(s, a), 2 / Math.PI), [batch, 1]);
    const target = this.arch.target;
    const goal =
      target === 'eps'
        ? eps
        : target === 'x0'
          ? x0
          : target === 'velocity'
            ? tf.sub(eps, x0)
            : tf.sub(tf.mul(eps, a), tf.mul(x0, s));
    return tf.mean(tf.squaredDifference(this.forward(x, tau), goal));
  }

  private param(name: string, tfShape: number[], torch: number[]): void {
    const variable = tf.variable(tf.zeros(tfShape));
    this.params.set(name, { variable, torch });
  }

  private linear(name: string, inputs: number, outputs: number): void {
    this.param(`${name}.weight`, [inputs, outputs], [outputs, inputs]);
    this.param(`${name}.bias`, [outputs], [outputs]);
  }

  private conv(name: string, cin: number, cout: number): void {
    this.param(`${name}.weight`, [3, 3, cin, cout], [cout, cin, 3, 3]);
    this.param(`${name}.bias`, [cout], [cout]);
  }

  private norm(name: string, c: number): void {
    this.param(`${name}.weight`, [c], [c]);
    this.param(`${name}.bias`, [c], [c]);
  }

  /** Res(c, T, g) of the README: norm1, conv1, temb, norm2, conv2. */
  private res(name: string, c: number, t: number): void {
    this.norm(`${name}.norm1`, c);
    this.conv(`${name}.conv1`, c, c);
    this.linear(`${name}.temb`, t, c);
    this.norm(`${name}.norm2`, c);
    this.conv(`${name}.conv2`, c, c);
  }

  private get(name: string): tf.Tensor {
    return this.params.get(name)!.variable;
  }

  private dense(name: string, x: tf.Tensor): tf.Tensor {
    return tf.add(
      tf.matMul(x as tf.Tensor2D, this.get(`${name}.weight`) as tf.Tensor2D),
      this.get(`${name}.bias`),
    );
  }

  private conv3x3(name: string, x: tf.Tensor): tf.Tensor {
    const w = this.get(`${name}.weight`) as tf.Tensor4D;
    return tf.add(tf.conv2d(x as tf.Tensor4D, w, 1, 'same'), this.get(`${name}.bias`));
  }

  /** nn.GroupNorm: each sample's groups of channels normalised over them and the pixels. */
  private groupNorm(name: string, x: tf.Tensor): tf.Tensor {
    const [n, h, w, c] = x.shape as [number, number, number, number];
    const g = this.arch.groups;
    const grouped = tf.reshape(x, [n, h, w, g, c / g]);
    const { mean, variance } = tf.moments(grouped, [1, 2, 4], true);
    const normed = tf.mul(tf.sub(grouped, mean), tf.rsqrt(tf.add(variance, NORM_EPS)));
    return tf.add(
      tf.mul(tf.reshape(normed, [n, h, w, c]), this.get(`${name}.weight`)),
      this.get(`${name}.bias`),
    );
  }

  /** h = conv1(silu(norm1(x))) + temb(t); x + conv2(silu(norm2(h))). */
  private resBlock(name: string, x: tf.Tensor, t: tf.Tensor): tf.Tensor {
    const c = x.shape[3]!;
    const temb = tf.reshape(this.dense(`${name}.temb`, t), [-1, 1, 1, c]);
    const h = tf.add(this.conv3x3(`${name}.conv1`, silu(this.groupNorm(`${name}.norm1`, x))), temb);
    return tf.add(x, this.conv3x3(`${name}.conv2`, silu(this.groupNorm(`${name}.norm2`, h))));
  }
}
