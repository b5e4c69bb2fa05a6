/**
 * Sinusoidal embedding of a scalar column (shaders/learn/embed.wgsl): [sin(2 pi g_k s),
 * cos(2 pi g_k s)], k < K, with g_k geometric from fmin to fmax turns per unit. The transformer's
 * 10000^(-k / (K - 1)) (Vaswani et al. 2017 section 3.5) scaled as in tiny-diffusion's
 * SinusoidalEmbedding(scale) is fmin = scale / (2 pi 10000), fmax = scale / (2 pi) in turns.
 */

/** The K frequencies in turns per unit, as float32 (what the kernel reads): exp(linspace(log fmin, log fmax)). */
export function embeddingTurns(k: number, fmin: number, fmax: number): Float32Array<ArrayBuffer> {
  if (!Number.isInteger(k) || k < 1) throw new Error(`embedding: ${k} frequencies`);
  if (!(fmin > 0 && fmax >= fmin)) throw new Error(`embedding: need 0 < fmin <= fmax`);
  const a = Math.log(fmin);
  const b = Math.log(fmax);
  return Float32Array.from({ length: k }, (_, j) =>
    Math.exp(k === 1 ? a : a + ((b - a) * j) / (k - 1)),
  );
}

/**
 * The transformer convention at tiny-diffusion's scale (25 for x and y, 1 for t), in turns, in
 * tiny-diffusion's order: highest first, scale 10000^(-k / (K - 1)) radians for k = 0 .. K - 1
 * (its SinusoidalEmbedding), so that a first layer trained there has its columns where ours are.
 */
export function transformerTurns(k: number, scale: number): Float32Array<ArrayBuffer> {
  return embeddingTurns(k, scale / (2 * Math.PI * 10000), scale / (2 * Math.PI)).reverse();
}

export interface EmbedShape {
  batch: number;
  /** Row length of the input and the (first) embedded column in it. */
  inStride: number;
  column: number;
  /** Row length of the output and where the 2 K values of the (first) column start in it. */
  outStride: number;
  outOffset: number;
  /**
   * Consecutive columns embedded by one dispatch (default 1): column + j with its own K
   * frequencies (turns[j K ..]), written 2 K values after column j - 1's.
   */
  columns?: number;
}

/** Writes the embedding of the shape's columns of `s` into `out` (float64). */
export function embed(
  shape: EmbedShape,
  s: ArrayLike<number>,
  turns: ArrayLike<number>,
  out: Float64Array,
): void {
  const columns = shape.columns ?? 1;
  const k = turns.length / columns;
  for (let r = 0; r < shape.batch; r++)
    for (let c = 0; c < columns; c++) {
      const v = s[r * shape.inStride + shape.column + c]!;
      for (let j = 0; j < k; j++) {
        const angle = 2 * Math.PI * turns[c * k + j]! * v;
        const at = r * shape.outStride + shape.outOffset + 2 * k * c + j;
        out[at] = Math.sin(angle);
        out[at + k] = Math.cos(angle);
      }
    }
}
