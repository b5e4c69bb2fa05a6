/**
 * The byte layouts that CPU code writes or reads without a compiled kernel (packLangevinState/unpackLangevinState,
 * memorisationOf, packMixture) against the WGSL structs of shaders/lib/, read by webgpu-utils'
 * reflection as the GPU layer reads them: each record is written through one side and read
 * through the other, field by field, on fresh random values.
 */
import { globals } from 'webgpu';
import { makeStructuredView, type StructDefinition } from 'webgpu-utils';
import { describe, expect, test } from 'vitest';
import { structOf } from '../../src/gpu/wgslIncludes';
import {
  LANGEVIN_STATE_WORDS,
  langevinCpu,
  packLangevinState,
  unpackLangevinState,
} from '../../src/maths/langevin';
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
  test('packLangevinState and unpackLangevinState write and read struct LangevinState (lib/langevin_state.wgsl)', () => {
    const LangevinState = structOf(sources, 'lib/langevin_state.wgsl', 'LangevinState');
    expect(4 * LANGEVIN_STATE_WORDS).toBe(LangevinState.size);
    const lanes = 5;
    const langevinState = langevinCpu(lanes).langevinState;
    for (let i = 0; i < lanes; i++) {
      langevinState.x.set([rng.normal(), rng.normal()], 2 * i);
      langevinState.x0hat.set([rng.normal(), rng.normal()], 2 * i);
      langevinState.energy[i] = rng.normal();
      langevinState.logQ[i] = rng.normal();
      langevinState.moves[i] = rng.int(1e6);
      langevinState.pending[i] = i % 2;
    }
    const bytes = packLangevinState(langevinState);
    expect(bytes.byteLength).toBe(lanes * LangevinState.size);
    for (let i = 0; i < lanes; i++) {
      const r = record(LangevinState, bytes, i);
      expect(r.x).toEqual(f32([langevinState.x[2 * i]!, langevinState.x[2 * i + 1]!]));
      expect(r.x0hat).toEqual(f32([langevinState.x0hat[2 * i]!, langevinState.x0hat[2 * i + 1]!]));
      expect(r.energy).toEqual(f32([langevinState.energy[i]!]));
      expect(r.log_q).toEqual(f32([langevinState.logQ[i]!]));
      expect(r.moves).toEqual([langevinState.moves[i]]);
      expect(r.pending).toEqual([langevinState.pending[i]]);
    }
    // And back: records written by reflection read by unpackLangevinState.
    const written = new ArrayBuffer(lanes * LangevinState.size);
    for (let i = 0; i < lanes; i++)
      makeStructuredView(LangevinState, written, i * LangevinState.size).set({
        x: [langevinState.x[2 * i]!, langevinState.x[2 * i + 1]!],
        x0hat: [langevinState.x0hat[2 * i]!, langevinState.x0hat[2 * i + 1]!],
        energy: langevinState.energy[i]!,
        log_q: langevinState.logQ[i]!,
        moves: langevinState.moves[i]!,
        pending: langevinState.pending[i]!,
      });
    const back = unpackLangevinState(written, lanes);
    expect(Array.from(back.x)).toEqual(f32(Array.from(langevinState.x)));
    expect(Array.from(back.x0hat)).toEqual(f32(Array.from(langevinState.x0hat)));
    expect(Array.from(back.energy)).toEqual(f32(Array.from(langevinState.energy)));
    expect(Array.from(back.logQ)).toEqual(f32(Array.from(langevinState.logQ)));
    expect(Array.from(back.moves)).toEqual(Array.from(langevinState.moves));
    expect(Array.from(back.pending)).toEqual(Array.from(langevinState.pending));
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
      expect(r.label).toEqual([k]);
    });
  });
});
