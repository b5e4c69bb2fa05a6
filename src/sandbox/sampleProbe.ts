/**
 * Samples drawn on the side, off the lanes: a small Simulation of PROBE_SAMPLES particles that
 * runs a whole reverse run (DDIM, PROBE_STEPS steps, fixed noise) with the learned or the
 * empirical denoiser, for the memorisation of the samples against training (the Model panel's
 * curve, and the memorisation experiment). Its readback is a measurement: never on the frame path.
 */
import type { ShaderSources } from '../gpu/kernel';
import type { Dataset } from '../maths/datasets';
import { memorisedFraction } from '../maths/memorisation';
import { reverseLevels, type ScheduleId, type ScheduleParams } from '../maths/schedules';
import { Simulation, type LearnedModel } from '../sim/run/simulation';

/** Samples per probe (each against every stored point, on the CPU through a grid). */
export const PROBE_SAMPLES = 1024;
export const PROBE_STEPS = 50;

export class SampleProbe {
  private dataset: Dataset | null = null;

  private constructor(private readonly sim: Simulation) {}

  static async create(device: GPUDevice, sources: ShaderSources): Promise<SampleProbe> {
    const sim = await Simulation.create(device, sources);
    sim.setParticles(PROBE_SAMPLES);
    return new SampleProbe(sim);
  }

  /** The GPU buffer of `dataset`'s stored points (uploaded once per dataset). */
  dataBuffer(dataset: Dataset): GPUBuffer {
    this.use(dataset);
    return this.sim.data;
  }

  private use(dataset: Dataset): void {
    if (dataset === this.dataset) return;
    this.sim.setData(dataset);
    this.sim.setParticles(PROBE_SAMPLES);
    this.dataset = dataset;
  }

  /**
   * PROBE_SAMPLES samples of `dataset`'s stored points by the learned network (`model`) or the
   * empirical denoiser, on the schedule, from the noise of `seed`.
   */
  async samples(
    dataset: Dataset,
    model: LearnedModel | null,
    schedule: { id: ScheduleId; params: ScheduleParams },
    seed: number,
  ): Promise<Float32Array> {
    const sim = this.sim;
    this.use(dataset);
    sim.setModel(model);
    const spec = {
      mode: 'reverse' as const,
      sampler: 'ddim' as const,
      denoiser: model ? ('learned' as const) : ('empirical' as const),
      levels: reverseLevels(schedule.id, schedule.params, PROBE_STEPS),
      eta: 0,
      seed,
    };
    await sim.prepare(spec);
    sim.setRun(spec);
    const encoder = sim.device.createCommandEncoder({ label: 'probe' });
    sim.reset(encoder);
    sim.encodeSteps(encoder, PROBE_STEPS);
    sim.device.queue.submit([encoder.finish()]);
    return sim.positions();
  }

  /** The fraction of the samples memorised (d1 / d2 < 1/3 to the stored points). */
  async memorised(
    dataset: Dataset,
    model: LearnedModel | null,
    schedule: { id: ScheduleId; params: ScheduleParams },
    seed: number,
  ): Promise<number> {
    return memorisedFraction(await this.samples(dataset, model, schedule, seed), dataset.points);
  }

  destroy(): void {
    this.sim.destroy();
  }
}
