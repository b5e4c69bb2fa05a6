/**
 * The safetensors reader and writer (src/io/safetensors.ts): a round trip keeps every byte, a
 * file built by hand from the spec decodes, and each malformed file is refused with a
 * SafetensorsError whose message names the problem (and the tensor, where there is one).
 */
import { describe, expect, test } from 'vitest';
import {
  decodeSafetensors,
  encodeSafetensors,
  expectTensors,
  SafetensorsError,
  type Tensor,
} from '../../src/io/safetensors';
import { Rng } from '../../src/maths/rng';
import { SEED, seeded } from '../random';

type Named = { name: string } & Tensor;

function randomTensor(rng: Rng, name: string, shape: number[]): Named {
  const data = new Float32Array(shape.reduce((p, d) => p * d, 1));
  for (let i = 0; i < data.length; i++) data[i] = rng.normal();
  return { name, shape, data };
}

const bytesOf = (data: Float32Array): Uint8Array =>
  new Uint8Array(data.buffer, data.byteOffset, data.byteLength);

/** A file from a header string (padded with spaces to `pad`) and the byte buffer after it. */
function fileOf(header: string, data: Uint8Array = new Uint8Array(0), pad = 8): ArrayBuffer {
  const json = new TextEncoder().encode(header);
  const n = Math.ceil(json.length / pad) * pad;
  const bytes = new Uint8Array(8 + n + data.length).fill(0x20, 8, 8 + n);
  new DataView(bytes.buffer).setBigUint64(0, BigInt(n), true);
  bytes.set(json, 8);
  bytes.set(data, 8 + n);
  return bytes.buffer;
}

/** The header of a file, as text, and its byte buffer. */
function split(buffer: ArrayBuffer): { header: string; data: Uint8Array } {
  const n = Number(new DataView(buffer).getBigUint64(0, true));
  return {
    header: new TextDecoder().decode(new Uint8Array(buffer, 8, n)),
    data: new Uint8Array(buffer, 8 + n),
  };
}

/** Floats as little-endian bytes, written one by one (independent of the module's fast path). */
function littleEndian(values: readonly number[]): Uint8Array {
  const view = new DataView(new ArrayBuffer(4 * values.length));
  values.forEach((v, i) => view.setFloat32(4 * i, v, true));
  return new Uint8Array(view.buffer);
}

function refused(run: () => unknown, message: RegExp): void {
  expect(run).toThrow(SafetensorsError);
  expect(run).toThrow(message);
}

const decode = (buffer: ArrayBuffer) => decodeSafetensors(buffer).tensors;

const rng = new Rng(SEED, 901);
const TENSORS = [
  randomTensor(rng, 'a.weight', [3, 4]),
  randomTensor(rng, 'a.bias', [4]),
  randomTensor(rng, 'scale', []),
  randomTensor(rng, 'empty', [0, 5]),
  randomTensor(rng, 'odd', [7]),
  randomTensor(rng, 'ünïcödé.weight', [2, 3, 2]),
];
const METADATA = { format: 'pt', note: 'trained on "two moons", 1 000 steps' };
const GOOD = encodeSafetensors(TENSORS, METADATA);

describe('round trip', () => {
  test(seeded('every tensor comes back with its shape and the same bytes, in order'), () => {
    const { tensors, metadata } = decodeSafetensors(GOOD);
    expect([...tensors.keys()]).toEqual(TENSORS.map((t) => t.name));
    for (const { name, shape, data } of TENSORS) {
      const got = tensors.get(name)!;
      expect(got.shape, name).toEqual(shape);
      expect(got.data).toBeInstanceOf(Float32Array);
      expect(bytesOf(got.data), name).toEqual(bytesOf(data));
    }
    expect(tensors.get('scale')!.data.length).toBe(1);
    expect(tensors.get('empty')!.data.length).toBe(0);
    expect(metadata).toEqual(METADATA);
  });

  test('the byte buffer starts 8-aligned, the header padded with spaces', () => {
    const n = Number(new DataView(GOOD).getBigUint64(0, true));
    expect((8 + n) % 8).toBe(0);
    const { header } = split(GOOD);
    expect(header).toMatch(/^\{.*\} *$/);
    expect(JSON.parse(header)).toHaveProperty('__metadata__', METADATA);
  });

  test('the tensors lie contiguous in the given order', () => {
    const header = JSON.parse(split(GOOD).header) as Record<string, { data_offsets: number[] }>;
    let offset = 0;
    for (const { name, data } of TENSORS) {
      expect(header[name]!.data_offsets, name).toEqual([offset, offset + 4 * data.length]);
      offset += 4 * data.length;
    }
    expect(split(GOOD).data.length).toBe(offset);
  });

  test('no metadata reads as {}', () => {
    expect(decodeSafetensors(encodeSafetensors(TENSORS)).metadata).toEqual({});
  });
});

