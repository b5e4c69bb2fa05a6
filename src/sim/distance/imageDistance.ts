/**
 * What a batch of images is near, read off the GPU's nearest-training-image search
 * (shaders/distance/image_nearest.wgsl, run on the batch as it is: at the end of a run x0_hat = x):
 *
 * - the image distance of the quality-vs-NFE sweep: the mean distance from each image to its
 *   nearest training image, RMS per pixel (Memorisation.distance);
 * - the class of each image, the label of its nearest training image (the clone experiment's
 *   classes on MNIST and shapes).
 *
 * Why the nearest-image distance and not sliced W2 in R^d. Random one-dimensional projections of
 * high-dimensional data are nearly Gaussian for most directions (Diaconis & Freedman 1984,
 * "Asymptotics of graphical projection pursuit", Ann. Statist. 12(3)), so a sliced distance over
 * random unit directions of R^784 sees little beyond the batch's mean and spread along them, and
 * a blurred batch with the right moments scores well. The diffusion's target here is the
 * training set itself (the empirical denoiser is exact for it), and any coupling of the batch to
 * it moves each image at least to its nearest training image: the mean nearest distance is a
 * lower bound on W1 between the batch and the training images, zero exactly when every image is a
 * training image, which an exact sampler reaches and a coarse one misses by its discretisation
 * error. It is the fidelity side of Kynkaanniemi et al. 2019 ("Improved precision and recall
 * metric for assessing generative models", NeurIPS), which also judge samples by their
 * nearest-neighbour distances to the data; it does not see coverage (a batch of copies of one
 * digit scores zero), which the sweep does not ask about.
 */
import { readback } from '../../gpu/readback';
import { memorisationOf, NEAREST_RECORD_BYTES } from '../../maths/memorisation';
import type { Simulation } from '../run/simulation';

/** Runs the nearest-image search on the batch as it is and reads its records back (n x 16 bytes). */
async function nearestRecords(sim: Simulation): Promise<ArrayBuffer> {
  if (sim.dim === 2) throw new Error('the nearest training image is for image datasets');
  const encoder = sim.device.createCommandEncoder({ label: 'nearest images' });
  sim.measureNearest(encoder);
  sim.device.queue.submit([encoder.finish()]);
  return readback(sim.device, sim.nearest, NEAREST_RECORD_BYTES * sim.n);
}

/** The mean distance of the batch to its nearest training images, RMS per pixel. */
export async function nearestImageDistance(sim: Simulation): Promise<number> {
  return memorisationOf(await nearestRecords(sim), sim.n, sim.dim).distance;
}

/** The label of each image's nearest training image (-1 where its distance is not finite). */
export async function nearestLabels(sim: Simulation, labels: Uint8Array): Promise<Int32Array> {
  const records = await nearestRecords(sim);
  const f = new Float32Array(records, 0, 4 * sim.n);
  const index = new Uint32Array(records, 0, 4 * sim.n);
  return Int32Array.from({ length: sim.n }, (_, i) =>
    Number.isFinite(f[4 * i]!) ? (labels[index[4 * i + 2]!] ?? -1) : -1,
  );
}
