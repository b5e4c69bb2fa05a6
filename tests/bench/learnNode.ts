/**
 * `bench:learn` in Node through Dawn (the `webgpu` package), for a machine with a GPU and no
 * browser: the same measurements as the page (learnRun.ts), ours and TF.js's WebGPU backend on
 * one Dawn device (inDawn.ts). Bundled by `npm run bench:bundle` into dist-bench/learn.mjs; run
 * there as
 *   DAWN_WEBGPU_DIR=/path/to/webgpu ./node dist-bench/learn.mjs [flags] [--out file.md]
 * and here as `npx tsx tests/bench/learnNode.ts`. Prints the markdown report to stdout.
 */
import process from 'node:process';
import { runInDawn } from './inDawn';
import { learnCli } from './learnCli';

process.exitCode = await runInDawn(learnCli, () => import('./learnRun'));
