/**
 * TF.js as the benchmarks use it (learnTf.ts, unetTf.ts): core with its gradients and the
 * webgpu, webgl and cpu backends registered; the first backend of a list that works; k optimiser
 * steps with no readback between them. Imported only once navigator.gpu exists (inDawn.ts): the
 * webgpu backend registers itself only then.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-webgl';
import '@tensorflow/tfjs-backend-webgpu';
import type { TfBackend, TfReport } from './benchTypes';

export const tfVersion = tf.version_core;

/** Sets the first backend of `order` that initialises; returns it (or null) and the failures. */
export async function useBackend(order: readonly TfBackend[]): Promise<TfReport> {
  const failures: string[] = [];
  for (const b of order) {
    try {
      if (await tf.setBackend(b)) {
        await tf.ready();
        // A first op: a backend can initialise and still fail at its first kernel.
        await tf.tidy(() => tf.sin(tf.ones([4]))).data();
        return { version: tfVersion, backend: b, failures };
      }
      failures.push(`${b}: did not initialise`);
    } catch (e) {
      failures.push(`${b}: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
  return { version: tfVersion, backend: null, failures };
}

/**
 * `steps` optimiser steps on `loss` with no readback between them; the first and the last loss,
 * read once at the end.
 */
export async function minimizeSteps(
  optimizer: tf.Optimizer,
  loss: () => tf.Scalar,
  steps: number,
): Promise<{ first: number; last: number }> {
  let first: tf.Scalar | null = null;
  let last: tf.Scalar | null = null;
  for (let i = 0; i < steps; i++) {
    const cost = optimizer.minimize(loss, true);
    if (i === 0) first = cost;
    else {
      last?.dispose();
      last = cost;
    }
  }
  const [f, l] = await Promise.all([first!.data(), (last ?? first!).data()]);
  first?.dispose();
  last?.dispose();
  return { first: f[0]!, last: l[0]! };
}

/** Largest |got - want| over the largest |want|. */
export function relativeError(got: ArrayLike<number>, want: ArrayLike<number>): number {
  let error = 0;
  let scale = 0;
  for (let i = 0; i < want.length; i++) {
    error = Math.max(error, Math.abs(want[i]! - got[i]!));
    scale = Math.max(scale, Math.abs(want[i]!));
  }
  return error / scale;
}
