/**
 * The byte layouts that CPU code writes or reads without a compiled kernel (packHeld/unpackHeld,
 * memorisationOf, packMixture) against the WGSL structs of shaders/lib/, read by webgpu-utils'
 * reflection as the GPU layer reads them: each record is written through one side and read
 * through the other, field by field, on fresh random values.
 */
import { globals } from 'webgpu';
import { makeStructuredView, type StructDefinition } from 'webgpu-utils';
import { describe, expect, test } from 'vitest';
import { structOf } from '../../src/gpu/wgslIncludes';
import { HELD_WORDS, langevinCpu, packHeld, unpackHeld } from '../../src/maths/langevin';
import { memorisationOf, NEAREST_RECORD_BYTES } from '../../src/maths/memorisation';
import { packMixture } from '../../src/sim/run/mixture';
import { readShaderSources } from '../bench/shaders';
import { Rng } from '../../src/maths/rng';
import { SEED } from '../random';

// webgpu-utils refers to GPUShaderStage, which Node only has from the webgpu package.
Object.assign(globalThis, globals);

const { sources } = readShaderSources();
const rng = new Rng(SEED, 81);

/** Record i of an array of `struct` in `bytes`, field by field, as numbers. */
function record(struct: StructDefinition, bytes: ArrayBuffer, i: number): Record<string, number[]> {
  const views = makeStructuredView(struct, bytes, i * struct.size).views as Record<
    string,
    ArrayLike<number>
  >;
  return Object.fromEntries(Object.entries(views).map(([name, v]) => [name, Array.from(v)]));
}

const f32 = (values: number[]): number[] => values.map(Math.fround);

describe(`WGSL layouts of CPU-side records (SEED=${SEED})`, () => {
  test('packHeld and unpackHeld write and read struct Held (lib/held.wgsl)', () => {
    const Held = structOf(sources, 'lib/held.wgsl', 'Held');
    expect(4 * HELD_WORDS).toBe(Held.size);
    const lanes = 5;
    const held = langevinCpu(lanes).held;
    for (let i = 0; i < lanes; i++) {
      held.x.set([rng.normal(), rng.normal()], 2 * i);
      held.x0hat.set([rng.normal(), rng.normal()], 2 * i);
      held.energy[i] = rng.normal();
      held.logQ[i] = rng.normal();
      held.moves[i] = rng.int(1e6);
      held.pending[i] = i % 2;
    }
    const bytes = packHeld(held);
    expect(bytes.byteLength).toBe(lanes * Held.size);
    for (let i = 0; i < lanes; i++) {
      const r = record(Held, bytes, i);
      expect(r.x).toEqual(f32([held.x[2 * i]!, held.x[2 * i + 1]!]));
      expect(r.x0hat).toEqual(f32([held.x0hat[2 * i]!, held.x0hat[2 * i + 1]!]));
      expect(r.energy).toEqual(f32([held.energy[i]!]));
      expect(r.log_q).toEqual(f32([held.logQ[i]!]));
      expect(r.moves).toEqual([held.moves[i]]);
      expect(r.pending).toEqual([held.pending[i]]);
    }
    // And back: records written by reflection read by unpackHeld.
    const written = new ArrayBuffer(lanes * Held.size);
    for (let i = 0; i < lanes; i++)
      makeStructuredView(Held, written, i * Held.size).set({
        x: [held.x[2 * i]!, held.x[2 * i + 1]!],
        x0hat: [held.x0hat[2 * i]!, held.x0hat[2 * i + 1]!],
        energy: held.energy[i]!,
        log_q: held.logQ[i]!,
        moves: held.moves[i]!,
        pending: held.pending[i]!,
      });
    const back = unpackHeld(written, lanes);
    expect(Array.from(back.x)).toEqual(f32(Array.from(held.x)));
    expect(Array.from(back.x0hat)).toEqual(f32(Array.from(held.x0hat)));
    expect(Array.from(back.energy)).toEqual(f32(Array.from(held.energy)));
    expect(Array.from(back.logQ)).toEqual(f32(Array.from(held.logQ)));
    expect(Array.from(back.moves)).toEqual(Array.from(held.moves));
    expect(Array.from(back.pending)).toEqual(Array.from(held.pending));
  });

  test('memorisationOf reads struct Nearest (lib/nearest.wgsl)', () => {
    const Nearest = structOf(sources, 'lib/nearest.wgsl', 'Nearest');
    expect(NEAREST_RECORD_BYTES).toBe(Nearest.size);
    const n = 7;
    const bytes = new ArrayBuffer(n * Nearest.size);
    const ratios: number[] = [];
    for (let i = 0; i < n; i++) {
      const d2 = 1 + rng.uniform();
      const d1 = d2 * rng.uniform();
      ratios.push(Math.sqrt(Math.fround(d1) / Math.fround(d2)));
      makeStructuredView(Nearest, bytes, i * Nearest.size).set({ d1, d2, index: i });
    }
    const median = [...ratios].sort((a, b) => a - b)[(n - 1) / 2]!;
    expect(memorisationOf(bytes, n, 4).ratio).toBe(median);
  });

  test('packMixture writes struct Component (lib/mixture.wgsl)', () => {
    const Component = structOf(sources, 'lib/mixture.wgsl', 'Component');
    const components = Array.from({ length: 3 }, () => ({
      weight: 0.1 + rng.uniform(),
      mean: [rng.normal(), rng.normal()] as [number, number],
      cov: [1 + rng.uniform(), 0.3 * rng.normal(), 1 + rng.uniform()] as [number, number, number],
    }));
    const packed = packMixture({ components });
    expect(packed.byteLength).toBe(components.length * Component.size);
    components.forEach((c, k) => {
      const r = record(Component, packed.buffer, k);
      expect(r.mean).toEqual(f32(c.mean));
      expect(r.log_weight).toEqual(f32([Math.log(c.weight)]));
      expect(r.cov!.slice(0, 3)).toEqual(f32(c.cov));
    });
  });
});
