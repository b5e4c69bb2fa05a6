/**
 * WGSL has no modules, so kernels name the shared files they use with a directive at their top,
 *   //#include "lib/rng.wgsl"
 * a path relative to shaders/ (a WGSL comment, so a file still parses on its own). A kernel's
 * source is every file it includes, directly or through another lib file, each once and before
 * the files that include it, then the kernel itself.
 */
import { makeShaderDataDefinitions, type StructDefinition } from 'webgpu-utils';
import type { ShaderSources } from './kernel';

const DIRECTIVE = /^\s*\/\/\s*#include\b(.*)$/;
const QUOTED = /^\s*"([^"]+)"\s*$/;

/** The include paths a file names, in order; a malformed directive throws. */
export function includesOf(path: string, code: string): string[] {
  const found: string[] = [];
  code.split('\n').forEach((line, index) => {
    const directive = DIRECTIVE.exec(line);
    if (!directive) return;
    const quoted = QUOTED.exec(directive[1]!);
    if (!quoted)
      throw new Error(`${path}:${index + 1}: expected //#include "path", got ${line.trim()}`);
    found.push(quoted[1]!);
  });
  return found;
}

/** The source of `path` with everything it includes, each file once, dependencies first. */
export function resolveIncludes(sources: ShaderSources, path: string): string {
  const parts: string[] = [];
  const done = new Set<string>();
  const visit = (file: string, chain: readonly string[]): void => {
    if (done.has(file)) return;
    if (chain.includes(file))
      throw new Error(
        `WGSL include cycle: ${[...chain.slice(chain.indexOf(file)), file].join(' -> ')}`,
      );
    const code = sources[file];
    if (code === undefined) {
      const from = chain.length > 0 ? ` (included by ${chain[chain.length - 1]})` : '';
      throw new Error(`no shader source ${file}${from}`);
    }
    for (const dependency of includesOf(file, code)) visit(dependency, [...chain, file]);
    done.add(file);
    parts.push(code);
  };
  visit(path, []);
  return parts.join('\n');
}

/**
 * A struct's layout as declared in a shader file (and what it includes), by reflection: for
 * buffers sized before any kernel that uses the struct is compiled.
 */
export function structOf(sources: ShaderSources, path: string, name: string): StructDefinition {
  const struct = makeShaderDataDefinitions(resolveIncludes(sources, path)).structs[name];
  if (!struct) throw new Error(`${path}: no struct ${name}`);
  return struct;
}
