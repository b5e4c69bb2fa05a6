/**
 * The 2D score network of the learned denoiser (issue 13), in the class of tiny-diffusion's MLP
 * (github.com/tanelp/tiny-diffusion, ddpm.py): sinusoidal embeddings of x, y (scale 25) and of
 * the noise level (scale 1000), concatenated, then
 *
 *   h = act(W0 e + b0);  h = h + act(W_i h + b_i) for each of `depth` blocks;  out = W h + b,
 *
 * with the tensor names of tiny-diffusion's state dict (joint_mlp.0, joint_mlp.{2..}.ff,
 * joint_mlp.{depth + 2}), so a PyTorch model of the same shape loads. Two departures, so that one
 * network serves every schedule of the sandbox: the input is x c_in with c_in = 1 / sqrt(alpha^2
 * + sigma^2) (Karras et al. 2022's c_in; 1 for variance-preserving schedules) and the level is
 * tau = (2 / pi) atan2(sigma, alpha), which is t itself for the cosine schedule.
 *
 * The output is eps, x0 or v (Salimans & Ho 2022: v = alpha eps - sigma x0), turned into x0_hat at
 * the edge (x0FromOutput), so every sampler sees one denoiser. Parameters live in one flat array,
 * tensor after tensor in the order of `networkTensors` (each linear layer W then b, row-major W
 * outputs x inputs: ./linear.ts).
 */
import { gelu, geluBackward, silu, siluBackward } from './activations';
import { embed, transformerTurns } from './embedding';
import {
  linearBackwardInput,
  linearBackwardWeight,
  linearForward,
  linearParameters,
  type LinearShape,
} from './linear';
import { mseLoss } from './loss';
import { Rng, Stream } from '../rng';

/**
 * What the network predicts: the noise eps, the data x0, v = alpha eps - sigma x0 (Salimans & Ho
 * 2022), or flow matching's velocity u = eps - x0 (Lipman et al. 2022; Esser et al. 2024, as
 * Stable Diffusion 3): on the rectified schedule (alpha = 1 - t, sigma = t) u is dx_t/dt, the
 * path's own velocity; on any other it is the same combination, from which x0 comes back as
 * (x - sigma u) / (alpha + sigma), finite wherever alpha + sigma > 0, i.e. always.
 */
export const TARGETS = ['eps', 'x0', 'v', 'velocity'] as const;
export type Target = (typeof TARGETS)[number];
export const ACTIVATIONS = ['gelu', 'silu'] as const;
export type Activation = (typeof ACTIVATIONS)[number];
/** The loss's weight over t: none (plain MSE of the target) or Min-SNR-5 (Hang et al. 2023). */
export const WEIGHTINGS = ['none', 'min-snr'] as const;
export type Weighting = (typeof WEIGHTINGS)[number];

export interface NetworkArch {
  /** Hidden width. */
  width: number;
  /** Residual blocks. */
  depth: number;
  /** Frequencies per embedded input (its embedding has 2 of them: sin and cos). */
  frequencies: number;
  activation: Activation;
  target: Target;
  /**
   * Class labels it is conditioned on (0 or absent: none, tiny-diffusion's network). The class
   * enters as a one-hot of `classes` values after the embeddings, so the input layer's weight
   * columns there are a learned class embedding added to its pre-activation (Ho & Salimans 2022's
   * label embedding); all zeros is "no class", the unconditional model label dropout trains.
   */
  classes?: number;
}

/**
 * tiny-diffusion's size: 128 wide, 3 blocks, 128-wide embeddings, 99,074 parameters. It predicts
 * v rather than tiny-diffusion's eps: eps-prediction divides by alpha to give x0_hat, and the
 * cosine schedule starts at alpha = 0.0025, where an error of 0.1 in eps is one of 40 in x0_hat.
 */
export const DEFAULT_ARCH: Readonly<NetworkArch> = {
  width: 128,
  depth: 3,
  frequencies: 64,
  activation: 'gelu',
  target: 'v',
};

