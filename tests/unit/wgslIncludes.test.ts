/**
 * The include resolver of src/gpu/wgslIncludes.ts on small made-up sources, then on every kernel
 * in shaders/: each resolves, includes each lib file once, and parses.
 */
import { globals } from 'webgpu';
import { makeShaderDataDefinitions } from 'webgpu-utils';
import { describe, expect, it } from 'vitest';
import { includesOf, resolveIncludes } from '../../src/gpu/wgslIncludes';
import { readShaderSources } from '../bench/shaders';

// webgpu-utils refers to GPUShaderStage, which Node only has from the webgpu package.
Object.assign(globalThis, globals);

describe('resolveIncludes', () => {
  it('puts nested includes first, each once, and the file last', () => {
    const sources = {
      'k.wgsl': '//#include "lib/b.wgsl"\n//#include "lib/a.wgsl"\nfn k() {}',
      'lib/a.wgsl': 'fn a() {}',
      'lib/b.wgsl': '//#include "lib/a.wgsl"\n// #include "lib/c.wgsl"\nfn b() {}',
      'lib/c.wgsl': '//#include "lib/a.wgsl"\nfn c() {}',
    };
    const code = resolveIncludes(sources, 'k.wgsl');
    const order = [...code.matchAll(/^fn (\w)\(\)/gm)].map((m) => m[1]);
    expect(order).toEqual(['a', 'c', 'b', 'k']);
  });

  it('names the missing file and the file that includes it', () => {
    const sources = {
      'k.wgsl': '//#include "lib/a.wgsl"',
      'lib/a.wgsl': '//#include "lib/x.wgsl"',
    };
    expect(() => resolveIncludes(sources, 'k.wgsl')).toThrow(
      'no shader source lib/x.wgsl (included by lib/a.wgsl)',
    );
    expect(() => resolveIncludes(sources, 'nothing.wgsl')).toThrow('no shader source nothing.wgsl');
  });

  it('names the files of a cycle in order', () => {
    const sources = {
      'k.wgsl': '//#include "lib/a.wgsl"',
      'lib/a.wgsl': '//#include "lib/b.wgsl"',
      'lib/b.wgsl': '//#include "lib/a.wgsl"',
    };
    expect(() => resolveIncludes(sources, 'k.wgsl')).toThrow(
      'WGSL include cycle: lib/a.wgsl -> lib/b.wgsl -> lib/a.wgsl',
    );
    expect(() => resolveIncludes({ 'k.wgsl': '//#include "k.wgsl"' }, 'k.wgsl')).toThrow(
      'WGSL include cycle: k.wgsl -> k.wgsl',
    );
  });

  it('rejects a directive without a quoted path, with its line', () => {
    expect(() => includesOf('k.wgsl', 'fn k() {}\n//#include lib/a.wgsl')).toThrow(
      'k.wgsl:2: expected //#include "path"',
    );
    // Other comments are no directives.
    expect(includesOf('k.wgsl', '// includes lib/a.wgsl\n//#include "lib/a.wgsl" ')).toEqual([
      'lib/a.wgsl',
    ]);
  });
});

const { sources } = readShaderSources();
const kernels = Object.keys(sources).filter((path) => !path.startsWith('lib/'));

describe('the kernels of shaders/', () => {
  it('live in subfolders, lib/ holding only what kernels include', () => {
    expect(kernels.length).toBeGreaterThan(30);
    for (const path of kernels)
      expect(path).toMatch(/^(run|observe|field|distance|learn)\/[a-z0-9_]+\.wgsl$/);
    const used = new Set(Object.entries(sources).flatMap(([path, code]) => includesOf(path, code)));
    expect([...Object.keys(sources)].filter((p) => p.startsWith('lib/') && !used.has(p))).toEqual(
      [],
    );
  });

  it.each(kernels)('%s resolves, each file once, and parses with one entry point', (path) => {
    const code = resolveIncludes(sources, path);
    const headers = code.split('\n').filter((line) => /^\s*\/\/#include/.test(line)).length;
    const files = new Set(includesOf(path, sources[path]!));
    for (const lib of files) expect(code.split(sources[lib]!).length - 1).toBe(1);
    expect(headers).toBeGreaterThan(0);
    const definitions = makeShaderDataDefinitions(code);
    expect(Object.keys(definitions.entryPoints)).toEqual(['main']);
  });
});
