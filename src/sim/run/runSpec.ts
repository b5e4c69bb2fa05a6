/**
 * What a run is made of, from the settings: the levels it visits and the RunSpec the simulation
 * takes (the lanes, sweeps and clones all build their runs here).
 */
import { isImageDataset } from '../../maths/imageDatasets';
import { forwardLevels, levelAt, reverseLevels, type Level } from '../../maths/schedules';
import { SMOOTHING_DRAWS, type Settings } from '../../settings/settings';
import type { RunSpec } from './cursor';

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

/** What the simulation needs of the settings for one run. */
export function runSpec(s: Readonly<Settings>): RunSpec {
  // The deliberate score error is a 2D lab tool (a fixed bias direction in the plane).
  const error =
    !isImageDataset(s.dataset) && (s.errorScale !== 0 || s.errorBias !== 0 || s.errorNoise !== 0)
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
    ...(s.denoiser === 'smoothed'
      ? { smoothing: { std: s.smoothing, draws: SMOOTHING_DRAWS } }
      : {}),
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