/** The limits of the GPU kernels (shaders/run/denoise_learned.wgsl holds a row in registers). */
export const MAX_WIDTH = 256;
export const MAX_DEPTH = 8;
export const MAX_FREQUENCIES = 64;
/** The most classes a network is conditioned on (gaussians25 has 25). */
export const MAX_CLASSES = 32;
/** Most optimiser steps in one submission (the trainer's step table), and the largest batch. */
export const MAX_STEPS = 256;
export const MAX_BATCH = 65536;
/** Embedding scales (tiny-diffusion's 25 for x; its t runs over 1000 timesteps). */
export const X_SCALE = 25;
export const T_SCALE = 1000;
/** Min-SNR's gamma (Hang et al. 2023). */
export const SNR_GAMMA = 5;

/** Inputs per row the embeddings read: x c_in, y c_in, tau. */
export const INPUTS = 3;
export const OUTPUTS = 2;

/** The class inputs of a network (0: unconditional). */
export const classInputs = (a: NetworkArch): number => a.classes ?? 0;
/** The input layer's inputs: the sinusoidal embeddings of x, y and tau, then the class one-hot. */
export const embeddingWidth = (a: NetworkArch): number =>
  2 * a.frequencies * INPUTS + classInputs(a);
/** The label of a row with no class (dropped, or an unconditional evaluation). */
export const NO_CLASS = -1;

/** A problem with an architecture, or null. */
export function archProblem(a: NetworkArch): string | null {
  const bad = (name: string, v: number, max: number): string | null =>
    Number.isInteger(v) && v >= 1 && v <= max ? null : `${name} must be 1 to ${max}, not ${v}`;
  return (
    bad('width', a.width, MAX_WIDTH) ??
    (Number.isInteger(a.depth) && a.depth >= 0 && a.depth <= MAX_DEPTH
      ? null
      : `depth must be 0 to ${MAX_DEPTH}, not ${a.depth}`) ??
    bad('frequencies', a.frequencies, MAX_FREQUENCIES) ??
    (ACTIVATIONS.includes(a.activation) ? null : `activation ${a.activation as string}`) ??
    (TARGETS.includes(a.target) ? null : `target ${a.target as string}`) ??
    (Number.isInteger(classInputs(a)) && classInputs(a) >= 0 && classInputs(a) <= MAX_CLASSES
      ? null
      : `classes must be 0 to ${MAX_CLASSES}, not ${classInputs(a)}`)
  );
}

/** The linear layers (without the batch): input, the blocks', output; offsets into the flat array. */
export function networkLayers(a: NetworkArch): Omit<LinearShape, 'batch'>[] {
  const sizes: [number, number][] = [
    [embeddingWidth(a), a.width],
    ...Array.from({ length: a.depth }, (): [number, number] => [a.width, a.width]),
    [a.width, OUTPUTS],
  ];
  let offset = 0;
  return sizes.map(([inputs, outputs]) => {
    const layer = { inputs, outputs, offset };
    offset += linearParameters(inputs, outputs);
    return layer;
  });
}

export const parameterCount = (a: NetworkArch): number => {
  const last = networkLayers(a).at(-1)!;
  return last.offset + linearParameters(last.inputs, last.outputs);
};

export interface TensorSpec {
  name: string;
  shape: number[];
  /** Where the tensor starts in the flat parameter array. */
  offset: number;
}

/** The tensors in flat order with tiny-diffusion's state-dict names and PyTorch's shapes. */
export function networkTensors(a: NetworkArch): TensorSpec[] {
  const layers = networkLayers(a);
  return layers.flatMap((l, i) => {
    const module =
      i === 0 ? 'joint_mlp.0' : i <= a.depth ? `joint_mlp.${i + 1}.ff` : `joint_mlp.${i + 1}`;
    return [
      { name: `${module}.weight`, shape: [l.outputs, l.inputs], offset: l.offset },
      { name: `${module}.bias`, shape: [l.outputs], offset: l.offset + l.outputs * l.inputs },
    ];
  });
}

/** The frequencies in turns per unit: K for x and y, then K for tau. */
export function networkTurns(a: NetworkArch): Float32Array<ArrayBuffer> {
  const turns = new Float32Array(2 * a.frequencies);
  turns.set(transformerTurns(a.frequencies, X_SCALE), 0);
  turns.set(transformerTurns(a.frequencies, T_SCALE), a.frequencies);
  return turns;
}

