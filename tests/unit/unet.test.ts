/**
 * The U-Net's plan (src/maths/learn/unet.ts): its parameter count against the architecture's
 * formula written out independently, the flat layout of its tensors, the data flow of its ops
 * (every slot read after it is written, shapes that agree), and the architectures it refuses.
 */
import { describe, expect, test } from 'vitest';
import {
  MAX_IMAGE_BATCH,
  unetTrainProblem,
  type UNetTrainSettings,
} from '../../src/maths/learn/training';
import {
  DEFAULT_UNET,
  slotSize,
  unetInitialParameters,
  unetPlan,
  unetProblem,
  type ImageFormat,
  type UNetArch,
  type UNetPlan,
} from '../../src/maths/learn/unet';

const MNIST: ImageFormat = { channels: 1, height: 28, width: 28 };
const COLOUR: ImageFormat = { channels: 3, height: 32, width: 32 };

/** The parameter count from the architecture's description, not from the plan. */
function expectedParameters(a: UNetArch, image: ImageFormat): number {
  const C = a.channels;
  const T = 4 * C;
  const c = (l: number): number => (l === 0 ? C : 2 * C);
  const conv = (i: number, o: number): number => 9 * i * o + o;
  const res = (ch: number): number => 2 * (2 * ch) + 2 * conv(ch, ch) + (T * ch + ch);
  let n = 2 * a.frequencies * T + T + (T * T + T); // time MLP
  n += conv(image.channels, C); // conv_in
  for (let l = 0; l < a.levels; l++) n += res(c(l)); // down res blocks
  for (let l = 0; l + 1 < a.levels; l++) n += conv(c(l), c(l + 1)); // down convolutions
  n += res(c(a.levels - 1)); // mid
  for (let l = 0; l + 1 < a.levels; l++)
    n += conv(c(l + 1), c(l)) + conv(2 * c(l), c(l)) + res(c(l)); // up, merge, res
  n += 2 * C + conv(C, image.channels); // out
  return n;
}

function checkFlow(p: UNetPlan): void {
  const written = new Set(['tau', 'x']);
  const read = (s: string): void => {
    expect(written.has(s), `${s} read before it is written`).toBe(true);
  };
  const write = (s: string): void => {
    expect(written.has(s), `${s} written twice`).toBe(false);
    written.add(s);
  };
  const sh = (s: string) => p.slots.get(s)!;
  for (const o of p.ops) {
    switch (o.op) {
      case 'embed':
        read('tau');
        expect(sh(o.y).channels).toBe(2 * o.frequencies);
        write(o.y);
        break;
      case 'linear':
        read(o.x);
        expect([sh(o.x).channels, sh(o.x).height, sh(o.x).width]).toEqual([o.inputs, 1, 1]);
        expect(sh(o.y).channels).toBe(o.outputs);
        write(o.y);
        break;
      case 'conv':
        read(o.x);
        expect(sh(o.x).channels).toBe(o.cin);
        expect(sh(o.y)).toEqual({ ...sh(o.x), channels: o.cout });
        write(o.y);
        break;
      case 'norm':
        read(o.x);
        expect(sh(o.x).channels % o.groups).toBe(0);
        expect(sh(o.y)).toEqual(sh(o.x));
        write(o.y);
        break;
      case 'silu':
        read(o.x);
        expect(sh(o.y)).toEqual(sh(o.x));
        write(o.y);
        break;
      case 'addChannel':
        read(o.x);
        read(o.t);
        expect(sh(o.t)).toEqual({ channels: sh(o.x).channels, height: 1, width: 1 });
        expect(sh(o.y)).toEqual(sh(o.x));
        write(o.y);
        break;
      case 'add':
        read(o.a);
        read(o.b);
        expect(sh(o.a)).toEqual(sh(o.b));
        expect(sh(o.y)).toEqual(sh(o.a));
        write(o.y);
        break;
      case 'down': {
        read(o.x);
        const s = sh(o.x);
        expect((s.height % 2) + (s.width % 2)).toBe(0);
        expect(sh(o.y)).toEqual({ ...s, height: s.height / 2, width: s.width / 2 });
        write(o.y);
        break;
      }
      case 'up': {
        read(o.x);
        const s = sh(o.x);
        expect(sh(o.y)).toEqual({ ...s, height: 2 * s.height, width: 2 * s.width });
        write(o.y);
        break;
      }
      case 'concat':
        read(o.a);
        read(o.b);
        expect(sh(o.a).height).toBe(sh(o.b).height);
        expect(sh(o.a).width).toBe(sh(o.b).width);
        expect(sh(o.y).channels).toBe(sh(o.a).channels + sh(o.b).channels);
        write(o.y);
        break;
    }
  }
  read(p.output);
  expect(p.slots.get(p.output)).toEqual(p.image);
  // Every slot the plan declares is written by an op (or is an input).
  expect([...p.slots.keys()].every((s) => written.has(s))).toBe(true);
}

