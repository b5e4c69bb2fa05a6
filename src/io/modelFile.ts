/**
 * The learned denoiser's weights as a safetensors file (./safetensors.ts): one F32 tensor per
 * PyTorch parameter, named and shaped as tiny-diffusion's MLP state dict (networkTensors in
 * src/maths/learn/network.ts), and the architecture in the metadata so that a file says what it
 * holds. A file without our metadata (saved from PyTorch with safetensors.torch.save_file) is read
 * as the architecture the caller expects. README "Learned denoisers" documents the names.
 */
import {
  ACTIVATIONS,
  archProblem,
  classInputs,
  networkTensors,
  parameterCount,
  TARGETS,
  type NetworkArch,
  type TensorSpec,
} from '../maths/learn/network';
import {
  decodeSafetensors,
  encodeSafetensors,
  expectTensors,
  SafetensorsError,
} from './safetensors';

export const MODEL_FORMAT = 'diffusion-sandbox/learned-2d';

export interface ModelFile {
  arch: NetworkArch;
  /** The flat parameters in the network's layout. */
  weights: Float32Array<ArrayBuffer>;
  /** Optimiser steps the weights were trained for (0 when the file does not say). */
  step: number;
}

export function encodeModel(m: ModelFile): ArrayBuffer {
  const tensors = networkTensors(m.arch).map((t) => ({
    name: t.name,
    shape: t.shape,
    data: m.weights.subarray(t.offset, t.offset + t.shape.reduce((a, b) => a * b, 1)),
  }));
  return encodeSafetensors(tensors, {
    format: MODEL_FORMAT,
    width: String(m.arch.width),
    depth: String(m.arch.depth),
    frequencies: String(m.arch.frequencies),
    activation: m.arch.activation,
    target: m.arch.target,
    step: String(m.step),
    // A class-conditional network's classes: the one-hot after joint_mlp.0's embedding inputs.
    ...(classInputs(m.arch) ? { classes: String(classInputs(m.arch)) } : {}),
  });
}

/** The architecture a file's metadata names, or null when it names none. */
function archOf(metadata: Record<string, string>): NetworkArch | null {
  if (metadata.format !== MODEL_FORMAT) return null;
  const int = (key: string): number => metadataInt(metadata, key);
  const arch = {
    width: int('width'),
    depth: int('depth'),
    frequencies: int('frequencies'),
    activation: metadata.activation as NetworkArch['activation'],
    target: metadata.target as NetworkArch['target'],
    ...(metadata.classes !== undefined ? { classes: int('classes') } : {}),
  };
  if (!ACTIVATIONS.includes(arch.activation) || !TARGETS.includes(arch.target))
    throw new SafetensorsError(
      `the file's activation '${metadata.activation}' or target '${metadata.target}' is not one this page knows`,
    );
  const problem = archProblem(arch);
  if (problem) throw new SafetensorsError(`the file's network: ${problem}`);
  return arch;
}

/**
 * Reads a model file; refuses (SafetensorsError, naming what is wrong) a malformed one, one whose
 * tensors do not fit its architecture (or `expected`, when the file names none), or one with a
 * value that is not finite.
 */
export function decodeModel(buffer: ArrayBuffer, expected: NetworkArch): ModelFile {
  const { tensors, metadata } = decodeSafetensors(buffer);
  const arch = archOf(metadata) ?? expected;
  const specs = networkTensors(arch);
  expectTensors(tensors, specs);
  return {
    arch,
    weights: flatWeights(tensors, specs, parameterCount(arch)),
    step: stepOf(metadata),
  };
}

/**
 * The flat parameters from a file's tensors, each at its offset (their names and shapes already
 * checked by expectTensors); refuses a value that is not finite, naming its tensor.
 */
export function flatWeights(
  tensors: ReadonlyMap<string, { data: Float32Array }>,
  specs: readonly TensorSpec[],
  count: number,
): Float32Array<ArrayBuffer> {
  const weights = new Float32Array(count);
  for (const spec of specs) {
    const data = tensors.get(spec.name)!.data;
    if (!data.every(Number.isFinite))
      throw new SafetensorsError(`tensor "${spec.name}" holds a value that is not finite`);
    weights.set(data, spec.offset);
  }
  return weights;
}

/** The metadata's training step (0 when absent or not a whole number). */
export function stepOf(metadata: Record<string, string>): number {
  const step = Number(metadata.step ?? 0);
  return Number.isSafeInteger(step) && step >= 0 ? step : 0;
}

/** A whole number from the metadata, NaN when absent or not one. */
export function metadataInt(metadata: Record<string, string>, key: string): number {
  const v = metadata[key];
  return v !== undefined && /^\d+$/.test(v) ? Number(v) : NaN;
}
