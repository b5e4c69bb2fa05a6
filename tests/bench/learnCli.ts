/** The flags and the markdown report of `npm run bench:learn`, shared by its two drivers. */
import { DEFAULT_ARCH } from '../../src/maths/learn/network';
import { formatCount, formatRate, markdown } from './table';
import {
  TF_BACKENDS,
  type ArchSpec,
  type LearnOptions,
  type LearnReport,
  type TfBackend,
  type Timed,
} from './learnTypes';

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
  --seconds S       length a timed block aims at (default 2 on a GPU, 1 on a CPU)
  --max-steps K     most steps in a timed block (default 4096)
  --per-submit K    steps per command buffer (default 64)
  --tf-backend B    TF.js backends to try in order (default webgpu,webgl,cpu)
  --out FILE        the markdown file (default tests/bench/results/learn-<adapter>.md)`;

export interface Flags {
  archs: ArchSpec[] | null;
  batches: number[];
  particles: number[] | null;
  seconds: number | null;
  maxSteps: number;
  stepsPerSubmit: number;
  tfBackends: TfBackend[];
  out: string | null;
}

function parseArch(s: string): ArchSpec {
  const named = NAMED[s];
  if (named) return named;
  const m = /^(\d+)x(\d+)x(\d+)$/.exec(s);
  if (!m) throw new Error(`--arch: '${s}' is neither default, small nor WxDxK`);
  return { name: s, width: Number(m[1]), depth: Number(m[2]), frequencies: Number(m[3]) };
}

function counts(flag: string, s: string | undefined): number[] {
  const list = (s ?? '').split(',').map(Number);
  if (!list.length || list.some((v) => !Number.isInteger(v) || v < 1))
    throw new Error(`${flag} needs positive integers, got ${s ?? 'nothing'}`);
  return list;
}

export function parseFlags(argv: readonly string[]): Flags | null {
  const f: Flags = {
    archs: null,
    batches: [256, 4096],
    particles: null,
    seconds: null,
    maxSteps: 4096,
    stepsPerSubmit: 64,
    tfBackends: [...TF_BACKENDS],
    out: null,
  };
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i]!.split(/=(.*)/s, 2) as [string, string | undefined];
    const value = (): string | undefined => inline ?? argv[++i];
    switch (flag) {
      case '--arch':
        f.archs = (value() ?? '').split(',').map(parseArch);
        break;
      case '--batch':
        f.batches = counts(flag, value());
        break;
      case '--n':
        f.particles = counts(flag, value());
        break;
      case '--seconds':
        f.seconds = Number(value());
        if (!(f.seconds > 0)) throw new Error('--seconds needs a positive number');
        break;
      case '--max-steps':
        f.maxSteps = counts(flag, value())[0]!;
        break;
      case '--per-submit':
        f.stepsPerSubmit = counts(flag, value())[0]!;
        break;
      case '--tf-backend': {
        const list = (value() ?? '').split(',');
        const bad = list.find((b) => !(TF_BACKENDS as readonly string[]).includes(b));
        if (bad !== undefined)
          throw new Error(`--tf-backend: ${bad} is not one of ${TF_BACKENDS.join(', ')}`);
        f.tfBackends = list as TfBackend[];
        break;
      }
      case '--out':
        f.out = value() ?? null;
        break;
      case '--help':
      case '-h':
        return null;
      default:
        throw new Error(`unknown option ${flag}\n${USAGE}`);
    }
  }
  return f;
}

const perSecond = (t: Timed): number => t.steps / t.seconds;
const loss = (a: number, b: number): string => `${a.toFixed(3)} → ${b.toFixed(3)}`;

function archLabel(r: LearnReport, name: string, o: LearnOptions): string {
  const a = o.archs.find((x) => x.name === name)!;
  const p = r.train.find((t) => t.arch === name)?.parameters;
  return `${name} (${a.width}×${a.depth}, K ${a.frequencies}${p ? `, ${p.toLocaleString('en')} p` : ''})`;
}

export function report(r: LearnReport, o: LearnOptions, browser: string): string {
  const cpu = r.adapter.cpu;
  const unit = cpu ? ' (SwiftShader: a CPU)' : '';
  const tfName = r.tf.backend ? `TF.js ${r.tf.backend}` : 'TF.js';
  const lines = [
    '# Learned denoiser benchmark',
    '',
    `- Adapter: ${r.adapter.description}${cpu ? ' — a CPU implementation of WebGPU: absolute numbers are a CPU’s; only the ratios, measured in this one run, carry over' : ''}`,
    `- Browser: ${browser}; TF.js ${r.tf.version}, backend ${r.tf.backend ?? 'none'}${r.tf.failures.length ? ` (${r.tf.failures.join('; ')})` : ''}`,
    `- Training: the same MLP (sin/cos embeddings of x, y, tau; GELU tanh; MSE on eps), the same initial weights, batches drawn from ${formatCount(2048)} gaussians8 points over 1000 cosine levels. Ours: AdamW, clip at norm 1, EMA, up to ${o.stepsPerSubmit} steps per submission; TF.js: optimizer.minimize with tf.train.adam (no weight decay, clipping or EMA), batch drawn with tf.randomUniform/randomNormal. No readback inside a timed block; lr ${o.lr}.`,
    `- Timing: after a warm-up step, blocks grow until one lasts ${o.seconds} s or holds ${o.maxSteps} steps; the last is reported (steps / wall time to onSubmittedWorkDone or TF.js's data()).`,
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
        t.tf ? `${(perSecond(t.ours) / perSecond(t.tf)).toPrecision(3)}×` : '',
        loss(t.ours.firstLoss, t.ours.lastLoss),
        t.tf ? loss(t.tf.firstLoss, t.tf.lastLoss) : '',
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

export const slug = (s: string): string =>
  s
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '')
    .slice(0, 40);

/** The options of a run: the flags, else defaults by adapter (fewer, smaller sizes on a CPU). */
export function options(flags: Flags, cpu: boolean): LearnOptions {
  return {
    archs: flags.archs ?? (cpu ? [NAMED.small!, NAMED.default!] : [NAMED.default!]),
    batches: flags.batches,
    particles: flags.particles ?? (cpu ? [1e3, 1e4] : [1e4, 1e5]),
    seconds: flags.seconds ?? (cpu ? 1 : 2),
    maxSteps: flags.maxSteps,
    stepsPerSubmit: flags.stepsPerSubmit,
    tfBackends: flags.tfBackends,
    lr: 1e-3,
    seed: 1,
  };
}
