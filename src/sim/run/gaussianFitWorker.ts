/**
 * Fits the Gaussian model of images off the main thread (seconds of JavaScript for MNIST), so
 * that choosing the 'gaussian' denoiser never stops the page from drawing. Answers
 * { packed, rank } (transferred) or { error }.
 */
import { fitGaussianModel, packGaussianModel } from '../../maths/gaussianModel';

export interface FitRequest {
  data: Float32Array;
  d: number;
  rank: number;
  seed: number;
}

export type FitAnswer = { packed: Float32Array<ArrayBuffer>; rank: number } | { error: string };

self.addEventListener('message', (event: MessageEvent<FitRequest>) => {
  const { data, d, rank, seed } = event.data;
  try {
    const model = fitGaussianModel(data, d, rank, seed);
    const packed = packGaussianModel(model);
    self.postMessage({ packed, rank: model.lambda.length } satisfies FitAnswer, {
      transfer: [packed.buffer],
    });
  } catch (e) {
    self.postMessage({ error: e instanceof Error ? e.message : String(e) } satisfies FitAnswer);
  }
});
