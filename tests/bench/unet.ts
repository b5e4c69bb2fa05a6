/**
 * `npm run bench:unet`: the image U-Net's training speed (images/s) against TF.js on the same
 * network and batch, and its forward's NFE/s, in one page load of headless Chromium
 * (inChromium.ts; the measurements are unetRun.ts). Prints markdown to stdout, progress to
 * stderr, and writes the markdown to tests/bench/results/unet-<adapter>.md. `--help` for flags.
 * unetNode.ts runs the same measurements in Node through Dawn, where there is no browser.
 */
import { runInChromium } from './inChromium';
import { unetCli } from './unetCli';

await runInChromium(unetCli, process.argv.slice(2));
