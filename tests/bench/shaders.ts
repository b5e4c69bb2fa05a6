/**
 * Every WGSL file under shaders/, read from disk into the shape src/gpu/shaderSources.ts gives
 * the app ('run/ddim.wgsl', 'lib/rng.wgsl', ...). From the repository (tests/bench/../../shaders) or
 * from the copy beside the bundle (dist-bench/shaders).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ShaderSources } from '../../src/gpu/kernel';

function shadersDir(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  const candidates = [join(here, 'shaders'), join(here, '..', '..', 'shaders')];
  const found = candidates.find((d) => existsSync(join(d, 'lib', 'step.wgsl')));
  if (!found) throw new Error(`no shaders/ folder at ${candidates.join(' or ')}`);
  return found;
}

function wgslFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return wgslFiles(path);
    return e.isFile() && e.name.endsWith('.wgsl') ? [path] : [];
  });
}

export function readShaderSources(): { dir: string; sources: ShaderSources } {
  const dir = shadersDir();
  const sources = Object.fromEntries(
    wgslFiles(dir).map((path) => [
      relative(dir, path).split(sep).join('/'),
      readFileSync(path, 'utf8'),
    ]),
  );
  return { dir, sources };
}
