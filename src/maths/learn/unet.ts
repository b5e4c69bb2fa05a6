/**
 * The image denoiser's network (issue 14): a small U-Net in the family of Ho et al. 2020 (DDPM,
 * appendix B) and its PyTorch ports, written as a plan: a list of layer ops over named
 * activations ("slots"), each layer's parameters at an offset of one flat array. The float64
 * reference and the GPU passes both run this one list (forward in order, backward in reverse),
 * so the architecture is written once.
 *
 *   time:  e = [sin, cos](2 pi g tau) (K frequencies, scale 1000); t = W2 silu(W1 e + b1) + b2
 *   conv_in: 3x3, image channels -> C
 *   down.l (l < L):  res block at c_l; then, but at the last level, 2x average pool and a 3x3
 *                    convolution c_l -> c_{l+1}
 *   mid:             res block at c_{L-1}
 *   up.l (l = L-2 .. 0): 2x nearest up-sampling and a 3x3 convolution c_{l+1} -> c_l, the skip
 *                    from down.l concatenated (2 c_l channels), a 3x3 merge back to c_l, a res block
 *   out:             GroupNorm, SiLU, 3x3 convolution c_0 -> image channels
 *
 * A res block at c channels (DDPM's, no dropout, no 1x1 shortcut: channels change only in the
 * down/up convolutions): h = conv1(silu(norm1(x))) + temb(silu(t)) per channel; y = x +
 * conv2(silu(norm2(h))). Channels c_0 = C and c_l = 2 C below. The input is x c_in and the level
 * tau = (2 / pi) atan2(sigma, alpha), as the 2D network (./network.ts); the output is eps, x0 or
 * v of the whole image, turned into x0_hat at the edge (x0FromOutput).
 *
 * Layouts are PyTorch's: images NCHW, a convolution's weight [out][in][3][3] then its bias, a
 * linear layer's weight [out][in] then bias, a GroupNorm's weight (gamma) then bias (beta), so
 * the state dict of the same modules in PyTorch loads by name.
 */
import { Rng, Stream } from '../rng';
import { MAX_CLASSES, TARGETS, zeroClassColumns, type Target, type TensorSpec } from './network';

export interface UNetArch {
  /** Channels at the top level, C (2 C at every level below). */
  channels: number;
  /** Resolution levels, L: the image is halved L - 1 times. */
  levels: number;
  /** GroupNorm's groups: divides C. */
  groups: number;
  /** Frequencies of the level's sinusoidal embedding. */
  frequencies: number;
  target: Target;
  /**
   * Class labels it is conditioned on (0 or absent: none). The class enters as a one-hot input
   * slot 'label' joined to the level's embedding before the time MLP (time.0 takes 2 K + classes
   * inputs), so the class shifts every res block's per-channel projection as the level does;
   * all zeros is "no class", the unconditional model label dropout trains (Ho & Salimans 2022).
   */
  classes?: number;
}

/** The images a network is made for: channels x height x width. */
export interface ImageFormat {
  channels: number;
  height: number;
  width: number;
}

/** About 0.6 M parameters on 28 x 28 x 1 (MNIST, shapes). */
export const DEFAULT_UNET: Readonly<UNetArch> = {
  channels: 32,
  levels: 3,
  groups: 8,
  frequencies: 32,
  target: 'v',
};
export const UNET_LIMITS = { channels: 128, levels: 4, frequencies: 64, groups: 32 } as const;
/** GroupNorm's epsilon (PyTorch's default). */
export const NORM_EPS = 1e-5;

export const levelChannels = (a: UNetArch, level: number): number =>
  level === 0 ? a.channels : 2 * a.channels;
/** Width of the time embedding's hidden layer and output (DDPM: 4 C). */
export const timeWidth = (a: UNetArch): number => 4 * a.channels;

/**
 * The page's U-Net of C channels and L levels (the settings' unetChannels, unetLevels): the
 * default's frequencies, and GroupNorm's groups the most of the default's 8 that divide C.
 */
export function unetArchOf(
  channels: number,
  levels: number,
  target: Target,
  classes = 0,
): UNetArch {
  let groups = DEFAULT_UNET.groups;
  while (groups > 1 && channels % groups !== 0) groups--;
  return { ...DEFAULT_UNET, channels, levels, groups, target, ...(classes ? { classes } : {}) };
}

/** The class inputs of a U-Net (0: unconditional). */
export const unetClasses = (a: UNetArch): number => a.classes ?? 0;

