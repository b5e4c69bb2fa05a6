/**
 * A lane: one run on the GPU and the view that draws it. The sandbox has one, or two side by
 * side in compare mode (the same data and initial noise, different samplers or schedules).
 */
import type { ShaderSources } from '../gpu/kernel';
import { StagingPool } from '../gpu/readback';
import { isImageData } from '../io/imageData';
import type { Dataset } from '../maths/datasets';
import { memorisationOf, NEAREST_RECORD_BYTES, type Memorisation } from '../maths/memorisation';
import { ImageGrid } from '../render/imageGrid';
import { ParticleView } from '../render/particleView';
import type { Settings } from '../settings/settings';
import { EnergyGrid } from '../sim/field/energyGrid';
import { Trails } from '../sim/field/trails';
import { FieldSource } from './fieldSource';
import { Filmstrip } from '../sim/run/filmstrip';
import { Metrics } from '../sim/observe/metrics';
import { runSpec } from '../settings/runSpec';
import { Simulation, type RunStatus } from '../sim/run/simulation';

/** Particles of the entropy's k-NN subsample: O(P^2) work, so measured every few reads. */
const ENTROPY_POINTS = 1024;
/** Where an image panel lies on the canvas (CSS pixels) and its cells. */
export interface ImagePanelRect {
  kind: string;
  left: number;
  top: number;
  cols: number;
  cellWidth: number;
  cellHeight: number;
}

/** Frames of a followed image's filmstrip, spread over the run. */
const FILMSTRIP_FRAMES = 12;
/** The filmstrip records every this many steps of a run of `steps` (and its last). */
const filmstripStride = (steps: number): number =>
  Math.max(1, Math.floor(steps / (FILMSTRIP_FRAMES - 1)));

function destroyPart(part: { destroy?: () => void; dispose?: () => void }): void {
  if (part.destroy) part.destroy();
  else part.dispose?.();
}

export class Lane {
  /** The landscape's grid and the trails: made (their kernels compiled) when first shown. */
  private grid: EnergyGrid | null = null;
  private trails: Trails | null = null;
  private making: { grid?: Promise<EnergyGrid>; trails?: Promise<Trails> } = {};

  private constructor(
    readonly sim: Simulation,
    readonly view: ParticleView,
    readonly metrics: Metrics,
    private readonly sources: ShaderSources,
  ) {}

  /** What the grid was last asked for: reused, so a frame allocates nothing. */
  private readonly fieldSource = new FieldSource();
  private settings: Readonly<Settings> | null = null;
  private trailShape = '';
  /**
   * Image datasets: the grid drawn instead of the particles, the followed image's filmstrip, and
   * the readback of the nearest training images (memorisation), made on the first image dataset.
   */
  private images: {
    grid: ImageGrid;
    filmstrip: Filmstrip;
    staging: StagingPool | null;
    dataset: Dataset & { image: { width: number; height: number; channels: 1 | 3 } };
    followed: number;
    /** The step of the filmstrip's last record (-1: none since the run started). */
    recorded: number;
  } | null = null;
  /** Whether the lane shows images (its dataset is an image dataset). */
  imageMode = false;

  /** A lane drawing on `canvas`; with `first`, its view shares that lane's camera (compare). */
  static async create(
    device: GPUDevice,
    sources: ShaderSources,
    canvas: HTMLCanvasElement,
    first?: Lane,
  ): Promise<Lane> {
    // Nothing compiles here: the run's kernels wait for its first run (prepareRun), the
    // metrics' for their first use, the landscape's and trails' until they are shown.
    const metrics = Metrics.create(device, sources, {
      entropy: { points: ENTROPY_POINTS },
      marginals: {},
    });
    const parts = await Promise.allSettled([
      Simulation.create(device, sources),
      ParticleView.create(canvas, device),
    ] as const);
    const [sim, view] = parts;
    if (sim.status === 'fulfilled' && view.status === 'fulfilled') {
      first?.view.shareCamera(view.value);
      return new Lane(sim.value, view.value, metrics, sources);
    }
    for (const part of parts) if (part.status === 'fulfilled') destroyPart(part.value);
    throw parts.find((p): p is PromiseRejectedResult => p.status === 'rejected')!.reason;
  }

  /**
   * Makes what drawing with these settings needs and has not got yet, before setStyle: the
   * landscape's grid (landscape, arrows, the 3D view, trails) and the trails' ring.
   */
  async prepareStyle(s: Readonly<Settings>): Promise<void> {
    const device = this.sim.device;
    const grid = s.landscape !== 'off' || s.arrows || s.view === '3d' || s.trails > 0;
    const [g, t] = await Promise.all([
      grid && !this.grid ? (this.making.grid ??= EnergyGrid.create(device, this.sources)) : null,
      s.trails > 0 && !this.trails
        ? (this.making.trails ??= Trails.create(device, this.sources))
        : null,
    ]);
    if (g && !this.grid) {
      this.grid = g;
      this.view.setGrid(g);
    }
    if (t && !this.trails) {
      this.trails = t;
      this.trailShape = '';
    }
  }