/** The frequencies of each input column in turn (x, y, tau: K each), as learn/embed reads them. */
export function networkRowTurns(a: NetworkArch): Float32Array<ArrayBuffer> {
  const turns = networkTurns(a);
  const K = a.frequencies;
  const rows = new Float32Array(INPUTS * K);
  rows.set(turns.subarray(0, K), 0);
  rows.set(turns.subarray(0, K), K);
  rows.set(turns.subarray(K), 2 * K);
  return rows;
}

/** The network's conditioning at a level: the input scale c_in and the level's input tau. */
export function conditioning(alpha: number, sigma: number): { cIn: number; tau: number } {
  return {
    cIn: 1 / Math.sqrt(alpha * alpha + sigma * sigma),
    tau: (2 / Math.PI) * Math.atan2(sigma, alpha),
  };
}

/** What the network is trained to output, from x0 and the noise eps of x = alpha x0 + sigma eps. */
export function targetOf(t: Target, x0: number, eps: number, alpha: number, sigma: number): number {
  if (t === 'eps') return eps;
  if (t === 'x0') return x0;
  if (t === 'velocity') return eps - x0;
  return alpha * eps - sigma * x0;
}

/**
 * x0_hat from the network's output at x: eps: (x - sigma eps) / alpha; v: (alpha x - sigma v) /
 * (alpha^2 + sigma^2); velocity: (x - sigma u) / (alpha + sigma). eps-prediction divides by alpha: at alpha -> 0 no x0 can be recovered from
 * it (the reason for v; Salimans & Ho 2022), and alpha is floored at ALPHA_FLOOR there.
 */
export function x0FromOutput(
  t: Target,
  x: number,
  out: number,
  alpha: number,
  sigma: number,
): number {
  if (t === 'x0') return out;
  if (t === 'v') return (alpha * x - sigma * out) / (alpha * alpha + sigma * sigma);
  if (t === 'velocity') return (x - sigma * out) / (alpha + sigma);
  return (x - sigma * out) / Math.max(alpha, ALPHA_FLOOR);
}
export const ALPHA_FLOOR = 1e-4;

/**
 * The loss's weight of a row at (alpha, sigma): Min-SNR-gamma per target, or 1. Each target's
 * error is the x0 error times a factor (eps: sqrt(snr), v: sqrt(snr + 1) on VP levels, velocity:
 * (alpha + sigma) / sigma), so min(snr, gamma) on the x0 error becomes min(snr, gamma) over that
 * factor squared: the same weighting whatever the network predicts (Hang et al. 2023).
 */
export function lossWeight(w: Weighting, t: Target, alpha: number, sigma: number): number {
  if (w === 'none') return 1;
  const snr = (alpha * alpha) / (sigma * sigma);
  const clipped = Math.min(snr, SNR_GAMMA);
  if (t === 'eps') return snr === 0 ? 0 : clipped / snr;
  if (t === 'x0') return clipped;
  if (t === 'velocity') return clipped * (sigma / (alpha + sigma)) ** 2;
  return clipped / (snr + 1);
}

/**
 * Fresh parameters as torch.nn.Linear's default: W and b uniform in +-1 / sqrt(inputs) (Kaiming
 * uniform with a = sqrt(5)), from a seed; a class-conditional network's class columns 0.
 */
export function initialParameters(a: NetworkArch, seed: number): Float32Array<ArrayBuffer> {
  const p = new Float32Array(parameterCount(a));
  const rng = new Rng(seed, Stream.init);
  for (const l of networkLayers(a)) {
    const bound = 1 / Math.sqrt(l.inputs);
    const end = l.offset + linearParameters(l.inputs, l.outputs);
    for (let i = l.offset; i < end; i++) p[i] = bound * (2 * rng.uniform() - 1);
  }
  zeroClassColumns(p, networkLayers(a)[0]!, classInputs(a));
  return p;
}

/**
 * The input layer's class columns (its last `classes` inputs) set to 0: a fresh network gives
 * every class the unconditional output, so guidance's w (x0_cond - x0_uncond) starts at 0 and
 * grows only as the class is learned. Random columns would make that difference a random
 * direction, which guidance amplifies while the class is still barely trained.
 */