/** A problem with an architecture for these images, or null. */
export function unetProblem(a: UNetArch, image: ImageFormat): string | null {
  const whole = (name: string, v: number, max: number): string | null =>
    Number.isInteger(v) && v >= 1 && v <= max ? null : `${name} must be 1 to ${max}, not ${v}`;
  const problem =
    whole('channels', a.channels, UNET_LIMITS.channels) ??
    whole('levels', a.levels, UNET_LIMITS.levels) ??
    whole('groups', a.groups, UNET_LIMITS.groups) ??
    whole('frequencies', a.frequencies, UNET_LIMITS.frequencies) ??
    (TARGETS.includes(a.target) ? null : `target ${a.target as string}`) ??
    (Number.isInteger(unetClasses(a)) && unetClasses(a) >= 0 && unetClasses(a) <= MAX_CLASSES
      ? null
      : `classes must be 0 to ${MAX_CLASSES}, not ${unetClasses(a)}`);
  if (problem) return problem;
  if (a.channels % a.groups !== 0)
    return `GroupNorm's ${a.groups} groups must divide the ${a.channels} channels`;
  const scale = 2 ** (a.levels - 1);
  if (image.height % scale !== 0 || image.width % scale !== 0)
    return `${a.levels} levels halve the image ${a.levels - 1} times: ${image.height} x ${image.width} is not a multiple of ${scale}`;
  return null;
}

/** An activation of the plan: its channels and size per sample (a vector when height is 1). */
export interface Slot {
  channels: number;
  height: number;
  width: number;
}

/** One layer of the plan, reading and writing slots by name. */
export type UNetOp =
  | { op: 'embed'; y: string; frequencies: number }
  | {
      op: 'linear';
      name: string;
      x: string;
      y: string;
      inputs: number;
      outputs: number;
      offset: number;
    }
  | { op: 'silu'; x: string; y: string }
  | { op: 'conv'; name: string; x: string; y: string; cin: number; cout: number; offset: number }
  | { op: 'norm'; name: string; x: string; y: string; groups: number; offset: number }
  | { op: 'addChannel'; x: string; t: string; y: string }
  | { op: 'add'; a: string; b: string; y: string }
  | { op: 'down'; x: string; y: string }
  | { op: 'up'; x: string; y: string }
  | { op: 'concat'; a: string; b: string; y: string };

export interface UNetPlan {
  arch: UNetArch;
  image: ImageFormat;
  ops: UNetOp[];
  /**
   * Every slot's shape: 'tau' (the input level, 1 value), 'x' (the image) and, for a
   * class-conditional network, 'label' (the class one-hot) are the inputs.
   */
  slots: Map<string, Slot>;
  /** The slot holding the output (image-shaped). */
  output: string;
  tensors: TensorSpec[];
  parameters: number;
}

export const convParameters = (cin: number, cout: number): number => 9 * cin * cout + cout;
export const normParameters = (channels: number): number => 2 * channels;

