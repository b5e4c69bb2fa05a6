/**
 * A lane: one run on the GPU and the view that draws it. The sandbox has one, or two side by
 * side in compare mode (the same data and initial noise, different samplers or schedules).
 */
import type { ShaderSources } from './gpu/kernel';
import type { Dataset } from './maths/datasets';
import { forwardLevels, levelAt, reverseLevels, type Level } from './maths/schedules';
import { ParticleView } from './render/particleView';
import type { Settings } from './settings';
import { EnergyGrid, Trails, type FieldParams } from './sim/energyGrid';
import { Metrics } from './sim/metrics';
import { Simulation, type RunSpec, type RunStatus } from './sim/simulation';

/** Particles of the entropy's k-NN subsample: O(P^2) work, so measured every few reads. */
const ENTROPY_POINTS = 1024;

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

/**
 * What to tell the user when `bad` particles of a run went non-finite or escaped by `step`: what
 * diverged and which setting to lower.
 */
export function divergenceAdvice(s: Readonly<Settings>, bad: number, step: number): string {
  const what = `${bad} of ${s.n} particles diverged (NaN, or escaped beyond |x| = 1000) by step ${step}`;
  if (s.mode === 'langevin') {
    const h = s.stepSize;
    const hint = s.langevin === 'underdamped' ? ', or raise the friction γ' : '';
    return `${what}: the step size h = ${h} is too large for this energy. Lower stepSize (try ${Number((h / 10).toPrecision(2))})${hint}. Paused.`;
  }
  if (s.errorScale !== 0 || s.errorBias !== 0 || s.errorNoise !== 0)
    return `${what}: the deliberate model error is too large. Lower errorScale, errorBias or errorNoise. Paused.`;
  return `${what}. Try more steps or another sampler. Paused.`;
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

function destroyPart(part: { destroy?: () => void; dispose?: () => void }): void {
  if (part.destroy) part.destroy();
  else part.dispose?.();
}

export class Lane {
  private constructor(
    readonly sim: Simulation,
    readonly view: ParticleView,
    readonly metrics: Metrics,
    readonly grid: EnergyGrid,
    readonly trails: Trails,
  ) {
    view.setGrid(grid);
  }

  /** What the grid was last asked for: reused, so a frame allocates nothing. */
  private field: FieldParams | null = null;
  private settings: Readonly<Settings> | null = null;
  private trailShape = '';

  static async create(
    device: GPUDevice,
    sources: ShaderSources,
    canvas: HTMLCanvasElement,
  ): Promise<Lane> {
    // Every pipeline compiles at once: startup waits for the slowest, not for their sum.
    const parts = await Promise.allSettled([
      Simulation.create(device, sources),
      Metrics.create(device, sources, { entropy: { points: ENTROPY_POINTS }, marginals: {} }),
      EnergyGrid.create(device, sources),
      Trails.create(device, sources),
      ParticleView.create(canvas, device),
    ] as const);
    const [sim, metrics, grid, trails, view] = parts;
    if (
      sim.status === 'fulfilled' &&
      metrics.status === 'fulfilled' &&
      grid.status === 'fulfilled' &&
      trails.status === 'fulfilled' &&
      view.status === 'fulfilled'
    )
      return new Lane(sim.value, view.value, metrics.value, grid.value, trails.value);
    for (const part of parts) if (part.status === 'fulfilled') destroyPart(part.value);
    throw parts.find((p): p is PromiseRejectedResult => p.status === 'rejected')!.reason;
  }

  setData(dataset: Dataset): void {
    this.sim.setData(dataset);
    this.view.setData(this.sim.data, dataset.points.length / 2);
    this.field = null;
  }

  setParticles(n: number): void {
    this.sim.setParticles(n);
    this.view.setParticles(this.sim.x, n);
    this.trailShape = '';
    if (this.settings) this.setStyle(this.settings);
  }

  /** How the run is drawn: sprites, the view (2D or 3D), landscape, arrows and trails. */
  setStyle(s: Readonly<Settings>): void {
    this.settings = s;
    this.view.setStyle(s);
    this.view.setPhysics(s);
    // Forward kernels evaluate no denoiser: particles then sit on the surface, not on their U.
    this.view.setEnergy(s.mode === 'forward' ? null : this.sim.energy);
    const shape = `${this.sim.n}:${s.trails}:${s.trailParticles}`;
    if (shape !== this.trailShape) {
      this.trailShape = shape;
      this.trails.setup(this.sim.x, this.sim.n, s.trailParticles, s.trails);
      this.view.setTrails(s.trails > 0 ? this.trails : null);
    }
  }

  /** Sets the run and records its reset into `encoder`. */
  start(settings: Readonly<Settings>, encoder: GPUCommandEncoder): void {
    this.sim.setRun(runSpec(settings));
    this.sim.reset(encoder);
    this.trails.reset();
    this.setStyle(settings);
    this.afterSteps(encoder);
  }

  /**
   * After a frame's steps: the trails take the new positions, and the landscape follows the
   * level and temperature when it is shown (recomputed only when they changed). No allocation.
   */
  afterSteps(encoder: GPUCommandEncoder): void {
    if (this.settings && this.settings.trails > 0) this.trails.record(encoder);
    this.refreshField(encoder);
  }

  /** Recomputes the landscape's grid if it is shown and its level or temperature changed. */
  refreshField(encoder: GPUCommandEncoder): void {
    const s = this.settings;
    if (!s) return;
    if (s.landscape === 'off' && !s.arrows && s.view === '2d') return;
    const level = this.sim.level();
    if (!level) return;
    const f = (this.field ??= {
      denoiser: s.denoiser,
      alpha: 1,
      sigma: 1,
      temperature: 1,
      m: 0,
      k: 0,
      data: this.sim.data,
      mixture: this.sim.mixture,
    });
    f.denoiser = s.denoiser;
    f.alpha = level.alpha;
    f.sigma = level.sigma;
    f.temperature = s.mode === 'langevin' ? s.temperature : 1;
    f.m = this.sim.dataPoints;
    f.k = this.sim.components;
    f.data = this.sim.data;
    f.mixture = this.sim.mixture;
    this.grid.update(encoder, f);
  }

  get done(): boolean {
    return this.sim.done;
  }

  status(): RunStatus {
    return this.sim.status();
  }

  /**
   * Records the measurement of the run's observables (k_B = 1; T = 1 for diffusion, whose
   * temperature is in U_t itself): the Langevin samplers' velocities, accept flags and heat where
   * they have them. Read the result with `metrics.read()` after the submit.
   */
  measure(
    encoder: GPUCommandEncoder,
    s: Readonly<Settings>,
    what: { entropy: boolean; marginals: boolean },
  ): void {
    const sim = this.sim;
    const langevin = s.mode === 'langevin';
    this.metrics.encode(encoder, {
      x: sim.x,
      energy: sim.energy,
      n: sim.n,
      v: langevin && s.langevin === 'underdamped' ? sim.v : undefined,
      accept: langevin && s.langevin === 'mala' ? sim.accept : undefined,
      heat: langevin ? sim.heat : undefined,
      temperature: langevin ? s.temperature : 1,
      entropy: what.entropy,
      marginals: what.marginals,
    });
  }

  destroy(): void {
    this.metrics.destroy();
    this.grid.destroy();
    this.trails.destroy();
    this.sim.destroy();
    this.view.dispose();
  }
}
