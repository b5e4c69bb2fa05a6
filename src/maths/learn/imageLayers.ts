/**
 * Float64 references of the U-Net's layers that are not convolutions (issue 14; the U-Net of Ho,
 * Jain & Abbeel 2020, after PixelCNN++), kernels in shaders/learn/: GroupNorm, 2x average-pool
 * down-sampling, 2x nearest up-sampling, the skip concatenation along channels, and the time
 * embedding added per channel; each with its backward.
 *
 * Layout: activations are NCHW row-major (batch, channels, height, width), as PyTorch; a
 * (sample, channel) plane of H W values is contiguous, and so is a group of GroupNorm's channels.
 * Parameters sit in one flat array at the layer's `offset` (gamma[C] then beta[C]); a backward
 * overwrites the gradients at the same place of `grads` and nothing else.
 *
 * GroupNorm (Wu & He 2018; PyTorch nn.GroupNorm): per sample n and group g of C / G consecutive
 * channels, over its m = (C / G) H W values,
 *   mu = sum x / m,  var = sum (x - mu)^2 / m (biased),  r = 1 / sqrt(var + eps),
 *   xhat = (x - mu) r,  y = gamma_c xhat + beta_c;
 * backward, with g_i = dy_i gamma_c and means over the group (Ioffe & Szegedy 2015, eq. of
 * section 3, per group):
 *   dx_i = r (g_i - mean(g) - xhat_i mean(g xhat)),
 *   dgamma_c = sum over n, h, w of dy xhat,  dbeta_c = sum over n, h, w of dy.
 */
export interface ImageShape {
  batch: number;
  channels: number;
  height: number;
  width: number;
}

export interface GroupNormShape extends ImageShape {
  groups: number;
  /** Where gamma starts in the flat parameter array; beta follows it. */
  offset: number;
  /** Added to the variance; PyTorch's default 1e-5. */
  eps: number;
}

export const GROUP_NORM_EPS = 1e-5;

/** gamma and beta: 2 C parameters. */
export const groupNormParameters = (channels: number): number => 2 * channels;

const positiveIntegers = (what: string, values: Record<string, number>): void => {
  for (const [name, v] of Object.entries(values))
    if (!Number.isInteger(v) || v < 1) throw new Error(`${what}: ${name} = ${v}`);
};

/** Throws unless the shape is one GroupNorm can take (G divides C, eps > 0). */
export function checkGroupNorm(s: GroupNormShape): void {
  const { batch, channels, height, width, groups } = s;
  positiveIntegers('GroupNorm', { batch, channels, height, width, groups });
  if (channels % groups !== 0)
    throw new Error(`GroupNorm: ${groups} groups do not divide ${channels} channels`);
  if (!Number.isInteger(s.offset) || s.offset < 0)
    throw new Error(`GroupNorm: offset = ${s.offset}`);
  if (!(s.eps > 0 && Number.isFinite(s.eps))) throw new Error(`GroupNorm: eps = ${s.eps}`);
}

/** Each (sample, group)'s mean and 1 / sqrt(var + eps), at n G + g; var by two passes. */
export function groupNormStats(
  s: GroupNormShape,
  x: ArrayLike<number>,
): { mean: Float64Array; rstd: Float64Array } {
  checkGroupNorm(s);
  const m = (s.channels / s.groups) * s.height * s.width;
  const count = s.batch * s.groups;
  const mean = new Float64Array(count);
  const rstd = new Float64Array(count);
  for (let k = 0; k < count; k++) {
    let sum = 0;
    for (let i = 0; i < m; i++) sum += x[k * m + i]!;
    const mu = sum / m;
    let squares = 0;
    for (let i = 0; i < m; i++) squares += (x[k * m + i]! - mu) ** 2;
    mean[k] = mu;
    rstd[k] = 1 / Math.sqrt(squares / m + s.eps);
  }
  return { mean, rstd };
}