/** The plan of a U-Net for these images (throws on an architecture unetProblem refuses). */
export function unetPlan(a: UNetArch, image: ImageFormat): UNetPlan {
  const problem = unetProblem(a, image);
  if (problem) throw new Error(`U-Net: ${problem}`);
  const ops: UNetOp[] = [];
  const slots = new Map<string, Slot>([
    ['tau', { channels: 1, height: 1, width: 1 }],
    ['x', { ...image }],
  ]);
  const tensors: TensorSpec[] = [];
  let offset = 0;
  const slot = (name: string, s: Slot): string => {
    if (slots.has(name)) throw new Error(`U-Net plan: slot ${name} written twice`);
    slots.set(name, s);
    return name;
  };
  const shape = (name: string): Slot => slots.get(name)!;
  const params = (module: string, weight: number[], bias: number[]): number => {
    const at = offset;
    const w = weight.reduce((p, d) => p * d, 1);
    tensors.push({ name: `${module}.weight`, shape: weight, offset: at });
    tensors.push({ name: `${module}.bias`, shape: bias, offset: at + w });
    offset += w + bias[0]!;
    return at;
  };
  const linear = (name: string, x: string, outputs: number): string => {
    const inputs = shape(x).channels;
    const y = slot(name, { channels: outputs, height: 1, width: 1 });
    ops.push({
      op: 'linear',
      name,
      x,
      y,
      inputs,
      outputs,
      offset: params(name, [outputs, inputs], [outputs]),
    });
    return y;
  };
  const conv = (name: string, x: string, cout: number): string => {
    const s = shape(x);
    const y = slot(name, { ...s, channels: cout });
    const at = params(name, [cout, s.channels, 3, 3], [cout]);
    ops.push({ op: 'conv', name, x, y, cin: s.channels, cout, offset: at });
    return y;
  };
  const norm = (name: string, x: string): string => {
    const s = shape(x);
    const y = slot(name, { ...s });
    const at = params(name, [s.channels], [s.channels]);
    ops.push({ op: 'norm', name, x, y, groups: a.groups, offset: at });
    return y;
  };
  const silu = (x: string): string => {
    const y = slot(`${x}:silu`, { ...shape(x) });
    ops.push({ op: 'silu', x, y });
    return y;
  };
  /** A res block at x's channels; `t` is silu of the time embedding. */
  const resBlock = (name: string, x: string, t: string): string => {
    const c = shape(x).channels;
    const h1 = conv(`${name}.conv1`, silu(norm(`${name}.norm1`, x)), c);
    const tc = linear(`${name}.temb`, t, c);
    const h = slot(`${name}.h`, { ...shape(h1) });
    ops.push({ op: 'addChannel', x: h1, t: tc, y: h });
    const h2 = conv(`${name}.conv2`, silu(norm(`${name}.norm2`, h)), c);
    const y = slot(`${name}.out`, { ...shape(x) });
    ops.push({ op: 'add', a: x, b: h2, y });
    return y;
  };

  // The level's embedding and its MLP.
  const T = timeWidth(a);
  let e = slot('time.e', { channels: 2 * a.frequencies, height: 1, width: 1 });
  ops.push({ op: 'embed', y: e, frequencies: a.frequencies });
  const C = unetClasses(a);
  if (C) {
    // The class one-hot (an input, as tau is) after the level's embedding.
    slot('label', { channels: C, height: 1, width: 1 });
    const joined = slot('time.ec', { channels: 2 * a.frequencies + C, height: 1, width: 1 });
    ops.push({ op: 'concat', a: e, b: 'label', y: joined });
    e = joined;
  }
  // silu(t), once: every res block's per-channel projection reads it.
  const t = silu(linear('time.2', silu(linear('time.0', e, T)), T));

  let h = conv('conv_in', 'x', levelChannels(a, 0));
  const skips: string[] = [];
  for (let l = 0; l < a.levels; l++) {
    h = resBlock(`down.${l}.res`, h, t);
    skips.push(h);
    if (l === a.levels - 1) break;
    const s = shape(h);
    const pooled = slot(`down.${l}.pool`, { ...s, height: s.height / 2, width: s.width / 2 });
    ops.push({ op: 'down', x: h, y: pooled });
    h = conv(`down.${l}.down`, pooled, levelChannels(a, l + 1));
  }
  h = resBlock('mid.res', h, t);
  for (let l = a.levels - 2; l >= 0; l--) {
    const s = shape(h);
    const up = slot(`up.${l}.upsample`, { ...s, height: 2 * s.height, width: 2 * s.width });
    ops.push({ op: 'up', x: h, y: up });
    const u = conv(`up.${l}.up`, up, levelChannels(a, l));
    const skip = skips[l]!;
    const joined = slot(`up.${l}.cat`, {
      ...shape(u),
      channels: shape(u).channels + shape(skip).channels,
    });
    ops.push({ op: 'concat', a: u, b: skip, y: joined });
    h = resBlock(`up.${l}.res`, conv(`up.${l}.merge`, joined, levelChannels(a, l)), t);
  }
  const output = conv('out.conv', silu(norm('out.norm', h)), image.channels);
  return { arch: { ...a }, image: { ...image }, ops, slots, output, tensors, parameters: offset };
}

/** Floats of a slot per sample. */
export const slotSize = (s: Slot): number => s.channels * s.height * s.width;

/**
 * Fresh parameters as PyTorch's defaults: a convolution's or linear layer's weight and bias
 * uniform in +-1 / sqrt(fan in) (fan in = inputs, or 9 cin), GroupNorm's gamma 1 and beta 0;
 * and, as DDPM does, the output convolution zero (the untrained network predicts 0).
 */
export function unetInitialParameters(plan: UNetPlan, seed: number): Float32Array<ArrayBuffer> {
  const p = new Float32Array(plan.parameters);
  const rng = new Rng(seed, Stream.init);
  for (const o of plan.ops) {
    if (o.op === 'norm') {
      const c = plan.slots.get(o.x)!.channels;
      p.fill(1, o.offset, o.offset + c);
    } else if ((o.op === 'conv' || o.op === 'linear') && o.name !== 'out.conv') {
      const fanIn = o.op === 'conv' ? 9 * o.cin : o.inputs;
      const count = o.op === 'conv' ? convParameters(o.cin, o.cout) : (o.inputs + 1) * o.outputs;
      const bound = 1 / Math.sqrt(fanIn);
      for (let i = o.offset; i < o.offset + count; i++) p[i] = bound * (2 * rng.uniform() - 1);
      // A class-conditional U-Net's class columns of time.0 start at 0 (network.ts's reason).
      if (o.op === 'linear' && o.name === 'time.0') zeroClassColumns(p, o, unetClasses(plan.arch));
    }
  }
  return p;
}
