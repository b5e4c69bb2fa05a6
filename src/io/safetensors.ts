/**
 * The safetensors format (https://github.com/huggingface/safetensors), F32 only: what a trained
 * model's weights travel in. Pure: runs in Node and the browser.
 *
 * Layout: u64 little-endian N; N bytes of UTF-8 JSON, { name: { dtype, shape, data_offsets:
 * [begin, end] }, "__metadata__"?: { string: string } }, padded with spaces; then the byte buffer,
 * which the tensors cover exactly, offsets relative to its start. A file comes from a user, so
 * decoding checks everything and says what is wrong in words they can act on.
 */

export interface Tensor {
  shape: number[];
  data: Float32Array;
}

export class SafetensorsError extends Error {
  override name = 'SafetensorsError';
}

const METADATA = '__metadata__';
/** A header past this is a wrong file, not a model: the reference reader's limit too. */
const MAX_HEADER_BYTES = 100_000_000;
const DEFAULT_MAX_BYTES = 512 * 1024 * 1024;
const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

function fail(message: string): never {
  throw new SafetensorsError(message);
}
const isCount = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 0;
const product = (shape: readonly number[]): number => shape.reduce((p, d) => p * d, 1);
const formatShape = (shape: readonly number[]): string => `[${shape.join(', ')}]`;
/** A value from the file as JSON, cut short: a message stays readable whatever the file holds. */
const brief = (v: unknown): string => {
  const json = JSON.stringify(v);
  return json.length > 60 ? `${json.slice(0, 57)}...` : json;
};
const size = (bytes: number): string =>
  bytes < 1e6 ? `${bytes} bytes` : `${(bytes / 1e6).toFixed(1)} MB`;

export function encodeSafetensors(
  tensors: ReadonlyArray<{ name: string } & Tensor>,
  metadata?: Record<string, string>,
): ArrayBuffer {
  // No prototype, so that a tensor named "__proto__" is a plain key.
  const header = Object.create(null) as Record<string, unknown>;
  if (metadata) header[METADATA] = metadata;
  let offset = 0;
  for (const { name, shape, data } of tensors) {
    if (name === METADATA) fail(`"${METADATA}" is reserved and cannot name a tensor`);
    if (Object.hasOwn(header, name)) fail(`tensor "${name}" appears twice`);
    if (!shape.every(isCount)) {
      fail(`tensor "${name}" has shape ${formatShape(shape)}; entries must be whole numbers >= 0`);
    }
    if (data.length !== product(shape)) {
      fail(
        `tensor "${name}" has ${data.length} values but shape ${formatShape(shape)} needs ${product(shape)}`,
      );
    }
    header[name] = { dtype: 'F32', shape, data_offsets: [offset, offset + 4 * data.length] };
    offset += 4 * data.length;
  }
  const json = new TextEncoder().encode(JSON.stringify(header));
  // Pads with spaces so that the byte buffer starts 8-aligned, as the spec asks of writers.
  const headerBytes = Math.ceil(json.length / 8) * 8;
  const out = new ArrayBuffer(8 + headerBytes + offset);
  const view = new DataView(out);
  view.setBigUint64(0, BigInt(headerBytes), true);
  const bytes = new Uint8Array(out);
  bytes.set(json, 8);
  bytes.fill(0x20, 8 + json.length, 8 + headerBytes);
  let at = 8 + headerBytes;
  for (const { data } of tensors) {
    writeFloats(view, at, data);
    at += 4 * data.length;
  }
  return out;
}

export function decodeSafetensors(
  buffer: ArrayBuffer,
  limits?: { maxBytes?: number },
): { tensors: Map<string, Tensor>; metadata: Record<string, string> } {
  const maxBytes = limits?.maxBytes ?? DEFAULT_MAX_BYTES;
  if (buffer.byteLength > maxBytes) {
    fail(`the file is ${size(buffer.byteLength)}; the limit is ${size(maxBytes)}`);
  }
  if (buffer.byteLength < 8) {
    fail(`the file is ${buffer.byteLength} bytes, too short for a safetensors header`);
  }
  const view = new DataView(buffer);
  const n = view.getBigUint64(0, true);
  if (n > BigInt(MAX_HEADER_BYTES)) {
    fail(`the header claims ${n} bytes (over 100 MB): this is not a safetensors file`);
  }
  const headerBytes = Number(n);
  if (8 + headerBytes > buffer.byteLength) {
    fail(
      `the header claims ${headerBytes} bytes, past the end of the ${buffer.byteLength}-byte file: it is truncated or not a safetensors file`,
    );
  }
  const header = parseHeader(new Uint8Array(buffer, 8, headerBytes));
  const start = 8 + headerBytes;
  const dataBytes = buffer.byteLength - start;

  const metadata = readMetadata(header[METADATA]);
  const entries = Object.entries(header)
    .filter(([name]) => name !== METADATA)
    .map(([name, entry]) => ({ name, ...readEntry(name, entry, start, buffer.byteLength) }));
  checkCoverage(entries, dataBytes);

  const tensors = new Map<string, Tensor>();
  for (const { name, shape, begin, end } of entries) {
    tensors.set(name, { shape, data: readFloats(view, start + begin, (end - begin) / 4) });
  }
  return { tensors, metadata };
}