export function groupNormForward(
  s: GroupNormShape,
  x: ArrayLike<number>,
  params: ArrayLike<number>,
): Float64Array {
  const { mean, rstd } = groupNormStats(s, x);
  const pixels = s.height * s.width;
  const per = s.channels / s.groups;
  const y = new Float64Array(s.batch * s.channels * pixels);
  for (let i = 0; i < y.length; i++) {
    const plane = Math.floor(i / pixels);
    const c = plane % s.channels;
    const k = Math.floor(plane / s.channels) * s.groups + Math.floor(c / per);
    const xhat = (x[i]! - mean[k]!) * rstd[k]!;
    y[i] = params[s.offset + c]! * xhat + params[s.offset + s.channels + c]!;
  }
  return y;
}

/** dx from dy; dgamma and dbeta written into `grads` at the layer's offset. */
export function groupNormBackward(
  s: GroupNormShape,
  x: ArrayLike<number>,
  dy: ArrayLike<number>,
  params: ArrayLike<number>,
  grads: Float64Array,
): Float64Array {
  const { mean, rstd } = groupNormStats(s, x);
  const { channels, offset } = s;
  const pixels = s.height * s.width;
  const per = channels / s.groups;
  const m = per * pixels;
  const dx = new Float64Array(x.length);
  for (let c = 0; c < 2 * channels; c++) grads[offset + c] = 0;
  for (let k = 0; k < s.batch * s.groups; k++) {
    const c0 = (k % s.groups) * per;
    const xhat = (i: number): number => (x[k * m + i]! - mean[k]!) * rstd[k]!;
    let sumG = 0;
    let sumGx = 0;
    for (let i = 0; i < m; i++) {
      const c = c0 + Math.floor(i / pixels);
      const v = dy[k * m + i]!;
      const g = v * params[offset + c]!;
      sumG += g;
      sumGx += g * xhat(i);
      grads[offset + c] = grads[offset + c]! + v * xhat(i);
      grads[offset + channels + c] = grads[offset + channels + c]! + v;
    }
    for (let i = 0; i < m; i++) {
      const g = dy[k * m + i]! * params[offset + c0 + Math.floor(i / pixels)]!;
      dx[k * m + i] = rstd[k]! * (g - sumG / m - xhat(i) * (sumGx / m));
    }
  }
  return dx;
}

/** Throws unless H and W are even: the 2x down-sampling pairs rows and columns. */
export function checkEven(what: string, s: ImageShape): void {
  positiveIntegers(what, { ...s });
  if (s.height % 2 !== 0 || s.width % 2 !== 0)
    throw new Error(
      `${what}: ${s.height} x ${s.width} is not even; 2x down-sampling needs an even height and width`,
    );
}

/** y[n,c,i,j] = the mean of x[n,c,2i..2i+1,2j..2j+1]; x of shape s (even H, W). */
export function avgPoolDown(s: ImageShape, x: ArrayLike<number>): Float64Array {
  checkEven('avgPoolDown', s);
  const h = s.height / 2;
  const w = s.width / 2;
  const y = new Float64Array(s.batch * s.channels * h * w);
  for (let o = 0; o < y.length; o++) {
    const j = o % w;
    const i = Math.floor(o / w) % h;
    const top = (Math.floor(o / (w * h)) * s.height + 2 * i) * s.width + 2 * j;
    y[o] = (x[top]! + x[top + 1]! + x[top + s.width]! + x[top + s.width + 1]!) / 4;
  }
  return y;
}

/** dx[n,c,h,w] = dy[n,c,h/2,w/2] / 4; x of shape s. */
export function avgPoolDownBackward(s: ImageShape, dy: ArrayLike<number>): Float64Array {
  checkEven('avgPoolDown', s);
  return Float64Array.from({ length: s.batch * s.channels * s.height * s.width }, (_, i) => {
    const at = coarse(s.height, s.width, i);
    return dy[at]! / 4;
  });
}

/** The index in the (H/2) x (W/2) image of fine index i of an H x W image (same plane). */
function coarse(height: number, width: number, i: number): number {
  const col = i % width;
  const row = Math.floor(i / width) % height;
  const plane = Math.floor(i / (width * height));
  return (plane * (height / 2) + Math.floor(row / 2)) * (width / 2) + Math.floor(col / 2);
}

