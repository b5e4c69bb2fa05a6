/**
 * `bench:unet` in Node through Dawn, for a machine with a GPU and no browser: the page's
 * measurements (unetRun.ts) on one Dawn device (inDawn.ts). Bundled by `npm run bench:bundle`
 * into dist-bench/unet.mjs; run there as
 *   DAWN_WEBGPU_DIR=/path/to/webgpu ./node dist-bench/unet.mjs [flags] [--out file.md]
 */
import process from 'node:process';
import { runInDawn } from './inDawn';
import { unetCli } from './unetCli';

process.exitCode = await runInDawn(unetCli, () => import('./unetRun'));
