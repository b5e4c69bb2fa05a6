/**
 * `npm run bench`: every kernel, and whole reverse steps, on whatever WebGPU adapter Dawn finds
 * (SwiftShader on a machine with no GPU), against the float64 CPU references. Prints markdown
 * to stdout, progress to stderr. Flags: see args.ts (`--help`).
 */
import { cpus, loadavg } from 'node:os';
import { acquireGpu, maxParticles, WebGpuUnavailableError } from '../../src/gpu/device';
import { DEFAULTS } from '../../src/settings/settings';
import { parseArgs, USAGE, type BenchArgs } from './args';
import { benchCases, GpuContext, type BenchCase } from './cases';
import { timeCpu } from './cpu';
import { loadDawn, reexecForVulkan } from './dawn';
import { markdownReport, writeJson, type Report } from './report';
import { readShaderSources } from './shaders';
import { formatCount, formatSeconds, sizeLabel, type CpuRow } from './table';
import { StepTimer } from './timer';

const SIZES = [1e3, 1e4, 1e5, 1e6, 4e6];
const DATA_SIZES = [1e3, 1e4, 1e5];
const MAX_STEPS_PER_SUBMIT = 2048;
/** Seconds for the GPU measurements unless --budget says otherwise. */
const BUDGET = { quick: 60, cpuAdapter: 140, gpu: 600 };

const started = performance.now();
const elapsed = (): number => (performance.now() - started) / 1000;
const log = (message: string): void => {
  process.stderr.write(`[${elapsed().toFixed(1).padStart(6)} s] ${message}\n`);
};

/** SIZES up to --max-n and the device's limit, plus --max-n itself when given. */
function particleSizes(args: BenchArgs, limit: number): number[] {
  const max = Math.min(args.maxN, limit);
  const sizes = (args.quick ? [1e3] : SIZES).filter((n) => n <= max);
  if (Number.isFinite(args.maxN) && max > (sizes[sizes.length - 1] ?? 0)) sizes.push(max);
  return sizes;
}

function isCpuAdapter(info: GPUAdapterInfo, description: string): boolean {
  return /swiftshader|llvmpipe|lavapipe|software/i.test(description) || info.isFallbackAdapter;
}

function label(c: BenchCase): string {
  const size = sizeLabel(c);
  return size ? `${c.name} ${size}` : c.name;
}

const NO_ADAPTER_HINT =
  'Dawn found no Vulkan adapter. It needs the Vulkan loader (Debian: libvulkan1) and a driver ' +
  'ICD: NVIDIA installs /usr/share/vulkan/icd.d/nvidia_icd.json (in a container, give it the ' +
  'graphics driver capability, e.g. NVIDIA_DRIVER_CAPABILITIES=all); with no GPU, Debian ' +
  "Chromium's SwiftShader is used when installed (apt-get install chromium).";

