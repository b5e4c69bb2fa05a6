/**
 * What the browser benchmarks' command lines share (bench:learn, bench:unet): the flags of the
 * timing and of TF.js, the report's opening lines, the results file's name, and the shape of a
 * benchmark as its two drivers (inChromium.ts, inDawn.ts) see it.
 */
import {
  TF_BACKENDS,
  type AdapterReport,
  type BlockOptions,
  type PageBenchName,
  type TfBackend,
  type TfReport,
  type Timed,
} from './benchTypes';
import { perSecond } from './timeBlocks';

/** A benchmark as its drivers run it: flags in, options by adapter, a page run, markdown out. */
export interface BenchCli<F extends CommonFlags, O, R> {
  /** Its page's `?run=` and the results file's prefix (tests/bench/results/<name>-<adapter>.md). */
  name: PageBenchName;
  usage: string;
  parseFlags(argv: readonly string[]): F | null;
  options(flags: F, cpu: boolean): O;
  report(r: R, o: O, host: string): string;
}

export const COMMON_USAGE = `  --seconds S       length a timed block aims at (default 2 on a GPU, 1 on a CPU)
  --max-steps K     most steps in a timed block (default 4096)
  --per-submit K    steps per command buffer (default 64)
  --tf-backend B    TF.js backends to try in order (default webgpu,webgl,cpu)`;

export interface CommonFlags {
  batches: number[] | null;
  seconds: number | null;
  maxSteps: number;
  stepsPerSubmit: number;
  tfBackends: TfBackend[];
  out: string | null;
}

export function counts(flag: string, s: string | undefined): number[] {
  const list = (s ?? '').split(',').map(Number);
  if (!list.length || list.some((v) => !Number.isInteger(v) || v < 1))
    throw new Error(`${flag} needs positive integers, got ${s ?? 'nothing'}`);
  return list;
}

/**
 * The common flags of `argv` (--batch, --seconds, --max-steps, --per-submit, --tf-backend,
 * --out), handing every other flag to `own` (true: taken); null for --help.
 */
export function parseCommonFlags(
  argv: readonly string[],
  usage: string,
  own: (flag: string, value: () => string | undefined) => boolean,
): CommonFlags | null {
  const f: CommonFlags = {
    batches: null,
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
      case '--batch':
        f.batches = counts(flag, value());
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
        if (!own(flag, value)) throw new Error(`unknown option ${flag}\n${usage}`);
    }
  }
  return f;
}

/** The options every benchmark takes from the common flags, with its defaults by adapter. */
export function blockOptions(flags: CommonFlags, cpu: boolean): BlockOptions {
  return {
    seconds: flags.seconds ?? (cpu ? 1 : 2),
    maxSteps: flags.maxSteps,
    stepsPerSubmit: flags.stepsPerSubmit,
    tfBackends: flags.tfBackends,
  };
}

/** ' (SwiftShader: a CPU)' after a speed's column name on a CPU adapter, else nothing. */
export const cpuNote = (a: AdapterReport): string => (a.cpu ? ' (SwiftShader: a CPU)' : '');

/** The report's title and its lines on the adapter, the host, TF.js and the timing. */
export function reportHead(
  title: string,
  r: { adapter: AdapterReport; tf: TfReport },
  o: BlockOptions,
  host: string,
): string[] {
  const tf = r.tf;
  return [
    `# ${title}`,
    '',
    `- Adapter: ${r.adapter.description}${r.adapter.cpu ? ' — a CPU implementation of WebGPU: absolute numbers are a CPU’s; only the ratios, measured in this one run, carry over' : ''}`,
    `- Browser: ${host}; TF.js ${tf.version}, backend ${tf.backend ?? 'none'}${tf.failures.length ? ` (${tf.failures.join('; ')})` : ''}`,
    `- Timing: after a warm-up step, blocks grow until one lasts ${o.seconds} s or holds ${o.maxSteps} steps; the last is reported (steps / wall time to onSubmittedWorkDone or TF.js's data()).`,
  ];
}

/** Ours over TF.js's speed, as a table cell. */
export const speedRatio = (ours: Timed, tf: Timed): string =>
  `${(perSecond(ours) / perSecond(tf)).toPrecision(3)}×`;

/** 'first → last' of a training run's losses. */
export const lossChange = (a: number, b: number): string => `${a.toFixed(3)} → ${b.toFixed(3)}`;

export const slug = (s: string): string =>
  s
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '')
    .slice(0, 40);

/** Progress lines on stderr, stamped with the seconds since the start. */
export function progressLog(): (message: string) => void {
  const started = performance.now();
  return (m) => {
    process.stderr.write(
      `[${((performance.now() - started) / 1000).toFixed(1).padStart(6)} s] ${m}\n`,
    );
  };
}