/** Checks that the tensors in the file are those a model needs, with its shapes. */
export function expectTensors(
  decoded: Map<string, Tensor>,
  expected: ReadonlyArray<{ name: string; shape: readonly number[] }>,
): void {
  const missing = expected.filter(({ name }) => !decoded.has(name));
  if (missing.length > 0) {
    fail(
      `the file has no tensor "${missing[0]!.name}" (missing ${missing.length} of the ${expected.length} tensors this model needs)`,
    );
  }
  for (const { name, shape } of expected) {
    const got = decoded.get(name)!.shape;
    if (got.length !== shape.length || got.some((d, i) => d !== shape[i])) {
      fail(
        `tensor "${name}" has shape ${formatShape(got)}; this model needs ${formatShape(shape)}`,
      );
    }
  }
  const known = new Set(expected.map(({ name }) => name));
  for (const name of decoded.keys()) {
    if (!known.has(name)) fail(`the file has a tensor "${name}" that this model does not use`);
  }
}

function parseHeader(bytes: Uint8Array): Record<string, unknown> {
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch (e) {
    fail(`the header is not UTF-8 JSON (${e instanceof Error ? e.message : String(e)})`);
  }
  if (!isObject(header)) fail('the header is not a JSON object of tensors');
  return header;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function readMetadata(value: unknown): Record<string, string> {
  if (value === undefined) return {};
  if (!isObject(value)) fail(`"${METADATA}" is not an object of strings`);
  const entries = Object.entries(value);
  for (const [key, v] of entries) {
    if (typeof v !== 'string') fail(`"${METADATA}" entry "${key}" is not a string`);
  }
  // fromEntries defines own properties, so a key such as "__proto__" stays a plain key.
  return Object.fromEntries(entries) as Record<string, string>;
}

interface Entry {
  shape: number[];
  begin: number;
  end: number;
}

function readEntry(name: string, entry: unknown, start: number, fileBytes: number): Entry {
  const at = `tensor "${name}"`;
  if (!isObject(entry)) fail(`${at} is not an object with dtype, shape and data_offsets`);
  const { dtype, shape, data_offsets: offsets } = entry;
  for (const [key, v] of [
    ['dtype', dtype],
    ['shape', shape],
    ['data_offsets', offsets],
  ] as const) {
    if (v === undefined) fail(`${at} has no ${key}`);
  }
  if (typeof dtype !== 'string') fail(`${at} has a dtype that is not a string`);
  if (dtype !== 'F32') fail(`${at} has dtype ${dtype}; only F32 is supported`);
  if (!Array.isArray(shape) || !shape.every(isCount)) {
    fail(`${at} has shape ${brief(shape)}; it must be a list of whole numbers >= 0`);
  }
  if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every(isCount)) {
    fail(`${at} has data_offsets ${brief(offsets)}; they must be [begin, end] in bytes`);
  }
  const [begin, end] = offsets as [number, number];
  if (begin > end) fail(`${at} has data_offsets [${begin}, ${end}]: begin is past end`);
  const needed = 4 * product(shape);
  if (end - begin !== needed) {
    fail(
      `${at} has shape ${formatShape(shape)} (${needed} bytes of F32) but data_offsets [${begin}, ${end}] span ${end - begin} bytes`,
    );
  }
  if (start + end > fileBytes) {
    fail(`the file is truncated: ${at} ends at byte ${start + end} of a ${fileBytes}-byte file`);
  }
  return { shape, begin, end };
}

/** The spec asks that the tensors tile the byte buffer: no overlap, no hole, nothing after. */
function checkCoverage(entries: ReadonlyArray<{ name: string } & Entry>, dataBytes: number): void {
  const sorted = [...entries].sort((a, b) => a.begin - b.begin || a.end - b.end);
  let covered = 0;
  let last = '';
  for (const { name, begin, end } of sorted) {
    if (begin < covered) {
      fail(
        `tensor "${name}" overlaps tensor "${last}" (bytes ${begin} to ${Math.min(end, covered)} of the data)`,
      );
    }
    if (begin > covered) {
      fail(
        `the data has a hole: bytes ${covered} to ${begin} belong to no tensor (before "${name}")`,
      );
    }
    covered = end;
    last = name;
  }
  if (covered < dataBytes) {
    fail(`the data has a hole: bytes ${covered} to ${dataBytes} belong to no tensor (at the end)`);
  }
}

function readFloats(view: DataView, at: number, count: number): Float32Array {
  if (LITTLE_ENDIAN) {
    // A byte copy into a fresh buffer: aligned whatever the offset in the file.
    return new Float32Array(view.buffer.slice(at, at + 4 * count));
  }
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) out[i] = view.getFloat32(at + 4 * i, true);
  return out;
}

function writeFloats(view: DataView, at: number, data: Float32Array): void {
  if (LITTLE_ENDIAN) {
    new Uint8Array(view.buffer, at, data.byteLength).set(
      new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
    );
    return;
  }
  for (let i = 0; i < data.length; i++) view.setFloat32(at + 4 * i, data[i]!, true);
}
