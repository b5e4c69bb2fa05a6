/**
 * The image U-Net's weights files (src/io/unetFile.ts): a round trip keeps every weight, the
 * architecture, the images and the step; PyTorch's module names and shapes; a state dict without
 * our metadata is read as the expected U-Net; and a truncated file, a wrong dtype, a wrong shape, a
 * missing or extra tensor, a non-finite weight, an architecture the page cannot build and a file
 * made for other images are each refused with what is wrong.
 */
import { describe, expect, test } from 'vitest';
import { decodeSafetensors, encodeSafetensors, SafetensorsError } from '../../src/io/safetensors';
import { decodeUNet, encodeUNet, UNET_FORMAT } from '../../src/io/unetFile';
import {
  unetInitialParameters,
  unetPlan,
  type ImageFormat,
  type UNetArch,
} from '../../src/maths/learn/unet';
import { Rng } from '../../src/maths/rng';
import { SEED } from '../random';

const ARCH: UNetArch = { channels: 8, levels: 2, groups: 4, frequencies: 4, target: 'v' };
const IMAGE: ImageFormat = { channels: 1, height: 8, width: 8 };
const plan = unetPlan(ARCH, IMAGE);
const rng = new Rng(SEED, 181);
/** Weights with every value distinct from its initial one (the zero output layer included). */
const weights = (): Float32Array<ArrayBuffer> =>
  unetInitialParameters(plan, SEED).map((v) => v + rng.normal());

const tensorsOf = (w: Float32Array, drop = 0) =>
  plan.tensors.slice(drop).map((t) => ({
    name: t.name,
    shape: t.shape,
    data: w.slice(t.offset, t.offset + t.shape.reduce((a, b) => a * b, 1)),
  }));

describe('U-Net weight files (safetensors)', () => {
  test('a round trip keeps the weights bit for bit, the architecture, the images and the step', () => {
    const w = weights();
    const file = decodeUNet(encodeUNet({ arch: ARCH, image: IMAGE, weights: w, step: 77 }), {
      arch: { ...ARCH, channels: 16 },
      image: IMAGE,
    });
    expect(file.arch).toEqual(ARCH);
    expect(file.image).toEqual(IMAGE);
    expect(file.step).toBe(77);
    expect(file.weights).toEqual(w);
  });

  test("PyTorch's module names and shapes, in the flat layout's order", () => {
    const { tensors, metadata } = decodeSafetensors(
      encodeUNet({ arch: ARCH, image: IMAGE, weights: weights(), step: 0 }),
    );
    const names = [...tensors.keys()];
    expect(names.slice(0, 6)).toEqual([
      'time.0.weight',
      'time.0.bias',
      'time.2.weight',
      'time.2.bias',
      'conv_in.weight',
      'conv_in.bias',
    ]);
    expect(tensors.get('time.0.weight')!.shape).toEqual([32, 8]);
    expect(tensors.get('conv_in.weight')!.shape).toEqual([8, 1, 3, 3]);
    expect(tensors.get('down.0.res.norm1.weight')!.shape).toEqual([8]);
    expect(tensors.get('down.0.down.weight')!.shape).toEqual([16, 8, 3, 3]);
    expect(tensors.get('up.0.merge.weight')!.shape).toEqual([8, 16, 3, 3]);
    expect(tensors.get('out.conv.weight')!.shape).toEqual([1, 8, 3, 3]);
    expect(names.at(-1)).toBe('out.conv.bias');
    expect(metadata.format).toBe(UNET_FORMAT);
  });

  test('a state dict without our metadata (saved from PyTorch) is read as the expected U-Net', () => {
    const w = weights();
    const plain = encodeSafetensors(tensorsOf(w));
    expect(decodeUNet(plain, { arch: ARCH, image: IMAGE }).weights).toEqual(w);
    // Against another architecture, its shapes are refused.
    expect(() =>
      decodeUNet(plain, { arch: { ...ARCH, channels: 4, groups: 2 }, image: IMAGE }),
    ).toThrow(/shape \[32, 8\].*\[16, 8\]/);
  });

  const good = (): ArrayBuffer =>
    encodeUNet({ arch: ARCH, image: IMAGE, weights: weights(), step: 5 });
  const metadata = (over: Record<string, string> = {}): Record<string, string> => ({
    format: UNET_FORMAT,
    channels: '8',
    levels: '2',
    groups: '4',
    frequencies: '4',
    target: 'v',
    image_channels: '1',
    image_height: '8',
    image_width: '8',
    step: '0',
    ...over,
  });

  test.each<[string, () => ArrayBuffer, RegExp]>([
    ['a truncated file', () => good().slice(0, good().byteLength - 100), /truncated/],
    [
      'a wrong dtype',
      () => {
        const bytes = new Uint8Array(good());
        const at = new TextDecoder().decode(bytes).indexOf('"F32"');
        bytes.set(new TextEncoder().encode('"F16"'), at);
        return bytes.buffer;
      },
      /F16.*only F32/,
    ],
    [
      'a wrong shape',
      () =>
        encodeSafetensors(
          tensorsOf(weights()).map((t) =>
            t.name === 'conv_in.weight' ? { ...t, shape: [8, 3, 3, 1] } : t,
          ),
          metadata(),
        ),
      /tensor "conv_in.weight" has shape \[8, 3, 3, 1\]; this model needs \[8, 1, 3, 3\]/,
    ],
    [
      'a missing tensor',
      () => encodeSafetensors(tensorsOf(weights(), 1), metadata()),
      /no tensor "time\.0\.weight"/,
    ],
    [
      'an extra tensor',
      () =>
        encodeSafetensors(
          [
            ...tensorsOf(weights()),
            { name: 'mid.attn.weight', shape: [1], data: new Float32Array(1) },
          ],
          metadata(),
        ),
      /"mid\.attn\.weight" that this model does not use/,
    ],
    [
      'a weight that is not finite',
      () => {
        const w = weights();
        w[plan.tensors.find((t) => t.name === 'mid.res.conv2.weight')!.offset + 3] = Infinity;
        return encodeUNet({ arch: ARCH, image: IMAGE, weights: w, step: 0 });
      },
      /tensor "mid\.res\.conv2\.weight" holds a value that is not finite/,
    ],
    [
      'an architecture the page cannot build',
      () => encodeSafetensors(tensorsOf(weights()), metadata({ groups: '3' })),
      /the file's U-Net: GroupNorm's 3 groups must divide the 8 channels/,
    ],
    [
      'a U-Net made for other images',
      () =>
        encodeSafetensors(
          tensorsOf(weights()),
          metadata({ image_height: '16', image_width: '16' }),
        ),
      /for 16 x 16 x 1 images; these are 8 x 8 x 1/,
    ],
    [
      'an unknown target',
      () => encodeSafetensors(tensorsOf(weights()), metadata({ target: 'score' })),
      /target 'score' is not one this page knows/,
    ],
  ])('%s is refused, naming the problem', (_, make, message) => {
    const bytes = make();
    const expected = { arch: ARCH, image: IMAGE };
    expect(() => decodeUNet(bytes, expected)).toThrow(SafetensorsError);
    expect(() => decodeUNet(bytes, expected)).toThrow(message);
  });
});
