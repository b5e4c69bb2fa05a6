/**
 * `npm run bench:learn`: the learned denoiser's training speed against TF.js on the same MLP and
 * batch, and its sampling NFE/s, in one page load of headless Chromium (inChromium.ts; the
 * measurements are learnRun.ts). Prints markdown to stdout, progress to stderr, and writes the
 * markdown to tests/bench/results/learn-<adapter>.md. `--help` for flags. learnNode.ts runs the
 * same measurements in Node through Dawn, where there is no browser.
 */
import { runInChromium } from './inChromium';
import { learnCli } from './learnCli';

await runInChromium(learnCli, process.argv.slice(2));
