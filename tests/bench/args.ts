/** Command-line flags of `npm run bench`. */

export interface BenchArgs {
  /** Tiny sizes and few repetitions: a smoke check. */
  quick: boolean;
  /** Largest particle count to try. */
  maxN: number;
  /** Also write the results as JSON here. */
  json: string | null;
  /** Seconds for the GPU measurements (default: by adapter, smaller on a CPU adapter). */
  budget: number | null;
  /** Only cases whose name contains one of these. */
  only: string[];
  help: boolean;
}

export const USAGE = `Usage: npm run bench -- [options]
  --quick          tiny sizes, few repetitions (a smoke check)
  --max-n N        largest particle count (default 4e6; sizes past the time budget are skipped)
  --json FILE      also write the results as JSON
  --budget S       seconds for the GPU measurements (default 140 on a CPU adapter, 600 on a GPU, 60 with --quick)
  --only A,B       only cases whose name contains A or B (e.g. denoise_empirical,heun)
Environment: DAWN_WEBGPU_DIR  folder of the webgpu package (or of dawn.node) to load`;

function count(flag: string, value: string | undefined): number {
  const v = Number(value);
  if (value === undefined || !Number.isFinite(v) || v <= 0) {
    throw new Error(`${flag} needs a positive number, got ${value ?? 'nothing'}`);
  }
  return v;
}

export function parseArgs(argv: readonly string[]): BenchArgs {
  const args: BenchArgs = {
    quick: false,
    maxN: Infinity,
    json: null,
    budget: null,
    only: [],
    help: false,
  };
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i]!.split(/=(.*)/s, 2) as [string, string | undefined];
    const value = (): string | undefined => inline ?? argv[++i];
    switch (flag) {
      case '--quick':
        args.quick = true;
        break;
      case '--max-n':
        args.maxN = Math.floor(count(flag, value()));
        break;
      case '--json': {
        const v = value();
        if (!v) throw new Error('--json needs a file name');
        args.json = v;
        break;
      }
      case '--budget':
        args.budget = count(flag, value());
        break;
      case '--only':
        args.only = (value() ?? '').split(',').filter(Boolean);
        break;
      case '--help':
      case '-h':
        args.help = true;
        break;
      default:
        throw new Error(`unknown option ${flag}\n${USAGE}`);
    }
  }
  return args;
}
