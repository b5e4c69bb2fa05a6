/**
 * The 2D score network's passes over a batch, as ops of the training engine (./layers.ts): the
 * buffers of the activations, the forward pass (embeddings, input layer, residual blocks, output
 * layer) and the backward pass into the flat gradient, in the layout of
 * src/maths/learn/network.ts. The Trainer replays them every step.
 */
import { createBuffer } from '../../gpu/buffers';
import {
  embeddingWidth,
  INPUTS,
  networkLayers,
  OUTPUTS,
  parameterCount,
  type NetworkArch,
} from '../../maths/learn/network';
import {
  createEmbedding,
  createGradReduce,
  createLinear,
  type LearnKernels,
  type Op,
} from './layers';

// A function, not a constant: GPUBufferUsage exists only once WebGPU is loaded (Dawn in the bench).
const storage = (): GPUBufferUsageFlags =>
  GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST;

/** What a trainer owns: its buffers and its layers' uniforms, destroyed together. */
export class Pool {
  private readonly owned: { destroy(): void }[] = [];

  constructor(private readonly device: GPUDevice) {}

  /** A storage buffer of n floats (or holding `data`). */
  readonly floats = (label: string, n: number, data?: Float32Array<ArrayBuffer>): GPUBuffer =>
    this.own(
      createBuffer(this.device, {
        label,
        size: data ? 0 : 4 * Math.max(1, n),
        usage: storage(),
        ...(data ? { data } : {}),
      }),
    );

  readonly own = <T extends { destroy(): void }>(o: T): T => {
    this.owned.push(o);
    return o;
  };

  destroy(): void {
    for (const o of this.owned) o.destroy();
    this.owned.length = 0;
  }
}

/** The buffers of one batch's forward and backward passes. */
export interface Activations {
  rows: GPUBuffer;
  e: GPUBuffer;
  pre: GPUBuffer[];
  h: GPUBuffer[];
  out: GPUBuffer;
  goal: GPUBuffer;
  weight: GPUBuffer;
  dOut: GPUBuffer;
  dh: [GPUBuffer, GPUBuffer];
  dPre: [GPUBuffer, GPUBuffer];
}

/** The activations of `rows` rows (the forward's) and of `batch` rows (the backward's). */
export function allocateActivations(
  pool: Pool,
  arch: NetworkArch,
  batch: number,
  rows: number,
): Activations {
  const { floats } = pool;
  const H = arch.width;
  return {
    rows: floats('rows', INPUTS * rows),
    e: floats('embedded', embeddingWidth(arch) * rows),
    pre: Array.from({ length: arch.depth + 1 }, (_, i) => floats(`pre ${i}`, H * rows)),
    h: Array.from({ length: arch.depth + 1 }, (_, i) => floats(`h ${i}`, H * rows)),
    out: floats('out', OUTPUTS * rows),
    goal: floats('goal', OUTPUTS * rows),
    weight: floats('weight', rows),
    dOut: floats('d out', OUTPUTS * batch),
    dh: [floats('dh a', H * batch), floats('dh b', H * batch)],
    dPre: [floats('d pre a', H * batch), floats('d pre b', H * batch)],
  };
}

/**
 * Embeddings, the input layer, the blocks and the output layer over `rows` rows; `turns` holds
 * the embedding's frequencies per input column (networkRowTurns).
 */
export function forwardOps(
  pool: Pool,
  device: GPUDevice,
  kernels: LearnKernels,
  arch: NetworkArch,
  act: Activations,
  rows: number,
  params: GPUBuffer,
  turns: GPUBuffer,
): Op[] {
  const { own } = pool;
  const E = embeddingWidth(arch);
  const K = arch.frequencies;
  const ops: Op[] = [];
  // The three inputs (x c_in, y c_in, tau) in one dispatch, each with its frequencies.
  const embedding = own(
    createEmbedding(
      device,
      kernels,
      { batch: rows, inStride: INPUTS, column: 0, outStride: E, outOffset: 0, columns: INPUTS },
      K,
    ),
  );
  ops.push(embedding.forwardOp({ s: act.rows, turns, out: act.e }));
  const layers = networkLayers(arch).map((l) =>
    own(createLinear(device, kernels, { ...l, batch: rows })),
  );
  // Each layer with its activation (and each block with its skip) in one dispatch.
  const act_ = arch.activation;
  ops.push(layers[0]!.forwardActOp({ x: act.e, params, pre: act.pre[0]!, h: act.h[0]! }, act_));
  for (let i = 1; i <= arch.depth; i++) {
    const x = act.h[i - 1]!;
    ops.push(layers[i]!.forwardActOp({ x, params, pre: act.pre[i]!, h: act.h[i]!, skip: x }, act_));
  }
  ops.push(layers[arch.depth + 1]!.forwardOp({ x: act.h[arch.depth]!, params, y: act.out }));
  return ops;
}

/**
 * dL/dout (act.dOut) back through the network into `grads`: each layer's weights' gradient, and
 * one dispatch into the layer below that passes dh through the skip and applies the activation's
 * slope (linear_backward_input_act); the input layer's weights' gradient last. With `split`
 * (batches past one chunk: ./ops.ts's splitBatch), the weights' gradients go to its partials, a
 * chunk of the batch each, and one dispatch at the end adds them into `grads`.
 */
export function backwardOps(
  pool: Pool,
  device: GPUDevice,
  kernels: LearnKernels,
  arch: NetworkArch,
  act: Activations,
  batch: number,
  params: GPUBuffer,
  grads: GPUBuffer,
  split?: { splits: number; chunk: number; partials: GPUBuffer },
): Op[] {
  const { own } = pool;
  const count = parameterCount(arch);
  const layerSplit = split && { ...split, slice: count, reduce: false };
  const layers = networkLayers(arch).map((l) =>
    own(createLinear(device, kernels, { ...l, batch }, layerSplit)),
  );
  const ops: Op[] = [];
  const D = arch.depth;
  let [dh, dhNext] = act.dh;
  let [dPre, dPreNext] = act.dPre;
  // The output layer: no skip around it.
  ops.push(...layers[D + 1]!.backwardOps({ x: act.h[D]!, dy: act.dOut, params, grads }));
  ops.push(
    layers[D + 1]!.backwardInputActOp(
      { dy: act.dOut, params, pre: act.pre[D]!, dh, dpre: dPre },
      arch.activation,
    ),
  );
  for (let i = D; i >= 1; i--) {
    ops.push(...layers[i]!.backwardOps({ x: act.h[i - 1]!, dy: dPre, params, grads }));
    ops.push(
      layers[i]!.backwardInputActOp(
        { dy: dPre, params, pre: act.pre[i - 1]!, dh: dhNext, dpre: dPreNext, skip: dh },
        arch.activation,
      ),
    );
    [dh, dhNext] = [dhNext, dh];
    [dPre, dPreNext] = [dPreNext, dPre];
  }
  ops.push(...layers[0]!.backwardOps({ x: act.e, dy: dPre, params, grads }));
  if (layerSplit) {
    const spec = { first: 0, count, splits: layerSplit.splits, slice: count };
    ops.push(
      own(createGradReduce(device, kernels, spec)).op({ partials: layerSplit.partials, grads }),
    );
  }
  return ops;
}
