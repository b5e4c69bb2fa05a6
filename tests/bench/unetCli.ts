/** The flags and the markdown report of `npm run bench:unet`, shared by its two drivers. */
import { DEFAULT_UNET } from '../../src/maths/learn/unet';
import {
  blockOptions,
  COMMON_USAGE,
  counts,
  cpuNote,
  lossChange,
  parseCommonFlags,
  reportHead,
  speedRatio,
  type BenchCli,
  type CommonFlags,
} from './benchCli';
import type { Timed } from './benchTypes';
import { formatRate, markdown } from './table';
import { perSecond } from './timeBlocks';
import {
  UNET_DATASETS,
  type UNetDataset,
  type UNetOptions,
  type UNetReport,
  type UNetSpec,
} from './unetTypes';

export const NAMED: Record<string, UNetSpec> = {
  default: { name: 'default', ...DEFAULT_UNET },
  tiny: { name: 'tiny', channels: 8, levels: 2, groups: 4, frequencies: 16 },
};

const CPU_BATCHES = [8, 16];
const GPU_BATCHES = [64, 256];

export const USAGE = `Usage: npm run bench:unet -- [options]   (or: node dist-bench/unet.mjs [options])
  --arch A,B        U-Nets: default (C ${DEFAULT_UNET.channels}, ${DEFAULT_UNET.levels} levels, ${DEFAULT_UNET.groups} groups, K ${DEFAULT_UNET.frequencies}),
                    tiny (8, 2, 4, 16) or CxLxGxK (e.g. 16x3x4x16); default: default on a GPU,
                    tiny on a CPU adapter
  --batch B,...     images per batch, training and forward (default ${GPU_BATCHES.join(',')} on a GPU,
                    ${CPU_BATCHES.join(',')} on a CPU)
  --dataset D       shapes (28x28x1, MNIST-like) or colour (32x32x3) (default shapes)
  --images M        stored images the batches are drawn from (default 1024)
${COMMON_USAGE}
  --out FILE        the markdown file (default tests/bench/results/unet-<adapter>.md)`;

export interface Flags extends CommonFlags {
  archs: UNetSpec[] | null;
  dataset: UNetDataset;
  images: number;
}

function parseArch(s: string): UNetSpec {
  const named = NAMED[s];
  if (named) return named;
  const m = /^(\d+)x(\d+)x(\d+)x(\d+)$/.exec(s);
  if (!m) throw new Error(`--arch: '${s}' is neither default, tiny nor CxLxGxK`);
  const [channels, levels, groups, frequencies] = m.slice(1).map(Number) as [
    number,
    number,
    number,
    number,
  ];
  return { name: s, channels, levels, groups, frequencies };
}

export function parseFlags(argv: readonly string[]): Flags | null {
  let archs: UNetSpec[] | null = null;
  let dataset: UNetDataset = 'shapes';
  let images = 1024;
  const common = parseCommonFlags(argv, USAGE, (flag, value) => {
    if (flag === '--arch') archs = (value() ?? '').split(',').map(parseArch);
    else if (flag === '--images') images = counts(flag, value())[0]!;
    else if (flag === '--dataset') {
      const d = value() ?? '';
      if (!(UNET_DATASETS as readonly string[]).includes(d))
        throw new Error(`--dataset: ${d} is not one of ${UNET_DATASETS.join(', ')}`);
      dataset = d as UNetDataset;
    } else return false;
    return true;
  });
  return common && { ...common, archs, dataset, images };
}

/** The options of a run: the flags, else defaults by adapter (tiny sizes on a CPU). */
export function options(flags: Flags, cpu: boolean): UNetOptions {
  return {
    archs: flags.archs ?? [cpu ? NAMED.tiny! : NAMED.default!],
    batches: flags.batches ?? (cpu ? CPU_BATCHES : GPU_BATCHES),
    dataset: flags.dataset,
    images: flags.images,
    ...blockOptions(flags, cpu),
    lr: 1e-3,
    seed: 1,
  };
}

function archLabel(r: UNetReport, name: string, o: UNetOptions): string {
  const a = o.archs.find((x) => x.name === name)!;
  const p = r.archs.find((x) => x.arch === name)?.parameters;
  return `${name} (C ${a.channels}, L ${a.levels}, G ${a.groups}, K ${a.frequencies}${p ? `; ${p.toLocaleString('en')} p` : ''})`;
}