  /** Compiles what a run over these settings needs (after setData): before start(). */
  prepareRun(settings: Readonly<Settings>): Promise<void> {
    return this.sim.prepare(runSpec(settings));
  }

  /** Compiles what measure() with `what` needs, on its first use. */
  prepareMeasure(what: { entropy: boolean; marginals: boolean }): Promise<void> {
    return this.metrics.prepare(what);
  }

  setData(dataset: Dataset): void {
    this.sim.setData(dataset);
    this.fieldSource.setData(dataset);
    if (isImageData(dataset)) {
      this.imageMode = true;
      if (!this.images) {
        const filmstrip = new Filmstrip();
        const grid = new ImageGrid(this.view.renderer);
        this.images = { grid, filmstrip, staging: null, dataset, followed: -1, recorded: -1 };
      }
      this.images.dataset = dataset;
      this.images.filmstrip.setup(this.sim.device, this.sim.dim, FILMSTRIP_FRAMES);
      this.images.followed = -1;
      this.view.setImages(this.images.grid);
      this.bindImages();
      return;
    }
    this.imageMode = false;
    this.view.setImages(null);
    this.view.setData(this.sim.data, dataset.points.length / 2);
    // A switch from images reallocated the particles at 2 coordinates: draw the new buffer.
    if (this.sim.n) this.view.setParticles(this.sim.x, this.sim.n);
  }

  setParticles(n: number): void {
    this.sim.setParticles(n);
    if (this.imageMode) this.bindImages();
    else this.view.setParticles(this.sim.x, n);
    this.trailShape = '';
    if (this.settings) this.setStyle(this.settings);
  }

  /** Points the image grid at the simulation's current buffers. */
  private bindImages(): void {
    const im = this.images;
    if (!im || !this.sim.n) return;
    im.grid.setBuffers({
      x: this.sim.x,
      x0hat: this.sim.x0hat,
      data: this.sim.data,
      nearest: this.sim.nearest,
      n: this.sim.n,
      m: this.sim.dataPoints,
      shape: im.dataset.image,
      filmstrip: im.filmstrip,
    });
    im.staging?.destroy();
    im.staging = new StagingPool(this.sim.device, 'nearest', NEAREST_RECORD_BYTES * this.sim.n);
  }

  /** How the run is drawn: sprites, the view (2D or 3D), landscape, arrows and trails. */
  setStyle(s: Readonly<Settings>): void {
    this.settings = s;
    const im = this.images;
    if (this.imageMode && im) {
      im.grid.setPanels({ x0hat: s.showX0hat, nearest: s.showNearest });
      const follow = s.follow >= 0 && s.follow < this.sim.n ? s.follow : -1;
      if (follow !== im.followed) {
        im.followed = follow;
        // Its past frames from the history: a run that has ended still shows its trajectory.
        im.filmstrip.follow(follow);
      }
      im.grid.follow(follow >= 0 ? follow : null);
      return;
    }
    this.view.setStyle(s);
    this.view.setPhysics(s);
    // Forward kernels evaluate no denoiser: particles then sit on the surface, not on their U.
    this.view.setEnergy(s.mode === 'forward' ? null : this.sim.energy);
    const shape = `${this.sim.n}:${s.trails}:${s.trailParticles}`;
    if (this.trails && shape !== this.trailShape) {
      this.trailShape = shape;
      this.trails.setup(this.sim.x, this.sim.n, s.trailParticles, s.trails);
      this.view.setTrails(s.trails > 0 ? this.trails : null);
    }
  }

  /** Sets the run (prepared: prepareRun) and records its reset into `encoder`. */
  start(settings: Readonly<Settings>, encoder: GPUCommandEncoder): void {
    const spec = runSpec(settings);
    this.sim.setRun(spec);
    this.fieldSource.setRun(spec);
    this.sim.reset(encoder);
    this.trails?.reset();
    this.images?.filmstrip.keepHistory(this.sim.n);
    this.resetFilmstrip(encoder);
    this.setStyle(settings);
    this.afterSteps(encoder);
  }

  /** Restarts the same run: fresh noise, trails and filmstrip cleared. */
  restart(encoder: GPUCommandEncoder): void {
    this.sim.reset(encoder);
    this.trails?.reset();
    this.resetFilmstrip(encoder);
    this.afterSteps(encoder);
  }

  private resetFilmstrip(encoder: GPUCommandEncoder): void {
    if (!this.images) return;
    this.images.filmstrip.reset(encoder);
    this.images.recorded = -1;
  }

  /**
   * Up to k steps, stopping on the way at each step the filmstrip records (images), so that a
   * frame of many steps, or run(), leaves no hole in it. Returns the steps encoded.
   */
  encodeSteps(encoder: GPUCommandEncoder, k: number): number {
    if (!this.imageMode) return this.sim.encodeSteps(encoder, k);
    let done = 0;
    while (done < k && !this.sim.done) {
      const { step, steps } = this.sim.status();
      const stride = filmstripStride(steps);
      const ran = this.sim.encodeSteps(encoder, Math.min(k - done, stride - (step % stride)));
      if (ran === 0) break;
      done += ran;
      this.recordFilmstrip(encoder);
    }
    return done;
  }

