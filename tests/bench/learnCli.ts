/** The flags and the markdown report of `npm run bench:learn`, shared by its two drivers. */
import { DEFAULT_ARCH } from '../../src/maths/learn/network';
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
import { formatCount, formatRate, markdown } from './table';
import { perSecond } from './timeBlocks';
import type { ArchSpec, LearnOptions, LearnReport } from './learnTypes';

export const NAMED: Record<string, ArchSpec> = {
  default: { name: 'default', ...DEFAULT_ARCH },
  small: { name: 'small', width: 32, depth: 2, frequencies: 8 },
};

export const USAGE = `Usage: npm run bench:learn -- [options]   (or: node dist-bench/learn.mjs [options])
  --arch A,B        architectures: default (${DEFAULT_ARCH.width} wide, depth ${DEFAULT_ARCH.depth}, ${DEFAULT_ARCH.frequencies} frequencies),
                    small (32, 2, 8) or WxDxK (e.g. 64x2x16); default: default on a GPU,
                    small,default on a CPU adapter
  --batch B,...     training batch sizes (default 256,4096)
  --n N,...         particles of the sampling measurement (default 1e4,1e5 on a GPU, 1e3,1e4 on a CPU)
${COMMON_USAGE}
  --out FILE        the markdown file (default tests/bench/results/learn-<adapter>.md)`;

export interface Flags extends CommonFlags {
  archs: ArchSpec[] | null;
  particles: number[] | null;
}

function parseArch(s: string): ArchSpec {
  const named = NAMED[s];
  if (named) return named;
  const m = /^(\d+)x(\d+)x(\d+)$/.exec(s);
  if (!m) throw new Error(`--arch: '${s}' is neither default, small nor WxDxK`);
  return { name: s, width: Number(m[1]), depth: Number(m[2]), frequencies: Number(m[3]) };
}

export function parseFlags(argv: readonly string[]): Flags | null {
  let archs: ArchSpec[] | null = null;
  let particles: number[] | null = null;
  const common = parseCommonFlags(argv, USAGE, (flag, value) => {
    if (flag === '--arch') archs = (value() ?? '').split(',').map(parseArch);
    else if (flag === '--n') particles = counts(flag, value());
    else return false;
    return true;
  });
  return common && { ...common, archs, particles };
}

function archLabel(r: LearnReport, name: string, o: LearnOptions): string {
  const a = o.archs.find((x) => x.name === name)!;
  const p = r.train.find((t) => t.arch === name)?.parameters;
  return `${name} (${a.width}×${a.depth}, K ${a.frequencies}${p ? `, ${p.toLocaleString('en')} p` : ''})`;
}

export function report(r: LearnReport, o: LearnOptions, browser: string): string {
  const unit = cpuNote(r.adapter);
  const tfName = r.tf.backend ? `TF.js ${r.tf.backend}` : 'TF.js';
  const lines = [
    ...reportHead('Learned denoiser benchmark', r, o, browser),
    `- Training: the same MLP (sin/cos embeddings of x, y, tau; GELU tanh; MSE on eps), the same initial weights, batches drawn from ${formatCount(2048)} gaussians8 points over 1000 cosine levels. Ours: AdamW, clip at norm 1, EMA, up to ${o.stepsPerSubmit} steps per submission; TF.js: optimizer.minimize with tf.train.adam (no weight decay, clipping or EMA), batch drawn with tf.randomUniform/randomNormal. No readback inside a timed block; lr ${o.lr}.`,
    ...r.tf.check.map(
      (c) =>
        `- Check: TF.js forward vs the float64 reference (src/maths/learn/network.ts), ${c.arch}: relative error ${c.relError.toExponential(1)}`,
    ),
    '',
    '## Training',
    '',
    markdown(
      [
        'arch',
        'batch',
        `ours steps/s${unit}`,
        `${tfName} steps/s${unit}`,
        'ours / TF.js',
        'ours loss',
        'TF.js loss',
      ],
      [false, true, true, true, true, false, false],
      r.train.map((t) => [
        archLabel(r, t.arch, o),
        String(t.batch),
        formatRate(perSecond(t.ours)),
        t.tf ? formatRate(perSecond(t.tf)) : '',
        t.tf ? speedRatio(t.ours, t.tf) : '',
        lossChange(t.ours.firstLoss, t.ours.lastLoss),
        t.tf ? lossChange(t.tf.firstLoss, t.tf.lastLoss) : '',
      ]),
    ),
    '',
    '## Sampling (run/denoise_learned + DDIM, eta 0)',
    '',
    markdown(
      ['arch', 'N', `steps/s = NFE/s${unit}`, `particle-NFE/s${unit}`, 'steps timed'],
      [false, true, true, true, true],
      r.sample.map((s) => [
        archLabel(r, s.arch, o),
        formatCount(s.n),
        formatRate(perSecond(s.timed)),
        formatRate(s.n * perSecond(s.timed)),
        String(s.timed.steps),
      ]),
    ),
    '',
  ];
  return lines.join('\n');
}

/** The options of a run: the flags, else defaults by adapter (fewer, smaller sizes on a CPU). */
export function options(flags: Flags, cpu: boolean): LearnOptions {
  return {
    archs: flags.archs ?? (cpu ? [NAMED.small!, NAMED.default!] : [NAMED.default!]),
    batches: flags.batches ?? [256, 4096],
    particles: flags.particles ?? (cpu ? [1e3, 1e4] : [1e4, 1e5]),
    ...blockOptions(flags, cpu),
    lr: 1e-3,
    seed: 1,
  };
}

export const learnCli: BenchCli<Flags, LearnOptions, LearnReport> = {
  name: 'learn',
  usage: USAGE,
  parseFlags,
  options,
  report,
};