describe('a file written by hand from the spec', () => {
  const values = [1.5, -2, 0.25, 3, -0.125, 1e-3, 7];
  const header =
    '{"__metadata__":{"by":"hand"},' +
    '"w":{"dtype":"F32","shape":[2,3],"data_offsets":[4,28]},' +
    '"s":{"dtype":"F32","shape":[],"data_offsets":[0,4]}}';

  test.each([
    ['padded to 8 with spaces', 8],
    ['unpadded, so the data starts off 4-alignment', 1],
  ])('decodes, %s', (_, pad) => {
    const file = fileOf(header, littleEndian(values), pad);
    if (pad === 1) expect((8 + header.length) % 4).not.toBe(0);
    const { tensors, metadata } = decodeSafetensors(file);
    expect(metadata).toEqual({ by: 'hand' });
    expect(tensors.get('s')).toEqual({ shape: [], data: new Float32Array([1.5]) });
    expect(tensors.get('w')).toEqual({ shape: [2, 3], data: new Float32Array(values.slice(1)) });
  });
});

describe('refusals', () => {
  test('a file shorter than 8 bytes', () => {
    refused(() => decode(new ArrayBuffer(5)), /5 bytes, too short/);
  });

  test('a truncated file names the tensor cut short', () => {
    refused(
      () => decode(GOOD.slice(0, GOOD.byteLength - 4)),
      /truncated: tensor "ünïcödé\.weight" ends at byte \d+ of a \d+-byte file/,
    );
  });

  test('a header length past the end of the file', () => {
    refused(
      () => decode(GOOD.slice(0, 40)),
      /header claims \d+ bytes, past the end of the 40-byte file/,
    );
  });

  test('an absurd header length', () => {
    const file = GOOD.slice(0);
    new DataView(file).setBigUint64(0, 2n ** 40n, true);
    refused(() => decode(file), /over 100 MB.*not a safetensors file/);
  });

  test.each([
    ['bad JSON', '{"a": {"dtype": "F32",', /not UTF-8 JSON/],
    ['a JSON array', '[1, 2]', /not a JSON object/],
    ['a JSON string', '"F32"', /not a JSON object/],
    ['an entry that is not an object', '{"a": 3}', /tensor "a" is not an object/],
    ['no dtype', '{"a": {"shape": [], "data_offsets": [0, 4]}}', /tensor "a" has no dtype/],
    ['no shape', '{"a": {"dtype": "F32", "data_offsets": [0, 4]}}', /tensor "a" has no shape/],
    ['no data_offsets', '{"a": {"dtype": "F32", "shape": []}}', /tensor "a" has no data_offsets/],
    [
      'a dtype not a string',
      '{"a": {"dtype": 32, "shape": [], "data_offsets": [0, 4]}}',
      /tensor "a" has a dtype that is not a string/,
    ],
    [
      'a negative dimension',
      '{"a": {"dtype": "F32", "shape": [-1], "data_offsets": [0, 4]}}',
      /tensor "a" has shape \[-1\]/,
    ],
    [
      'a fractional dimension',
      '{"a": {"dtype": "F32", "shape": [1.5], "data_offsets": [0, 4]}}',
      /tensor "a" has shape \[1\.5\]/,
    ],
    [
      'a dimension as a string',
      '{"a": {"dtype": "F32", "shape": ["1"], "data_offsets": [0, 4]}}',
      /tensor "a" has shape \["1"\]/,
    ],
    [
      'a shape not a list',
      '{"a": {"dtype": "F32", "shape": 1, "data_offsets": [0, 4]}}',
      /tensor "a" has shape 1/,
    ],
    [
      'one offset',
      '{"a": {"dtype": "F32", "shape": [], "data_offsets": [4]}}',
      /tensor "a" has data_offsets \[4\]/,
    ],
    [
      'begin past end',
      '{"a": {"dtype": "F32", "shape": [], "data_offsets": [4, 0]}}',
      /tensor "a" has data_offsets \[4, 0\]: begin is past end/,
    ],
    [
      'a span unlike the shape',
      '{"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 4]}}',
      /tensor "a" has shape \[2\] \(8 bytes of F32\) but data_offsets \[0, 4\] span 4 bytes/,
    ],
    [
      'metadata not an object',
      '{"__metadata__": "x", "a": {"dtype": "F32", "shape": [], "data_offsets": [0, 4]}}',
      /"__metadata__" is not an object/,
    ],
    [
      'a metadata value not a string',
      '{"__metadata__": {"n": 3}, "a": {"dtype": "F32", "shape": [], "data_offsets": [0, 4]}}',
      /"__metadata__" entry "n" is not a string/,
    ],
  ])('%s', (_, header, message) => {
    refused(() => decode(fileOf(header, new Uint8Array(4))), message);
  });

  test('a header that is not UTF-8', () => {
    const file = fileOf('{"a":1}');
    new Uint8Array(file)[10] = 0xff;
    refused(() => decode(file), /not UTF-8 JSON/);
  });

  test.each(['F16', 'F64', 'BF16'])('dtype %s, naming the tensor', (dtype) => {
    const { header, data } = split(GOOD);
    const edited = header.replace('"F32"', `"${dtype}"`);
    refused(
      () => decode(fileOf(edited, data)),
      new RegExp(`^tensor "a\\.weight" has dtype ${dtype}; only F32 is supported$`),
    );
  });

  test('overlapping tensors', () => {
    const header =
      '{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},' +
      '"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}';
    refused(() => decode(fileOf(header, new Uint8Array(12))), /tensor "b" overlaps tensor "a"/);
  });

  test('a hole between tensors', () => {
    const header =
      '{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},' +
      '"b":{"dtype":"F32","shape":[2],"data_offsets":[12,20]}}';
    refused(
      () => decode(fileOf(header, new Uint8Array(20))),
      /hole: bytes 8 to 12 belong to no tensor/,
    );
  });

  test('bytes after the last tensor', () => {
    const { header, data } = split(GOOD);
    const longer = new Uint8Array(data.length + 4);
    longer.set(data);
    refused(() => decode(fileOf(header, longer)), /hole: bytes \d+ to \d+ belong to no tensor/);
  });

  test('a file over maxBytes', () => {
    refused(
      () => decodeSafetensors(GOOD, { maxBytes: 100 }),
      /the file is \d+ bytes; the limit is 100 bytes/,
    );
  });
});