  /**
   * After a frame's steps: the trails take the new positions, and the landscape follows the
   * level and temperature when it is shown (recomputed only when they changed). No allocation.
   */
  afterSteps(encoder: GPUCommandEncoder): void {
    if (this.imageMode) {
      this.recordFilmstrip(encoder);
      // The last state's nearest images, so the panel ends right without waiting for a read.
      if (this.sim.done) this.sim.measureNearest(encoder);
      return;
    }
    if (this.settings && this.settings.trails > 0) this.trails?.record(encoder);
    this.refreshField(encoder);
  }

  /**
   * The batch into the filmstrip's history and the followed image (if any) into its ring,
   * FILMSTRIP_FRAMES times over the run (and at the end).
   */
  private recordFilmstrip(encoder: GPUCommandEncoder): void {
    const im = this.images;
    if (!im) return;
    const { step, steps } = this.sim.status();
    // Once per step: a finished lane waiting for the other must not fill the strip with its end.
    if (step === im.recorded || (step % filmstripStride(steps) !== 0 && step !== steps)) return;
    im.filmstrip.record(encoder, this.sim.x, im.followed, this.sim.dim);
    im.recorded = step;
  }

  /**
   * Images: records the nearest training images of the batch's x0_hat (the panel reads them),
   * then reads back the memorisation; null for point clouds or when nothing could be read.
   */
  async measureImages(): Promise<Memorisation | null> {
    const im = this.images;
    if (!this.imageMode || !im?.staging) return null;
    const encoder = this.sim.device.createCommandEncoder({ label: 'memorisation' });
    this.sim.measureNearest(encoder);
    this.sim.device.queue.submit([encoder.finish()]);
    const n = this.sim.n;
    const dim = this.sim.dim;
    return im.staging.read(this.sim.nearest, (bytes) => memorisationOf(bytes, n, dim));
  }

  /** Where the image grid's panels are (CSS pixels), for their labels; null for points. */
  imagePanels(): ImagePanelRect[] | null {
    if (!this.imageMode || !this.images) return null;
    return this.images.grid.layout.panels.map((p) => ({
      kind: p.kind,
      left: p.left,
      top: p.top,
      cols: p.cols,
      cellWidth: p.cellWidth,
      cellHeight: p.cellHeight,
    }));
  }

  /** The image under a client point of the canvas, or null (points, or no image there). */
  pickImage(clientX: number, clientY: number, rect: DOMRectReadOnly): number | null {
    return this.imageMode && this.images ? this.images.grid.pick(clientX, clientY, rect) : null;
  }

  /** Recomputes the landscape's grid if it is shown and its level or temperature changed. */
  refreshField(encoder: GPUCommandEncoder): void {
    const s = this.settings;
    if (!s || this.imageMode) return;
    if (s.landscape === 'off' && !s.arrows && s.view === '2d') return;
    const level = this.sim.level();
    if (!level) return;
    this.grid?.update(encoder, this.fieldSource.at(s, level, this.sim));
  }

  get done(): boolean {
    return this.sim.done;
  }

  status(): RunStatus {
    return this.sim.status();
  }

  /**
   * Records the measurement of the run's observables (k_B = 1; T = 1 for diffusion, whose
   * temperature is in U_t itself) of the particles as they are, at the level status() reports:
   * their energy from a denoiser evaluation made for it (Simulation.measureDenoiser), and the
   * Langevin samplers' velocities, accept flags and heat where they have them. Read the result
   * with `metrics.read()` after the submit. What it measures must be prepared (prepareMeasure).
   */
  measure(
    encoder: GPUCommandEncoder,
    s: Readonly<Settings>,
    what: { entropy: boolean; marginals: boolean },
  ): void {
    const sim = this.sim;
    const langevin = s.mode === 'langevin';
    const energy = sim.measureDenoiser(encoder);
    this.metrics.encode(encoder, {
      x: sim.x,
      dim: sim.dim,
      energy: energy ? sim.measuredEnergy : undefined,
      n: sim.n,
      v: langevin && s.langevin === 'underdamped' ? sim.v : undefined,
      accept: langevin && s.langevin === 'mala' ? sim.accept : undefined,
      heat: langevin ? sim.heat : undefined,
      path: sim.path,
      temperature: langevin ? s.temperature : 1,
      entropy: what.entropy,
      marginals: what.marginals,
    });
  }

  destroy(): void {
    this.images?.grid.dispose();
    this.images?.filmstrip.destroy();
    this.images?.staging?.destroy();
    this.metrics.destroy();
    this.grid?.destroy();
    this.trails?.destroy();
    // Made after the lane went: destroyed as they come.
    void this.making.grid?.then((g) => g !== this.grid && g.destroy()).catch(() => undefined);
    void this.making.trails?.then((t) => t !== this.trails && t.destroy()).catch(() => undefined);
    this.sim.destroy();
    this.view.dispose();
  }
}
