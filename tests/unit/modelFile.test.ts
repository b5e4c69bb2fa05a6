/**
 * The learned denoiser's weights files (src/io/modelFile.ts): a round trip keeps every weight
 * and the architecture; a truncated file, wrong shapes, a wrong dtype, a missing tensor and a
 * non-finite weight are each refused with what is wrong (the caller keeps its model: decodeModel
 * changes nothing, it only reads).
 */
import { describe, expect, test } from 'vitest';
import { decodeModel, encodeModel } from '../../src/io/modelFile';
import { decodeSafetensors, encodeSafetensors, SafetensorsError } from '../../src/io/safetensors';
import {
  DEFAULT_ARCH,
  initialParameters,
  networkTensors,
  parameterCount,
  type NetworkArch,
} from '../../src/maths/learn/network';
import { SEED } from '../random';

const ARCH: NetworkArch = { width: 24, depth: 2, frequencies: 64, activation: 'gelu', target: 'v' };

describe('model files (safetensors)', () => {
  test('a round trip keeps the weights bit for bit, the architecture and the step', () => {
    const weights = initialParameters(ARCH, SEED);
    const file = decodeModel(encodeModel({ arch: ARCH, weights, step: 1234 }), DEFAULT_ARCH);
    expect(file.arch).toEqual(ARCH);
    expect(file.step).toBe(1234);
    expect(file.weights).toEqual(weights);
  });

  test("PyTorch's names and shapes, in the flat layout's order", () => {
    const bytes = encodeModel({ arch: ARCH, weights: initialParameters(ARCH, SEED), step: 0 });
    const { tensors } = decodeSafetensors(bytes);
    expect([...tensors.keys()]).toEqual([
      'joint_mlp.0.weight',
      'joint_mlp.0.bias',
      'joint_mlp.2.ff.weight',
      'joint_mlp.2.ff.bias',
      'joint_mlp.3.ff.weight',
      'joint_mlp.3.ff.bias',
      'joint_mlp.4.weight',
      'joint_mlp.4.bias',
    ]);
    expect(tensors.get('joint_mlp.0.weight')!.shape).toEqual([24, 384]);
    expect(tensors.get('joint_mlp.4.weight')!.shape).toEqual([2, 24]);
    expect(parameterCount(DEFAULT_ARCH)).toBe(99_074);
  });

  test('a file without our metadata (saved from PyTorch) is read as the expected network', () => {
    const weights = initialParameters(ARCH, SEED);
    const plain = encodeSafetensors(
      networkTensors(ARCH).map((t) => ({
        name: t.name,
        shape: t.shape,
        data: weights.slice(t.offset, t.offset + t.shape.reduce((a, b) => a * b, 1)),
      })),
    );
    expect(decodeModel(plain, ARCH).weights).toEqual(weights);
    // Against another architecture, its shapes are refused.
    expect(() => decodeModel(plain, { ...ARCH, width: 128 })).toThrow(
      /shape \[24, 384\].*\[128, 384\]/,
    );
  });

  const good = (): ArrayBuffer =>
    encodeModel({ arch: ARCH, weights: initialParameters(ARCH, SEED), step: 5 });

  test.each<[string, () => ArrayBuffer, RegExp]>([
    ['a truncated file', () => good().slice(0, good().byteLength - 100), /truncated/],
    ['an empty file', () => new ArrayBuffer(0), /shorter than|8 bytes|too short/i],
    [
      'a wrong dtype',
      () => {
        const bytes = new Uint8Array(good());
        const text = new TextDecoder().decode(bytes);
        const at = text.indexOf('"F32"');
        bytes.set(new TextEncoder().encode('"F16"'), at);
        return bytes.buffer;
      },
      /F16.*only F32/,
    ],
    [
      'a wrong shape in the metadata',
      () =>
        encodeSafetensors(
          networkTensors(ARCH).map((t) => ({
            name: t.name,
            shape: t.shape.length === 2 ? [t.shape[1]!, t.shape[0]!] : t.shape,
            data: new Float32Array(t.shape.reduce((a, b) => a * b, 1)),
          })),
          {
            format: 'diffusion-sandbox/learned-2d',
            width: '24',
            depth: '2',
            frequencies: '64',
            activation: 'gelu',
            target: 'v',
            step: '0',
          },
        ),
      /shape/,
    ],
    [
      'a missing tensor',
      () =>
        encodeSafetensors(
          networkTensors(ARCH)
            .slice(1)
            .map((t) => ({
              name: t.name,
              shape: t.shape,
              data: new Float32Array(t.shape.reduce((a, b) => a * b, 1)),
            })),
        ),
      /no tensor "joint_mlp\.0\.weight"/,
    ],
    [
      'a weight that is not finite',
      () => {
        const weights = initialParameters(ARCH, SEED);
        weights[7] = NaN;
        return encodeModel({ arch: ARCH, weights, step: 0 });
      },
      /not finite/,
    ],
  ])('%s is refused, naming the problem', (_, make, message) => {
    const bytes = make();
    expect(() => decodeModel(bytes, ARCH)).toThrow(SafetensorsError);
    expect(() => decodeModel(bytes, ARCH)).toThrow(message);
  });
});
