/** The training engine's kernels (shaders/learn/), compiled once per device. */
import { compileKernel } from '../../gpu/compile';
import type { Kernel, ShaderSources } from '../../gpu/kernel';
import { ELEMENTWISE_SIZE, REDUCE_SIZE, STEP_TABLE_KERNELS, TILE } from './ops';

export interface LearnKernels {
  linearForward: Kernel;
  linearActForward: Kernel;
  linearBackwardInputAct: Kernel;
  linearBackwardInput: Kernel;
  linearBackwardWeight: Kernel;
  gradReduce: Kernel;
  silu: Kernel;
  siluBackward: Kernel;
  gelu: Kernel;
  geluBackward: Kernel;
  add: Kernel;
  embed: Kernel;
  mseLoss: Kernel;
  lossSum: Kernel;
  gradNorm: Kernel;
  gradClip: Kernel;
  adamw: Kernel;
  adamwEma: Kernel;
  ema: Kernel;
  sampleBatch: Kernel;
}

export async function compileLearnKernels(
  device: GPUDevice,
  sources: ShaderSources,
): Promise<LearnKernels> {
  const k = (name: string, workgroupSize: number): Promise<Kernel> =>
    compileKernel(device, sources, `learn/${name}`, {
      workgroupSize,
      ...(STEP_TABLE_KERNELS.has(name) ? { dynamic: ['train'] } : {}),
    });
  const [
    linearForward,
    linearActForward,
    linearBackwardInputAct,
    linearBackwardInput,
    linearBackwardWeight,
  ] = await Promise.all([
    k('linear_forward', TILE * TILE),
    k('linear_act_forward', TILE * TILE),
    k('linear_backward_input_act', TILE * TILE),
    k('linear_backward_input', TILE * TILE),
    k('linear_backward_weight', TILE * TILE),
  ]);
  const [silu, siluBackward, gelu, geluBackward, add, embed, gradReduce] = await Promise.all([
    k('silu', ELEMENTWISE_SIZE),
    k('silu_backward', ELEMENTWISE_SIZE),
    k('gelu', ELEMENTWISE_SIZE),
    k('gelu_backward', ELEMENTWISE_SIZE),
    k('add', ELEMENTWISE_SIZE),
    k('embed', ELEMENTWISE_SIZE),
    k('grad_reduce', ELEMENTWISE_SIZE),
  ]);
  const [mseLoss, lossSum, gradNorm, gradClip, adamw, adamwEma, ema, sampleBatch] =
    await Promise.all([
      k('mse_loss', REDUCE_SIZE),
      k('loss_sum', REDUCE_SIZE),
      k('grad_norm', REDUCE_SIZE),
      k('grad_clip', REDUCE_SIZE),
      k('adamw', ELEMENTWISE_SIZE),
      k('adamw_ema', ELEMENTWISE_SIZE),
      k('ema', ELEMENTWISE_SIZE),
      k('sample_batch', ELEMENTWISE_SIZE),
    ]);
  return {
    linearForward,
    linearActForward,
    linearBackwardInputAct,
    linearBackwardInput,
    linearBackwardWeight,
    gradReduce,
    silu,
    siluBackward,
    gelu,
    geluBackward,
    add,
    embed,
    mseLoss,
    lossSum,
    gradNorm,
    gradClip,
    adamw,
    adamwEma,
    ema,
    sampleBatch,
  };
}
