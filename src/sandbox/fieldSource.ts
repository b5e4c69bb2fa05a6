/**
 * What a lane's landscape (EnergyGrid.update) is of, at the level its particles are at: the
 * denoiser's model and data, the temperature, and with a class the guided landscape
 * U_w = w U_c + (1 - w) U of the run's condition (w = 1 outside the guidance interval), and what
 * its arrows show: the score, or (arrowField 'velocity', outside Langevin mode) the probability-flow
 * velocity from the schedule's rates at the level (for 'learned', its network's velocity on the
 * grid). One parameter object, filled in place: the frame path allocates nothing here.
 */
import type { Dataset } from '../maths/datasets';
import { ALL_LABELS, guidanceAt, logShare, type Condition } from '../maths/guidance';
import { levelRates, type LevelRate } from '../maths/scheduleRates';
import type { Level } from '../maths/schedules';
import type { RunSpec } from '../settings/runSpec';
import type { Settings } from '../settings/settings';
import type { FieldParams } from '../sim/field/energyGrid';
import type { Simulation } from '../sim/run/simulation';

export class FieldSource {
  private params: FieldParams | null = null;
  private dataset: Dataset | null = null;
  private condition: Condition | undefined;
  /** log P(class) of the mixture (its weight) and of the stored points (M_c / M). */
  private readonly share = { mixture: 0, points: 0 };
  /** The run's schedule rates (set up at its first velocity frame) and their last values. */
  private rates: ((t: number, out: LevelRate) => LevelRate) | null = null;
  private readonly rate: LevelRate = { alphaDot: 0, sigmaDot: 0, halfVarianceDot: 0 };

  /** New data: new buffers to bind, and the next run's class shares. */
  setData(dataset: Dataset): void {
    this.dataset = dataset;
    this.params = null;
  }

  /** A new run: its class and guidance, and the class's share of the data (off the frame path). */
  setRun(spec: RunSpec): void {
    this.condition = spec.condition;
    // A new run may have a new schedule.
    this.rates = null;
    const label = spec.condition?.label;
    const data = this.dataset;
    if (label === undefined || !data) return;
    this.share.mixture = data.mixture ? logShare(data, label, true) : 0;
    this.share.points = data.labels ? logShare(data, label, false) : 0;
  }

  /** The landscape's parameters for settings `s` at `level`. */
  at(s: Readonly<Settings>, level: Level, sim: Simulation): FieldParams {
    const f = (this.params ??= {
      denoiser: s.denoiser,
      alpha: 1,
      sigma: 1,
      temperature: 1,
      m: 0,
      k: 0,
      data: sim.data,
      mixture: sim.mixture,
    });
    // The landscape of the denoiser's model: the fitted Gaussian for 'gaussian' (a one-component
    // mixture), the unsmoothed empirical energy for 'smoothed', and for 'learned' (a network has
    // no energy) the exact one of the data it learns.
    const gaussian = s.denoiser === 'gaussian';
    const exact = gaussian || s.denoiser === 'learned';
    f.denoiser = exact ? 'exact' : s.denoiser === 'smoothed' ? 'empirical' : s.denoiser;
    f.alpha = level.alpha;
    f.sigma = level.sigma;
    f.temperature = s.mode === 'langevin' ? s.temperature : 1;
    f.m = sim.dataPoints;
    f.k = gaussian ? 1 : sim.components;
    f.data = sim.data;
    f.mixture = gaussian ? sim.gaussian : sim.mixture;
    f.labels = sim.labels;
    // A class (only the denoisers that take one have it): the mixture's or the points' share. A
    // class-conditional network's landscape is the exact one of its class, which it learns.
    const c = gaussian ? undefined : this.condition;
    const mixture = f.denoiser === 'exact' && f.k > 0;
    f.label = c ? c.label : ALL_LABELS;
    f.logShare = c ? (mixture ? this.share.mixture : this.share.points) : 0;
    f.guidance = guidanceAt(c, level.t);
    // Langevin mode has no flow in t: its particles follow the score, and so do its arrows.
    const velocity = s.arrowField === 'velocity' && s.mode !== 'langevin';
    f.arrows = velocity ? 'velocity' : 'score';
    if (velocity) {
      const rate = (this.rates ??= levelRates(s.schedule, s))(level.t, this.rate);
      f.alphaDot = rate.alphaDot;
      f.halfVarianceDot = rate.halfVarianceDot;
    }
    // The learned denoiser's velocity is its network's, evaluated on the grid: recomputed every
    // frame it is shown, as training changes the weights in place.
    f.network = velocity && s.denoiser === 'learned' ? sim.networks.points : null;
    if (f.network) f.networkStep = (f.networkStep ?? 0) + 1;
    return f;
  }
}
