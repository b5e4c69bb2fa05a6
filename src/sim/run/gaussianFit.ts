/**
 * The Gaussian model of a set of images (denoiser 'gaussian' on images, src/maths/gaussianModel.ts),
 * fitted once per data and seed, in a worker where there are workers (gaussianFitWorker.ts), so
 * that neither a new run (sampler, steps...) nor a second lane fits it again, and the page keeps
 * drawing while it is fitted.
 */
import { fitGaussianModel, packGaussianModel } from '../../maths/gaussianModel';
import type { FitAnswer, FitRequest } from './gaussianFitWorker';

/** Rank of the Gaussian model of images (denoiser 'gaussian'): its top principal directions. */
export const IMAGE_GAUSSIAN_RANK = 64;

/** The model packed for the kernel (packGaussianModel) and its rank. */
export interface PackedGaussian {
  packed: Float32Array<ArrayBuffer>;
  rank: number;
}

/** Fits made so far, in a worker and here (for tests). */
export const gaussianFits = { worker: 0, here: 0 };

/** Fits by data array (the same array for every lane and run of a dataset), then d, rank, seed. */
const fits = new WeakMap<Float32Array, Map<string, Promise<PackedGaussian>>>();

/** The model of the images in `points` (d floats each), fitted with `seed`: once per data and seed. */
export function imageGaussian(
  points: Float32Array,
  d: number,
  seed: number,
): Promise<PackedGaussian> {
  const m = Math.floor(points.length / d);
  const rank = Math.max(0, Math.min(IMAGE_GAUSSIAN_RANK, d - 1, m - 1));
  let byKey = fits.get(points);
  if (!byKey) {
    byKey = new Map();
    fits.set(points, byKey);
  }
  const key = `${d}:${rank}:${seed}`;
  let fit = byKey.get(key);
  if (!fit) {
    const request: FitRequest = { data: points, d, rank, seed };
    fit =
      typeof Worker === 'undefined'
        ? Promise.resolve().then(() => fitHere(request))
        : fitInWorker(request);
    const made = fit;
    const forget = byKey;
    fit.catch(() => forget.delete(key));
    byKey.set(key, made);
  }
  return fit;
}

function fitHere(r: FitRequest): PackedGaussian {
  gaussianFits.here++;
  const model = fitGaussianModel(r.data, r.d, r.rank, r.seed);
  return { packed: packGaussianModel(model), rank: model.lambda.length };
}

/** The fit in a worker of its own (the data copied to it); here if the worker cannot start. */
function fitInWorker(request: FitRequest): Promise<PackedGaussian> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL('./gaussianFitWorker.ts', import.meta.url), {
      type: 'module',
    });
    worker.addEventListener('message', (event: MessageEvent<FitAnswer>) => {
      worker.terminate();
      const answer = event.data;
      if ('error' in answer) reject(new Error(`the Gaussian fit failed: ${answer.error}`));
      else {
        gaussianFits.worker++;
        resolve(answer);
      }
    });
    worker.addEventListener('error', (event) => {
      event.preventDefault();
      worker.terminate();
      try {
        resolve(fitHere(request));
      } catch (e) {
        reject(e instanceof Error ? e : new Error(String(e)));
      }
    });
    worker.postMessage(request);
  });
}