const perImage = (t: Timed, batch: number): string => formatRate(perSecond(t) * batch);

export function report(r: UNetReport, o: UNetOptions, browser: string): string {
  const unit = cpuNote(r.adapter);
  const tfName = r.tf.backend ? `TF.js ${r.tf.backend}` : 'TF.js';
  const f = r.image;
  const target = DEFAULT_UNET.target;
  const lines = [
    ...reportHead('Image U-Net benchmark', r, o, browser),
    `- Network: the U-Net of README.md's "The image U-Net" (src/maths/learn/unet.ts) on ${o.dataset} images ${f.height}×${f.width}×${f.channels}, target ${target}. TF.js: the same PyTorch modules written again in tests/bench/unetTf.ts (NHWC), its weights loaded by PyTorch name and shape from our initial ones.${r.adapter.cpu && !o.archs.some((a) => a.name !== 'tiny') ? ` Tiny sizes (the defaults on a CPU adapter, so that a run takes a couple of minutes; on a GPU: default, batches ${GPU_BATCHES.join(' and ')}).` : ''}`,
    ...r.archs.map(
      (a) =>
        `- Parameters, ${a.arch}: ours ${a.parameters.toLocaleString('en')} (the plan), TF.js ${a.tfParameters?.toLocaleString('en') ?? '–'} (its variables); TF.js forward vs the float64 reference (src/maths/learn/unetPass.ts, 2 images, perturbed initial weights): relative error ${a.relError?.toExponential(1) ?? '–'}`,
    ),
    `- Training: images/s = optimiser steps/s × batch, batches drawn from ${o.images.toLocaleString('en')} ${o.dataset} images over 1000 cosine levels, the unweighted MSE of ${target} over every value. Ours (UNetTrainer): AdamW, clip at norm 1, EMA, up to ${o.stepsPerSubmit} steps per submission; TF.js: optimizer.minimize with tf.train.adam (no weight decay, clipping or EMA), the batch drawn with tf.randomUniform/randomNormal. The same initial weights; lr ${o.lr}.${r.adapter.cpu ? ' On a CPU adapter only a few steps are taken (steps timed, after two untimed ones): the losses show that both start from the same loss and train, not how far.' : ''}`,
    `- Sampling: the network's forward alone over a batch of fixed random images and levels (ours: createUNetPasses with no gradients, one compute pass per forward; TF.js: the same forward in tf.tidy). One NFE is one image through the network once: this times the forward, not a whole sampler step (no c_in or x0_hat conversion, no sampler update).`,
    '',
    '## Training',
    '',
    markdown(
      [
        'arch',
        'batch',
        `ours images/s${unit}`,
        `${tfName} images/s${unit}`,
        'ours / TF.js',
        'ours loss',
        'TF.js loss',
        'steps timed (ours, TF.js)',
      ],
      [false, true, true, true, true, false, false, true],
      r.train.map((t) => [
        archLabel(r, t.arch, o),
        String(t.batch),
        perImage(t.ours, t.batch),
        t.tf ? perImage(t.tf, t.batch) : '',
        t.tf ? speedRatio(t.ours, t.tf) : '',
        lossChange(t.ours.firstLoss, t.ours.lastLoss),
        t.tf ? lossChange(t.tf.firstLoss, t.tf.lastLoss) : '',
        `${t.ours.steps}, ${t.tf?.steps ?? '–'}`,
      ]),
    ),
    '',
    "## Sampling: the network's forward",
    '',
    markdown(
      [
        'arch',
        'batch',
        `ours NFE/s${unit}`,
        `${tfName} NFE/s${unit}`,
        'ours / TF.js',
        'forwards timed (ours, TF.js)',
      ],
      [false, true, true, true, true, true],
      r.forward.map((s) => [
        archLabel(r, s.arch, o),
        String(s.batch),
        perImage(s.ours, s.batch),
        s.tf ? perImage(s.tf, s.batch) : '',
        s.tf ? speedRatio(s.ours, s.tf) : '',
        `${s.ours.steps}, ${s.tf?.steps ?? '–'}`,
      ]),
    ),
    '',
  ];
  return lines.join('\n');
}

export const unetCli: BenchCli<Flags, UNetOptions, UNetReport> = {
  name: 'unet',
  usage: USAGE,
  parseFlags,
  options,
  report,
};