export function zeroClassColumns(
  p: Float32Array,
  layer: { inputs: number; outputs: number; offset: number },
  classes: number,
): void {
  for (let j = 0; j < layer.outputs; j++)
    p.fill(
      0,
      layer.offset + (j + 1) * layer.inputs - classes,
      layer.offset + (j + 1) * layer.inputs,
    );
}

const activate = (a: Activation, x: ArrayLike<number>): Float64Array =>
  a === 'gelu' ? gelu(x) : silu(x);
const activateBackward = (a: Activation, x: ArrayLike<number>, dy: ArrayLike<number>) =>
  a === 'gelu' ? geluBackward(x, dy) : siluBackward(x, dy);

/**
 * The embedding of batch rows of INPUTS values (x c_in, y c_in, tau), float64, and of each row's
 * class as a one-hot (`labels`: NO_CLASS, or none at all, for zeros).
 */
export function embedRows(
  a: NetworkArch,
  rows: ArrayLike<number>,
  batch: number,
  labels?: ArrayLike<number>,
): Float64Array {
  const width = embeddingWidth(a);
  const turns = networkTurns(a);
  const xy = turns.subarray(0, a.frequencies);
  const t = turns.subarray(a.frequencies);
  const e = new Float64Array(batch * width);
  for (let c = 0; c < INPUTS; c++)
    embed(
      { batch, inStride: INPUTS, column: c, outStride: width, outOffset: 2 * a.frequencies * c },
      rows,
      c < 2 ? xy : t,
      e,
    );
  const C = classInputs(a);
  for (let r = 0; labels && C && r < batch; r++) {
    const label = labels[r]!;
    if (label !== NO_CLASS) e[r * width + width - C + label] = 1;
  }
  return e;
}

/** Every intermediate of a forward pass: pre-activations `pre`, hidden states `h`, the output. */
export interface NetworkPass {
  e: Float64Array;
  pre: Float64Array[];
  h: Float64Array[];
  out: Float64Array;
}

/** The float64 forward pass over batch rows of INPUTS values. */
export function networkForward(
  a: NetworkArch,
  params: ArrayLike<number>,
  rows: ArrayLike<number>,
  batch: number,
  labels?: ArrayLike<number>,
): NetworkPass {
  const layers = networkLayers(a).map((l) => ({ ...l, batch }));
  const e = embedRows(a, rows, batch, labels);
  const pre = [linearForward(layers[0]!, e, params)];
  const h = [activate(a.activation, pre[0]!)];
  for (let i = 1; i <= a.depth; i++) {
    pre.push(linearForward(layers[i]!, h[i - 1]!, params));
    const g = activate(a.activation, pre[i]!);
    h.push(Float64Array.from(g, (v, j) => v + h[i - 1]![j]!));
  }
  const out = linearForward(layers[a.depth + 1]!, h[a.depth]!, params);
  return { e, pre, h, out };
}

/** The weighted MSE loss of the output against `goal` and its gradient in the flat layout. */
export function networkLoss(
  a: NetworkArch,
  params: ArrayLike<number>,
  batch: {
    rows: ArrayLike<number>;
    goal: ArrayLike<number>;
    weight: ArrayLike<number>;
    labels?: ArrayLike<number>;
  },
  size: number,
): { loss: number; grad: Float64Array; pass: NetworkPass } {
  const layers = networkLayers(a).map((l) => ({ ...l, batch: size }));
  const pass = networkForward(a, params, batch.rows, size, batch.labels);
  const { loss, grad: dOut } = mseLoss(size, OUTPUTS, pass.out, batch.goal, batch.weight);
  const grad = new Float64Array(parameterCount(a));
  const last = layers[a.depth + 1]!;
  linearBackwardWeight(last, pass.h[a.depth]!, dOut, grad);
  let dh = linearBackwardInput(last, dOut, params);
  for (let i = a.depth; i >= 1; i--) {
    const dPre = activateBackward(a.activation, pass.pre[i]!, dh);
    linearBackwardWeight(layers[i]!, pass.h[i - 1]!, dPre, grad);
    const through = linearBackwardInput(layers[i]!, dPre, params);
    dh = Float64Array.from(dh, (v, j) => v + through[j]!);
  }
  const dPre0 = activateBackward(a.activation, pass.pre[0]!, dh);
  linearBackwardWeight(layers[0]!, pass.e, dPre0, grad);
  return { loss, grad, pass };
}
