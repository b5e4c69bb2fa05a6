/**
 * A lane: one run on the GPU and the view that draws it. The sandbox has one, or two side by
 * side in compare mode (the same data and initial noise, different samplers or schedules).
 */
import type { ShaderSources } from './gpu/kernel';
import type { Dataset } from './maths/datasets';
import { forwardLevels, levelAt, reverseLevels, type Level } from './maths/schedules';
import { ParticleView, type ViewStyle } from './render/particleView';
import type { Settings } from './settings';
import { Simulation, type RunSpec, type RunStatus } from './sim/simulation';

/**
 * The levels a run over these settings visits. Langevin: annealed and pc walk the reverse run's
 * levels; ula, mala and underdamped sample the one energy at noiseLevel, repeated once per step.
 */
export function runLevels(s: Readonly<Settings>): Level[] {
  if (s.mode === 'langevin') {
    if (s.langevin === 'annealed' || s.langevin === 'pc')
      return reverseLevels(s.schedule, s, s.steps);
    const level = levelAt(s.schedule, s, s.noiseLevel);
    return Array.from({ length: s.steps + 1 }, () => ({ ...level }));
  }
  return s.mode === 'reverse'
    ? reverseLevels(s.schedule, s, s.steps)
    : forwardLevels(s.schedule, s, s.steps);
}

/** "ddim η 0 · cosine · 100 steps": the run a view shows, for labels and captions. */
export function describeRun(s: Readonly<Settings>): string {
  if (s.mode === 'langevin')
    return `langevin ${s.langevin} · T ${s.temperature} · h ${s.stepSize} · t ${s.noiseLevel}`;
  const sampler =
    s.mode === 'forward' ? 'forward' : `${s.sampler}${s.sampler === 'ddim' ? ` η ${s.eta}` : ''}`;
  return `${sampler} · ${s.schedule} · ${s.steps} steps`;
}

/** What the simulation needs of the settings for one run. */
export function runSpec(s: Readonly<Settings>): RunSpec {
  const error =
    s.errorScale !== 0 || s.errorBias !== 0 || s.errorNoise !== 0
      ? { scale: s.errorScale, bias: s.errorBias, noise: s.errorNoise }
      : undefined;
  return {
    mode: s.mode,
    sampler: s.sampler,
    denoiser: s.denoiser,
    levels: runLevels(s),
    eta: s.eta,
    seed: s.seed,
    ...(error ? { error } : {}),
    ...(s.mode === 'langevin'
      ? {
          langevin: {
            kind: s.langevin,
            temperature: s.temperature,
            stepSize: s.stepSize,
            gamma: s.gamma,
            snr: s.snr,
            correctorSteps: s.correctorSteps,
          },
        }
      : {}),
  };
}

export class Lane {
  private constructor(
    readonly sim: Simulation,
    readonly view: ParticleView,
  ) {}

  static async create(
    device: GPUDevice,
    sources: ShaderSources,
    canvas: HTMLCanvasElement,
  ): Promise<Lane> {
    const sim = await Simulation.create(device, sources);
    try {
      return new Lane(sim, await ParticleView.create(canvas, device));
    } catch (e) {
      sim.destroy();
      throw e;
    }
  }

  setData(dataset: Dataset): void {
    this.sim.setData(dataset);
    this.view.setData(this.sim.data, dataset.points.length / 2);
  }

  setParticles(n: number): void {
    this.sim.setParticles(n);
    this.view.setParticles(this.sim.x, n);
  }

  setStyle(style: ViewStyle): void {
    this.view.setStyle(style);
  }

  /** Sets the run and records its reset into `encoder`. */
  start(settings: Readonly<Settings>, encoder: GPUCommandEncoder): void {
    this.sim.setRun(runSpec(settings));
    this.sim.reset(encoder);
  }

  get done(): boolean {
    return this.sim.done;
  }

  status(): RunStatus {
    return this.sim.status();
  }

  destroy(): void {
    this.sim.destroy();
    this.view.dispose();
  }
}
