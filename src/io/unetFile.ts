/**
 * The image U-Net's weights as a safetensors file (./safetensors.ts, issue 14): one F32 tensor per
 * PyTorch parameter, named and shaped as the plan's modules (unetPlan in src/maths/learn/unet.ts:
 * `time.0.weight`, `down.0.res.conv1.weight` [C, C, 3, 3], `down.0.res.norm1.weight` [C], ...),
 * and the architecture and the images it was made for in the metadata. A file without our
 * metadata (a state dict saved from PyTorch) is read as the architecture the caller expects. The
 * same refusals as the 2D model's file (./modelFile.ts): malformed, a missing or extra tensor, a
 * wrong shape or dtype, a value that is not finite, an architecture this page cannot build.
 */
import { TARGETS, type Target } from '../maths/learn/network';
import {
  unetClasses,
  unetPlan,
  unetProblem,
  type ImageFormat,
  type UNetArch,
} from '../maths/learn/unet';
import { flatWeights, metadataInt, stepOf } from './modelFile';
import {
  decodeSafetensors,
  encodeSafetensors,
  expectTensors,
  SafetensorsError,
} from './safetensors';

export const UNET_FORMAT = 'diffusion-sandbox/unet';

export interface UNetFile {
  arch: UNetArch;
  image: ImageFormat;
  /** The flat parameters in the plan's layout. */
  weights: Float32Array<ArrayBuffer>;
  /** Optimiser steps the weights were trained for (0 when the file does not say). */
  step: number;
}

export function encodeUNet(f: UNetFile): ArrayBuffer {
  const plan = unetPlan(f.arch, f.image);
  if (f.weights.length !== plan.parameters)
    throw new Error(`${f.weights.length} weights for a U-Net of ${plan.parameters} parameters`);
  const tensors = plan.tensors.map((t) => ({
    name: t.name,
    shape: t.shape,
    data: f.weights.subarray(t.offset, t.offset + t.shape.reduce((a, b) => a * b, 1)),
  }));
  return encodeSafetensors(tensors, {
    format: UNET_FORMAT,
    channels: String(f.arch.channels),
    levels: String(f.arch.levels),
    groups: String(f.arch.groups),
    frequencies: String(f.arch.frequencies),
    target: f.arch.target,
    image_channels: String(f.image.channels),
    image_height: String(f.image.height),
    image_width: String(f.image.width),
    step: String(f.step),
    // A class-conditional U-Net's classes: the one-hot joined to time.e before time.0.
    ...(unetClasses(f.arch) ? { classes: String(unetClasses(f.arch)) } : {}),
  });
}

/** The architecture and images a file's metadata names, or null when it names none. */
function formatOf(metadata: Record<string, string>): { arch: UNetArch; image: ImageFormat } | null {
  if (metadata.format !== UNET_FORMAT) return null;
  const int = (key: string): number => metadataInt(metadata, key);
  const target = metadata.target as Target;
  if (!TARGETS.includes(target))
    throw new SafetensorsError(`the file's target '${metadata.target}' is not one this page knows`);
  const arch: UNetArch = {
    channels: int('channels'),
    levels: int('levels'),
    groups: int('groups'),
    frequencies: int('frequencies'),
    target,
    ...(metadata.classes !== undefined ? { classes: int('classes') } : {}),
  };
  const image: ImageFormat = {
    channels: int('image_channels'),
    height: int('image_height'),
    width: int('image_width'),
  };
  if (![image.channels, image.height, image.width].every((v) => v >= 1))
    throw new SafetensorsError('the file does not say which images its U-Net is for');
  const problem = unetProblem(arch, image);
  if (problem) throw new SafetensorsError(`the file's U-Net: ${problem}`);
  return { arch, image };
}

/**
 * Reads a U-Net file; refuses (SafetensorsError, naming what is wrong) a malformed one, one whose
 * tensors do not fit its architecture (or `expected`'s, when the file names none), one made for
 * other images than `expected.image`, or one with a value that is not finite.
 */
export function decodeUNet(
  buffer: ArrayBuffer,
  expected: { arch: UNetArch; image: ImageFormat },
): UNetFile {
  const { tensors, metadata } = decodeSafetensors(buffer);
  const { arch, image } = formatOf(metadata) ?? expected;
  const e = expected.image;
  if (image.channels !== e.channels || image.height !== e.height || image.width !== e.width)
    throw new SafetensorsError(
      `the file's U-Net is for ${image.height} x ${image.width} x ${image.channels} images; these are ${e.height} x ${e.width} x ${e.channels}`,
    );
  const plan = unetPlan(arch, image);
  expectTensors(tensors, plan.tensors);
  return {
    arch,
    image,
    weights: flatWeights(tensors, plan.tensors, plan.parameters),
    step: stepOf(metadata),
  };
}
