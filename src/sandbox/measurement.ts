/**
 * Measurement of the runs, off the frame path (a few bytes read back, throttled by the caller):
 * each run's distance to the data, its observables and marginals, the memorisation of an image
 * batch, and the watch for divergence, which pauses a run whose particles went non-finite or
 * escaped, whether or not anything is shown.
 */
import { targetMarginals } from '../maths/observables';
import type { Memorisation } from '../maths/memorisation';
import { divergenceAdvice } from '../settings/runSpec';
import type { Distance } from '../sim/distance/distanceMeter';
import type { SandboxState } from './state';
import type { MarginalsView, PhysicsSample, SandboxStatus } from './types';

const METRICS_ENCODER: GPUCommandEncoderDescriptor = { label: 'metrics' };

export type ImageSample = Memorisation & { t: number; step: number; run: number };

export class Measurement {
  /** The run whose divergence was reported (reported once per run). */
  private diverged = -1;
  /** Each lane's last observables (of any run: lastSamples keeps the current run's). */
  private samples: (PhysicsSample | null)[] = [];

  constructor(private readonly state: SandboxState) {}

  status(): SandboxStatus {
    const st = this.state;
    const [a, b] = st.lanes;
    const base = a?.status() ?? { t: 0, step: 0, steps: st.current.steps, nfe: 0 };
    return {
      ...base,
      distance: this.currentDistance(0),
      compare: b ? { ...b.status(), distance: this.currentDistance(1) } : null,
    };
  }

  /** Lane i's distance to the data if it was measured of the particles as they are now. */
  private currentDistance(i: number): number | null {
    const d = this.lastDistances()[i];
    return d && d.step === this.state.lanes[i]?.status().step ? d.distance : null;
  }

  /** Each lane's last measured distance in this run (since its last reset), with its step and t. */
  lastDistances(): (Distance | null)[] {
    const run = this.state.generation;
    return (this.state.meter?.values ?? []).map((d) => (d?.run === run ? d : null));
  }

  /** Each lane's last measured observables in this run (since its last reset), for the captions. */
  lastSamples(): (PhysicsSample | null)[] {
    const run = this.state.generation;
    return this.samples.map((s) => (s?.run === run ? s : null));
  }

  /**
   * Compiles what the measurements of `what` need, all at once (each part once per device): the
   * distance meter, and each lane's observables, entropy and histograms, or image metrics.
   */
  async prepare(what: { marginals?: boolean; entropy?: boolean } = {}): Promise<void> {
    const st = this.state;
    const what2 = { entropy: what.entropy ?? false, marginals: what.marginals ?? false };
    await Promise.all([
      st.imageMode ? null : st.meter?.prepare(),
      ...st.lanes.map((l) => (st.imageMode ? l.metrics.enableImages() : l.prepareMeasure(what2))),
    ]);
  }

  /**
   * Measures each run's sliced Wasserstein-2 distance to the data on the GPU (a few numbers read
   * back, never on the frame path). Concurrent calls share one measurement.
   */
  async distances(): Promise<(number | null)[]> {
    const st = this.state;
    if (st.imageMode || !st.meter) return [];
    const measured = await st.meter.measure(
      st.lanes.map((l) => l.sim),
      st.generation,
    );
    return measured.map((d) => d?.distance ?? null);
  }

  /**
   * Measures every lane's observables on the GPU and reads back a few dozen bytes each. The
   * entropy (O(P^2)) only when asked. A run whose particles diverged pauses with what to lower.
   */
  async metrics(
    what: { marginals?: boolean; entropy?: boolean } = {},
  ): Promise<(PhysicsSample | null)[]> {
    const st = this.state;
    const device = st.gpu?.device;
    if (!device || !st.lanes.length || st.rebuilding) return [];
    // Images: their kernels compile on the first measurement (src/sim/observe/imageMetrics.ts).
    if (st.imageMode) await Promise.all(st.lanes.map((l) => l.metrics.enableImages()));
    if (st.rebuilding || device !== st.gpu?.device) return [];
    const lanes = [...st.lanes];
    const entropy = what.entropy ?? false;
    const marginals = what.marginals ?? false;
    // The metrics' kernels compile on their first use; the lanes may change meanwhile.
    await Promise.all(lanes.map((l) => l.prepareMeasure({ entropy, marginals })));
    if (st.rebuilding || lanes.some((l, i) => st.lanes[i] !== l)) return [];
    const statuses = lanes.map((l) => l.status());
    const generation = st.generation;
    const encoder = device.createCommandEncoder(METRICS_ENCODER);
    lanes.forEach((lane, i) => lane.measure(encoder, st.laneSettings(i), { entropy, marginals }));
    device.queue.submit([encoder.finish()]);
    const reads = await Promise.all(lanes.map((l) => l.metrics.read()));
    const samples = reads.map((r, i): PhysicsSample | null => {
      if (!r) return null;
      const sample = { ...r, t: statuses[i]!.t, step: statuses[i]!.step };
      // The distance measured of the same particles, if any.
      const d = this.lastDistances()[i];
      const distance = d && d.run === generation && d.step === sample.step ? d.distance : NaN;
      return { ...sample, run: generation, distance };
    });
    if (generation === st.generation) {
      this.samples = samples;
      this.checkDivergence(samples[0] ?? null, generation);
    }
    return samples;
  }

  /** The first run's marginal histograms (last measured) against the target's at its level. */
  async marginals(): Promise<MarginalsView | null> {
    const st = this.state;
    const lane = st.lanes[0];
    const spec = lane?.metrics.histogram;
    if (!lane || !spec || !st.dataset || st.imageMode) return null;
    const dataset = st.dataset;
    const particles = await lane.metrics.marginals();
    if (!particles) return null;
    // The level the particles are at, by the run's one rule (currentLevelIndex).
    const level = lane.sim.level();
    if (!level) return null;
    const target = targetMarginals(dataset, spec, level);
    return { particles, target };
  }

  /**
   * The memorisation of each lane's batch (image datasets; [] otherwise): its nearest training
   * images recorded on the GPU for the panel, a few bytes per image read back.
   */
  async images(): Promise<(ImageSample | null)[]> {
    const st = this.state;
    if (!st.gpu || !st.imageMode || st.rebuilding) return [];
    const lanes = [...st.lanes];
    const run = st.generation;
    const statuses = lanes.map((l) => l.status());
    const reads = await Promise.all(lanes.map((l) => l.measureImages().catch(() => null)));
    return reads.map((r, i) =>
      r ? { ...r, t: statuses[i]!.t, step: statuses[i]!.step, run } : null,
    );
  }

  private checkDivergence(sample: PhysicsSample | null, generation: number): void {
    const st = this.state;
    if (!sample || st.recording || this.diverged === generation) return;
    const bad = sample.nonFinite + sample.escaped;
    if (bad === 0) return;
    this.diverged = generation;
    st.playing = false;
    st.message(divergenceAdvice(st.current, bad, sample.step), 'error');
  }
}