/** y[n,c,h,w] = x[n,c,h/2,w/2]: x of shape s, y 2H x 2W. */
export function upsampleNearest(s: ImageShape, x: ArrayLike<number>): Float64Array {
  positiveIntegers('upsampleNearest', { ...s });
  const n = s.batch * s.channels * 4 * s.height * s.width;
  return Float64Array.from({ length: n }, (_, i) => x[coarse(2 * s.height, 2 * s.width, i)]!);
}

/** dx[n,c,i,j] = the sum of dy over the 4 children (2i..2i+1, 2j..2j+1); x of shape s. */
export function upsampleNearestBackward(s: ImageShape, dy: ArrayLike<number>): Float64Array {
  positiveIntegers('upsampleNearest', { ...s });
  const dx = new Float64Array(s.batch * s.channels * s.height * s.width);
  for (let i = 0; i < 4 * dx.length; i++) {
    const at = coarse(2 * s.height, 2 * s.width, i);
    dx[at] = dx[at]! + dy[i]!;
  }
  return dx;
}

/** The skip concatenation's shape: `batch` samples of Ca then Cb channels of `pixels` values. */
export interface ConcatShape {
  batch: number;
  pixels: number;
  channelsA: number;
  channelsB: number;
}

/** y = [a ; b] along channels: y[n, c] = a[n, c] for c < Ca, b[n, c - Ca] after. */
export function concatChannels(
  s: ConcatShape,
  a: ArrayLike<number>,
  b: ArrayLike<number>,
): Float64Array {
  positiveIntegers('concatChannels', { ...s });
  const sa = s.channelsA * s.pixels;
  const sb = s.channelsB * s.pixels;
  const y = new Float64Array(s.batch * (sa + sb));
  for (let n = 0; n < s.batch; n++) {
    for (let i = 0; i < sa; i++) y[n * (sa + sb) + i] = a[n * sa + i]!;
    for (let i = 0; i < sb; i++) y[n * (sa + sb) + sa + i] = b[n * sb + i]!;
  }
  return y;
}

/** The concatenation's backward: dy split into da (Ca channels) and db (Cb channels). */
export function splitChannels(
  s: ConcatShape,
  dy: ArrayLike<number>,
): { da: Float64Array; db: Float64Array } {
  positiveIntegers('splitChannels', { ...s });
  const sa = s.channelsA * s.pixels;
  const sb = s.channelsB * s.pixels;
  const da = new Float64Array(s.batch * sa);
  const db = new Float64Array(s.batch * sb);
  for (let n = 0; n < s.batch; n++) {
    for (let i = 0; i < sa; i++) da[n * sa + i] = dy[n * (sa + sb) + i]!;
    for (let i = 0; i < sb; i++) db[n * sb + i] = dy[n * (sa + sb) + sa + i]!;
  }
  return { da, db };
}

/** The time embedding added per channel (Ho et al. 2020): y[n,c,h,w] = x[n,c,h,w] + t[n,c]. */
export function addPerChannel(
  s: ImageShape,
  x: ArrayLike<number>,
  t: ArrayLike<number>,
): Float64Array {
  positiveIntegers('addPerChannel', { ...s });
  const pixels = s.height * s.width;
  return Float64Array.from({ length: s.batch * s.channels * pixels }, (_, i) => {
    return x[i]! + t[Math.floor(i / pixels)]!;
  });
}

/** Its backward: dx = dy, dt[n,c] = the sum over h, w of dy[n,c,h,w]. */
export function addPerChannelBackward(
  s: ImageShape,
  dy: ArrayLike<number>,
): { dx: Float64Array; dt: Float64Array } {
  positiveIntegers('addPerChannel', { ...s });
  const pixels = s.height * s.width;
  const dt = new Float64Array(s.batch * s.channels);
  for (let i = 0; i < dt.length * pixels; i++) {
    const plane = Math.floor(i / pixels);
    dt[plane] = dt[plane]! + dy[i]!;
  }
  return { dx: Float64Array.from(dy), dt };
}