describe('the U-Net plan', () => {
  const cases: [string, UNetArch, ImageFormat][] = [
    ['default on 28 x 28 x 1', DEFAULT_UNET, MNIST],
    ['default on 32 x 32 x 3', DEFAULT_UNET, COLOUR],
    [
      '2 levels, 16 channels, 4 groups',
      { ...DEFAULT_UNET, channels: 16, levels: 2, groups: 4 },
      MNIST,
    ],
    [
      '1 level (no down-sampling) on 5 x 3',
      { ...DEFAULT_UNET, channels: 4, levels: 1, groups: 2, frequencies: 3 },
      { channels: 2, height: 5, width: 3 },
    ],
  ];
  test.each(cases)('%s: parameters, layout and data flow', (_, arch, image) => {
    const p = unetPlan(arch, image);
    expect(p.parameters).toBe(expectedParameters(arch, image));
    // Tensors tile the flat array in order, each name once.
    let at = 0;
    for (const t of p.tensors) {
      expect(t.offset, t.name).toBe(at);
      at += t.shape.reduce((a, d) => a * d, 1);
    }
    expect(at).toBe(p.parameters);
    expect(new Set(p.tensors.map((t) => t.name)).size).toBe(p.tensors.length);
    checkFlow(p);
    expect(slotSize(p.slots.get(p.output)!)).toBe(image.channels * image.height * image.width);
  });

  test("the default is in the issue's range of 0.3 to 2 M parameters on MNIST", () => {
    const n = unetPlan(DEFAULT_UNET, MNIST).parameters;
    expect(n).toBeGreaterThan(3e5);
    expect(n).toBeLessThan(2e6);
  });

  test('architectures the images cannot take are refused with the reason', () => {
    expect(unetProblem({ ...DEFAULT_UNET, groups: 5 }, MNIST)).toMatch(
      /5 groups must divide the 32/,
    );
    expect(unetProblem({ ...DEFAULT_UNET, levels: 4 }, MNIST)).toMatch(
      /28 x 28 is not a multiple of 8/,
    );
    expect(unetProblem({ ...DEFAULT_UNET, channels: 0 }, MNIST)).toMatch(/channels must be 1 to/);
    expect(unetProblem({ ...DEFAULT_UNET, levels: 2.5 }, MNIST)).toMatch(/levels must be/);
    expect(() => unetPlan({ ...DEFAULT_UNET, groups: 3 }, MNIST)).toThrow(/U-Net: GroupNorm/);
    expect(unetProblem(DEFAULT_UNET, MNIST)).toBeNull();
  });
});

describe("the U-Net's initial parameters", () => {
  test("PyTorch's defaults, GroupNorm at identity, the output convolution zero; one seed, one set", () => {
    const plan = unetPlan(DEFAULT_UNET, MNIST);
    const p = unetInitialParameters(plan, 7);
    // 603,553 floats: compared as bytes (toEqual on them takes seconds).
    const same = (a: Float32Array, b: Float32Array): boolean =>
      Buffer.from(a.buffer).equals(Buffer.from(b.buffer));
    expect(same(unetInitialParameters(plan, 7), p)).toBe(true);
    expect(same(unetInitialParameters(plan, 8), p)).toBe(false);
    for (const t of plan.tensors) {
      const n = t.shape.reduce((a, d) => a * d, 1);
      const values = Array.from(p.subarray(t.offset, t.offset + n));
      if (/norm\d?\.weight$/.test(t.name)) expect(new Set(values), t.name).toEqual(new Set([1]));
      else if (/norm\d?\.bias$/.test(t.name) || t.name.startsWith('out.conv'))
        expect(new Set(values), t.name).toEqual(new Set([0]));
      else {
        // fan in: a linear weight's inputs, a convolution's 9 cin (from the weight's shape).
        const op = plan.tensors.find((w) => w.name === t.name.replace(/bias$/, 'weight'))!;
        const fanIn = op.shape.slice(1).reduce((a, d) => a * d, 1);
        const bound = 1 / Math.sqrt(fanIn);
        expect(Math.max(...values.map(Math.abs)), t.name).toBeLessThanOrEqual(bound);
        // Uniform in +-bound: the largest of n draws falls below bound (1 - c / n) with chance
        // (1 - c / n)^n < e^-c; c = 14 keeps that under 1e-4 over the ~80 tensors, for any seed.
        expect(Math.max(...values.map(Math.abs)), t.name).toBeGreaterThan(bound * (1 - 14 / n));
      }
    }
  });
});

describe("the U-Net's training settings", () => {
  const ok: UNetTrainSettings = {
    arch: DEFAULT_UNET,
    image: MNIST,
    batch: 64,
    lr: 1e-3,
    weightDecay: 0,
    emaDecay: 0.999,
    maxGradNorm: 1,
    weighting: 'none',
    seed: 1,
  };
  test('refused with the setting named and its range, each on its own', () => {
    expect(unetTrainProblem(ok)).toBeNull();
    expect(unetTrainProblem({ ...ok, batch: MAX_IMAGE_BATCH + 1 })).toBe(
      `batch must be 1 to ${MAX_IMAGE_BATCH}, not ${MAX_IMAGE_BATCH + 1}`,
    );
    expect(unetTrainProblem({ ...ok, batch: 2.5 })).toMatch(/^batch must be 1 to/);
    expect(unetTrainProblem({ ...ok, lr: NaN })).toBe('learning rate must be in (0, 1), not NaN');
    expect(unetTrainProblem({ ...ok, emaDecay: 1 })).toMatch(/^EMA decay must be in \[0, 1\)/);
    expect(unetTrainProblem({ ...ok, image: { channels: 1, height: 30, width: 30 } })).toMatch(
      /30 x 30 is not a multiple of 4/,
    );
    expect(unetTrainProblem({ ...ok, arch: { ...DEFAULT_UNET, groups: 7 } })).toMatch(/7 groups/);
  });
});
