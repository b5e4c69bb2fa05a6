/**
 * Loads the bundled MNIST digits (mnist.bin.gz, emitted at the root of the build by the plugin in
 * vite.config.ts). Browser only: fetch and DecompressionStream. Call it with a URL resolved against
 * the page, e.g. new URL('mnist.bin.gz', document.baseURI).
 */
import { decodeMnist, MNIST_MAGIC, type MnistDigits } from './mnistFormat';

const GZIP = [0x1f, 0x8b] as const;

/** Fetches, gunzips and decodes the digits; throws an Error saying which step failed. */
export async function loadMnist(url: string | URL): Promise<MnistDigits> {
  let response: Response;
  try {
    response = await fetch(url);
  } catch (e) {
    throw new Error(`could not fetch the MNIST digits from ${String(url)}: ${message(e)}`);
  }
  if (!response.ok) {
    throw new Error(
      `could not fetch the MNIST digits from ${String(url)}: HTTP ${response.status} ${response.statusText}`.trim(),
    );
  }
  const body = new Uint8Array(await response.arrayBuffer());
  return decodeMnist(await gunzipIfNeeded(body));
}

/**
 * Gunzips unless the bytes are already the decoded format: a server that sends the file with
 * Content-Encoding: gzip (some static hosts do for .gz) has the browser decompress it first.
 */
async function gunzipIfNeeded(body: Uint8Array): Promise<Uint8Array> {
  if (String.fromCharCode(...body.subarray(0, 4)) === MNIST_MAGIC) return body;
  if (body[0] !== GZIP[0] || body[1] !== GZIP[1]) {
    throw new Error('the MNIST file is neither gzip nor MNST data (is the server sending a page?)');
  }
  try {
    const stream = new Blob([body as Uint8Array<ArrayBuffer>])
      .stream()
      .pipeThrough(new DecompressionStream('gzip'));
    return new Uint8Array(await new Response(stream).arrayBuffer());
  } catch (e) {
    throw new Error(`could not decompress the MNIST digits: ${message(e)}`);
  }
}

const message = (e: unknown): string => (e instanceof Error ? e.message : String(e));