describe('expectTensors', () => {
  const expected = TENSORS.map(({ name, shape }) => ({ name, shape }));

  test('accepts the tensors a model needs', () => {
    expect(() => expectTensors(decode(GOOD), expected)).not.toThrow();
  });

  test('a missing tensor', () => {
    const needs = [...expected, { name: 'b.weight', shape: [128, 384] }];
    refused(() => expectTensors(decode(GOOD), needs), /no tensor "b\.weight" \(missing 1 of the 7/);
  });

  test('an extra tensor', () => {
    refused(
      () => expectTensors(decode(GOOD), expected.slice(1)),
      /tensor "a\.weight" that this model does not use/,
    );
  });

  test('a shape mismatch', () => {
    const needs = expected.map((e) => (e.name === 'a.weight' ? { ...e, shape: [128, 384] } : e));
    refused(
      () => expectTensors(decode(GOOD), needs),
      /^tensor "a\.weight" has shape \[3, 4\]; this model needs \[128, 384\]$/,
    );
  });

  test('a scalar is not a [1]', () => {
    const needs = expected.map((e) => (e.name === 'scale' ? { ...e, shape: [1] } : e));
    refused(
      () => expectTensors(decode(GOOD), needs),
      /tensor "scale" has shape \[\]; this model needs \[1\]/,
    );
  });
});

describe('encodeSafetensors refuses', () => {
  test('data that does not fill its shape', () => {
    const bad = { name: 'w', shape: [2, 3], data: new Float32Array(5) };
    refused(() => encodeSafetensors([bad]), /tensor "w" has 5 values but shape \[2, 3\] needs 6/);
  });

  test('a repeated name', () => {
    const t = TENSORS[0]!;
    refused(() => encodeSafetensors([t, t]), /tensor "a\.weight" appears twice/);
  });
});
