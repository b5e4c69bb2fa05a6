/**
 * The experiments that run beside the live animation on the same device: the quality-vs-NFE
 * sweep, the guidance sweep (diversity and distance to a class's data against w), and cloning (when do samples commit to a mode?), with one cloner per device; points and
 * images alike (src/sim/distance/imageDistance.ts: the image distance and classes).
 */
import { theorySpeciationT } from '../maths/speciation';
import { runSpec } from '../settings/runSpec';
import { arrayOf, check, number, optional } from '../settings/schema';
import { applyPatch } from '../settings/validate';
import {
  Cloner,
  continuation,
  speciationCurve,
  type CurveOptions,
} from '../sim/experiments/speciation';
import { runSweep, type SweepOptions, type SweepResult } from '../sim/experiments/sweep';
import {
  GUIDANCE_WS,
  guidanceCurveSweep,
  type AnyGuidanceRow,
  type GuidanceCurveResult,
  type GuidanceSweepOptions,
} from '../sim/experiments/guidanceSweep';
import { isImageDataset } from '../maths/imageDatasets';
import type { Datasets } from './datasets';
import type { Recovery } from './recovery';
import type { SandboxState } from './state';
import type { Speciation, SweepRequest } from './types';

export type SpeciationOptions = CurveOptions & { count?: number; curve?: boolean };

/**
 * A guidance sweep: the w (GUIDANCE_WS unless given) and the particles (unless given 4,096 points,
 * or the live run's images up to 256: each image run is searched against every training image
 * twice per w).
 */
export type GuidanceRequest = Partial<GuidanceSweepOptions<AnyGuidanceRow>> & { n?: number };

export class Experiments {
  private cloner: Cloner | null = null;

  constructor(
    private readonly state: SandboxState,
    private readonly datasets: Datasets,
    private readonly maxParticles: () => number,
    private readonly recovery: Recovery,
  ) {}

  /** The device was lost: its cloner with it. */
  forgetDevice(): void {
    this.cloner = null;
  }

  /**
   * Distance to the data against NFE for every (sampler, schedule, NFE), on the GPU beside the
   * live runs (which keep animating), from the current settings with `request`'s keys over them.
   */
  async sweep(request: SweepRequest, options: SweepOptions = {}): Promise<SweepResult> {
    const st = this.state;
    const { samplers, schedules, nfe, ...keys } = request;
    // The sweep runs no lane B: its settings need not hold a compareWith valid over `keys`.
    const result = applyPatch({ ...st.current, compare: false, compareWith: '' }, keys, {
      maxParticles: this.maxParticles(),
    });
    if (!result.ok) throw new Error(`sweep: ${result.error}`);
    const base = result.settings;
    const same =
      base.dataset === st.current.dataset &&
      base.m === st.current.m &&
      base.seed === st.current.seed;
    const dataset = same && st.dataset ? st.dataset : await this.datasets.make(base);
    return runSweep(
      st.requireGpu().device,
      st.sources,
      base,
      dataset,
      { samplers, schedules, nfe },
      options,
    );
  }

  /**
   * Diversity and distance to the class's data against guidance w, for the current settings'
   * class (refused for class -1), from the same noise for every w, beside the live runs.
   */
  guidanceSweep(request: GuidanceRequest = {}): Promise<GuidanceCurveResult> {
    return this.recovery.survive('guidanceSweep()', async () => {
      const st = this.state;
      const images = isImageDataset(st.current.dataset);
      const {
        n = images ? Math.min(256, st.current.n) : 4096,
        ws = GUIDANCE_WS,
        ...options
      } = request;
      const patch = { n, compare: false, compareWith: '' };
      const result = applyPatch(st.current, patch, { maxParticles: this.maxParticles() });
      if (!result.ok) throw new Error(`guidanceSweep: ${result.error}`);
      const { device } = st.requireGpu();
      const run = { ...options, ws };
      return guidanceCurveSweep(device, st.sources, result.settings, st.dataset!, run);
    });
  }

  /**
   * When do samples commit? Copies `count` particles of the reverse run at its current t (or at
   * each of `options.levels`, 12 spread over the run by default, with `curve`), runs both copies
   * to the end with fresh noise, and returns P(same mode) against t.
   */
  async speciation(options: SpeciationOptions = {}): Promise<Speciation> {
    const st = this.state;
    const s = st.current;
    if (s.mode !== 'reverse') throw new Error("cloning needs the reverse process (mode 'reverse')");
    const device = st.requireGpu().device;
    const dataset = st.dataset!;
    const spec = runSpec(s);
    const levels = number({ min: 0, max: spec.levels.length - 2, integer: true });
    check(optional(arrayOf(levels, { min: 1 })), options.levels, 'options.levels', 'speciation');
    const count = Math.min(options.count ?? 2048, s.n);
    const theory = theorySpeciationT(dataset, s.schedule, s);
    const { note } = continuation(spec);
    const cloner = await this.clonerOn(device);
    cloner.setup(dataset, count);
    if (options.curve) {
      const points = await speciationCurve(cloner, spec, options);
      return { points, chance: cloner.chance, theory, note };
    }
    const level = Math.min(st.requireLane().status().step, spec.levels.length - 2);
    const point = await cloner.clone(spec, level, options.signal ? { signal: options.signal } : {});
    return { points: [point], chance: cloner.chance, theory, note };
  }

  /** The cloner, made on `device` once; one made on a device lost since is not kept. */
  private async clonerOn(device: GPUDevice): Promise<Cloner> {
    if (this.cloner) return this.cloner;
    const cloner = await Cloner.create(device, this.state.sources);
    if (this.state.gpu?.device !== device) {
      cloner.destroy();
      throw new Error('the GPU was lost');
    }
    this.cloner = cloner;
    return cloner;
  }
}
