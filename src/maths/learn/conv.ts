/**
 * Float64 reference of the 3x3 convolution of shaders/learn/conv3x3_*.wgsl (issue 14's U-Net),
 * stride 1, zero padding 1, so the output is as large as the input. PyTorch's Conv2d layout
 * (torch.nn.Conv2d(cin, cout, 3, padding=1)): activations NCHW, row-major (batch, channel, row,
 * column); weights W[o][i][ky][kx], then the bias b[o], in one flat parameter array from `offset`
 * (as ./linear.ts). Like PyTorch, a cross-correlation:
 *   Y[n,o,y,x]  = b[o] + sum_i sum_ky sum_kx X[n,i,y+ky-1,x+kx-1] W[o,i,ky,kx]
 *   dX[n,i,y,x] = sum_o sum_ky sum_kx dY[n,o,y-ky+1,x-kx+1] W[o,i,ky,kx]
 *                 (the transposed convolution: the kernel flipped, in and out swapped)
 *   dW[o,i,ky,kx] = sum_n sum_y sum_x dY[n,o,y,x] X[n,i,y+ky-1,x+kx-1],  db[o] = sum dY[n,o,.,.]
 * with X and dY zero outside the image.
 */
export interface ConvShape {
  batch: number;
  channelsIn: number;
  channelsOut: number;
  height: number;
  width: number;
  /** Where W starts in the flat parameter array; b follows it. */
  offset: number;
}

/** Parameters of a 3x3 convolution: cout x cin x 3 x 3 weights and cout biases. */
export const convParameters = (cin: number, cout: number): number => cout * cin * 9 + cout;

/** X[n, c, y, x], 0 outside the image (the zero padding). */
function pixel(
  s: ConvShape,
  a: ArrayLike<number>,
  channels: number,
  n: number,
  c: number,
  y: number,
  x: number,
): number {
  if (y < 0 || y >= s.height || x < 0 || x >= s.width) return 0;
  return a[((n * channels + c) * s.height + y) * s.width + x]!;
}

const weight = (
  s: ConvShape,
  params: ArrayLike<number>,
  o: number,
  i: number,
  tap: number,
): number => params[s.offset + (o * s.channelsIn + i) * 9 + tap]!;

export function conv3x3Forward(
  s: ConvShape,
  x: ArrayLike<number>,
  params: ArrayLike<number>,
): Float64Array {
  const { batch, channelsIn: cin, channelsOut: cout, height: h, width: w } = s;
  const y = new Float64Array(batch * cout * h * w);
  const bias = s.offset + cout * cin * 9;
  for (let n = 0; n < batch; n++)
    for (let o = 0; o < cout; o++)
      for (let py = 0; py < h; py++)
        for (let px = 0; px < w; px++) {
          let acc = 0;
          for (let i = 0; i < cin; i++)
            for (let ky = 0; ky < 3; ky++)
              for (let kx = 0; kx < 3; kx++)
                acc +=
                  pixel(s, x, cin, n, i, py + ky - 1, px + kx - 1) *
                  weight(s, params, o, i, 3 * ky + kx);
          y[((n * cout + o) * h + py) * w + px] = acc + params[bias + o]!;
        }
  return y;
}

/** dX (batch x cin x H x W) from dY (batch x cout x H x W). */
export function conv3x3BackwardInput(
  s: ConvShape,
  dy: ArrayLike<number>,
  params: ArrayLike<number>,
): Float64Array {
  const { batch, channelsIn: cin, channelsOut: cout, height: h, width: w } = s;
  const dx = new Float64Array(batch * cin * h * w);
  for (let n = 0; n < batch; n++)
    for (let i = 0; i < cin; i++)
      for (let py = 0; py < h; py++)
        for (let px = 0; px < w; px++) {
          let acc = 0;
          for (let o = 0; o < cout; o++)
            for (let ky = 0; ky < 3; ky++)
              for (let kx = 0; kx < 3; kx++)
                acc +=
                  pixel(s, dy, cout, n, o, py - ky + 1, px - kx + 1) *
                  weight(s, params, o, i, 3 * ky + kx);
          dx[((n * cin + i) * h + py) * w + px] = acc;
        }
  return dx;
}

/**
 * dW and db summed over the batch and the pixels, written into `grads` at the layer's offset
 * (the layout of the parameters); the rest of `grads` is left as it was.
 */
export function conv3x3BackwardWeight(
  s: ConvShape,
  x: ArrayLike<number>,
  dy: ArrayLike<number>,
  grads: Float64Array,
): void {
  const { batch, channelsIn: cin, channelsOut: cout, height: h, width: w } = s;
  const bias = s.offset + cout * cin * 9;
  for (let o = 0; o < cout; o++) {
    for (let i = 0; i < cin; i++)
      for (let ky = 0; ky < 3; ky++)
        for (let kx = 0; kx < 3; kx++) {
          let acc = 0;
          for (let n = 0; n < batch; n++)
            for (let py = 0; py < h; py++)
              for (let px = 0; px < w; px++)
                acc +=
                  dy[((n * cout + o) * h + py) * w + px]! *
                  pixel(s, x, cin, n, i, py + ky - 1, px + kx - 1);
          grads[s.offset + (o * cin + i) * 9 + 3 * ky + kx] = acc;
        }
    let acc = 0;
    for (let p = 0; p < batch; p++)
      for (let q = 0; q < h * w; q++) acc += dy[(p * cout + o) * h * w + q]!;
    grads[bias + o] = acc;
  }
}