async function main(): Promise<number> {
  const args = parseArgs(process.argv.slice(2));
  if (args.help) {
    console.log(USAGE);
    return 0;
  }
  const child = await reexecForVulkan();
  if (child !== null) return child;

  const cases = benchCases(
    args.quick ? [1e3] : DATA_SIZES,
    args.quick ? 1e3 : DEFAULTS.m,
    args.quick ? 1e3 : 1e4,
    args.quick ? [64] : undefined,
  ).filter((c) => !args.only.length || args.only.some((o) => c.name.includes(o)));
  if (!cases.length) throw new Error(`no case matches --only ${args.only.join(',')}`);

  // The CPU references first, before Dawn is loaded: pure JavaScript, one thread.
  const cpuRows: CpuRow[] = [];
  for (const c of cases) {
    const r = await timeCpu(c, {
      work: (args.quick ? 2e5 : 2e6) / (c.pairCost ?? 1),
      reps: args.quick ? 1 : 3,
      minSeconds: args.quick ? 0.01 : 0.1,
    });
    cpuRows.push({ case: c.name, m: c.m, k: c.k, ...r });
    log(`CPU f64 ${label(c)} N=${formatCount(r.n)}: ${formatSeconds(r.seconds)}/step`);
  }

  const shaders = readShaderSources();
  const dawn = await loadDawn();
  const gpu = await acquireGpu({
    gpu: dawn.gpu,
    onLost: (info) => log(`device lost: ${info.reason} ${info.message}`),
  }).catch((e: unknown) => {
    if (e instanceof WebGpuUnavailableError && e.reason === 'no-adapter') {
      throw new Error(`${e.message}\n${NO_ADAPTER_HINT}`);
    }
    throw e;
  });
  const { device } = gpu;
  const info = gpu.adapter.info;
  const cpuAdapter = isCpuAdapter(info, gpu.description);
  const report: Report = {
    date: new Date().toISOString(),
    adapter: {
      vendor: info.vendor,
      architecture: info.architecture,
      device: info.device,
      description: gpu.description,
      cpu: cpuAdapter,
    },
    timestamps: gpu.timestamps,
    dawn: { from: dawn.from, notes: dawn.notes },
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
    load: { average: loadavg()[0] ?? 0, cpus: cpus().length },
    args,
    budgetSeconds:
      args.budget ?? (args.quick ? BUDGET.quick : cpuAdapter ? BUDGET.cpuAdapter : BUDGET.gpu),
    maxReps: args.quick ? 3 : 5,
    maxStepsPerSubmit: MAX_STEPS_PER_SUBMIT,
    totalSeconds: null,
    gpu: [],
    skipped: [],
    cpu: cpuRows,
    errors: [],
  };
  device.addEventListener('uncapturederror', (e) => {
    report.errors.push(e.error.message);
    log(`GPU error: ${e.error.message}`);
  });
  const target = args.quick ? 0.02 : cpuAdapter ? 0.15 : 0.05;
  const sizes = particleSizes(args, maxParticles(device));
  log(`adapter: ${gpu.description}; sizes N = ${sizes.map(formatCount).join(', ')}`);

  const timer = new StepTimer(device, gpu.timestamps);
  const ctx = new GpuContext(device, shaders.sources);
  const deadline = performance.now() + report.budgetSeconds * 1000;
  for (const [ci, c] of cases.entries()) {
    // Each case may spend its share of what is left of the budget.
    const caseDeadline = performance.now() + (deadline - performance.now()) / (cases.length - ci);
    let previous: { n: number; seconds: number } | null = null;
    for (const n of c.sizes ?? sizes) {
      if (previous) {
        // Linear in N: an overestimate where fixed costs dominate, so never too optimistic.
        const predicted = (previous.seconds * n) / previous.n;
        const cost = 2 * predicted + 2 * Math.max(target, predicted);
        if (performance.now() + cost * 1000 > caseDeadline) {
          report.skipped.push({ case: c.name, m: c.m, k: c.k, n, predictedSeconds: predicted });
          log(
            `${label(c)} N=${formatCount(n)}: skipped (predicted ${formatSeconds(predicted)}/step)`,
          );
          break;
        }
      }
      const work = await c.gpu(ctx, n);
      const timing = await timer
        .time(work, {
          target,
          maxSteps: MAX_STEPS_PER_SUBMIT,
          maxReps: report.maxReps,
          deadline: caseDeadline,
        })
        .finally(() => work.destroy());
      await device.queue.onSubmittedWorkDone();
      const seconds = timing.gpu ?? timing.wall;
      const particleSteps = n / seconds;
      report.gpu.push({
        case: c.name,
        n,
        m: c.m,
        k: c.k,
        stepsPerSubmit: timing.stepsPerSubmit,
        reps: timing.reps,
        gpuSeconds: timing.gpu,
        wallSeconds: timing.wall,
        particleSteps,
        pairs: c.m === null ? null : (n * c.m * c.denoises) / seconds,
        overCpu: particleSteps / cpuRows[ci]!.particleSteps,
      });
      log(
        `${label(c)} N=${formatCount(n)}: ${formatSeconds(seconds)}/step ` +
          `(${timing.stepsPerSubmit} steps/submit x ${timing.reps})`,
      );
      previous = { n, seconds: timing.wall };
    }
    if (args.json) writeJson(args.json, report);
  }
  timer.destroy();
  await device.queue.onSubmittedWorkDone();
  report.totalSeconds = elapsed();
  console.log(markdownReport(report));
  if (args.json) {
    writeJson(args.json, report);
    log(`wrote ${args.json}`);
  }
  gpu.release();
  if (report.errors.length) {
    console.error(`${report.errors.length} GPU error(s):\n${report.errors.join('\n')}`);
    return 1;
  }
  return 0;
}

// dawn.node keeps the process alive: exit explicitly, with main's status.
main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    console.error(e instanceof Error ? (e.stack ?? e.message) : String(e));
    process.exit(1);
  },
);
