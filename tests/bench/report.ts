/** Everything one benchmark run found: written as JSON (`--json`) and printed as markdown. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { BenchArgs } from './args';
import {
  cpuTable,
  formatCount,
  formatSeconds,
  gpuTable,
  sizeLabel,
  type CpuRow,
  type GpuRow,
  type SkippedRow,
} from './table';

export interface Report {
  date: string;
  adapter: {
    vendor: string;
    architecture: string;
    device: string;
    description: string;
    /** Whether it is a CPU implementation (SwiftShader and the like). */
    cpu: boolean;
  };
  timestamps: boolean;
  dawn: { from: string; notes: string[] };
  node: string;
  platform: string;
  /** os.loadavg()[0] and the CPU count when the GPU measurements began. */
  load: { average: number; cpus: number };
  args: BenchArgs;
  budgetSeconds: number;
  maxReps: number;
  maxStepsPerSubmit: number;
  /** Seconds from start to the end of the last measurement; null while running. */
  totalSeconds: number | null;
  gpu: GpuRow[];
  skipped: SkippedRow[];
  cpu: CpuRow[];
  errors: string[];
}

/** Written after each case too, so that a crash keeps what was measured. */
export function writeJson(path: string, report: Report): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, `${JSON.stringify(report, null, 2)}\n`);
}

export function markdownReport(r: Report): string {
  const out: string[] = [
    '# Diffusion sandbox benchmark',
    '',
    `- Adapter: ${r.adapter.description || '(no description)'}${r.adapter.cpu ? ' (a CPU implementation)' : ''}`,
    `- Dawn: ${r.dawn.from}${r.dawn.notes.length ? `; ${r.dawn.notes.join('; ')}` : ''}`,
    `- Node ${r.node} on ${r.platform}; load average ${r.load.average.toFixed(2)} on ${r.load.cpus} CPUs at the start`,
    `- Timing: ${
      r.timestamps
        ? 'GPU time/step from timestamp queries around the steps'
        : 'no timestamp-query, so no GPU time/step'
    }; wall/step from submit to onSubmittedWorkDone. Medians of up to ${r.maxReps} submits of up to ${r.maxStepsPerSubmit} steps, after warm-up. Throughputs use the GPU time where there is one.`,
    '- Single kernels repeat one step (cosine schedule, t = 0.5 to 0.49; forward_step the other way) over all N particles. `step` rows are whole reverse steps through Simulation.encodeSteps (cosine, eta 0, gaussians8): denoiser then sampler; Heun = 2 denoises + predict + correct.',
    '- pairs/s: particle-data pairs of the empirical denoiser (N M per denoise). vs CPU f64: particle-steps/s over those of the float64 reference (src/maths, one thread, table below) in this run.',
    '',
    '## GPU',
    '',
    gpuTable(r.gpu),
    '',
  ];
  if (r.skipped.length) {
    const cases = r.skipped.map((s) => {
      const size = sizeLabel(s);
      return `${s.case}${size ? ` ${size}` : ''} from N=${formatCount(s.n)} (predicted ${formatSeconds(s.predictedSeconds)}/step)`;
    });
    out.push(
      `Not run, over the time budget (${r.budgetSeconds} s; see --budget): ${cases.join('; ')}.`,
      '',
    );
  }
  out.push('## CPU float64 reference', '', cpuTable(r.cpu), '');
  if (r.totalSeconds !== null) out.push(`Total time: ${r.totalSeconds.toFixed(1)} s`);
  return out.join('\n');
}
