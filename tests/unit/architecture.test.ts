/**
 * The shape of src/ (README "How it works"): each folder imports only folders below it, and no
 * file grows past 400 lines. Read from the files themselves, so a new upward import or a new god
 * file fails here, naming the file.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, test } from 'vitest';

const SRC = resolve(__dirname, '../../src');

/** Folders by layer: a file may import its own folder or a lower layer, never a higher one. */
const LAYERS: Readonly<Record<string, number>> = {
  maths: 0,
  gpu: 0,
  settings: 1,
  io: 1,
  sim: 2,
  record: 2,
  render: 3,
  sandbox: 4,
  ui: 5,
  app: 6,
};
const MAX_LINES = 400;

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? files(path) : path.endsWith('.ts') ? [path] : [];
  });
}

const folderOf = (path: string): string => relative(SRC, path).split('/')[0]!;

const sources = files(SRC).map((path) => ({ path, text: readFileSync(path, 'utf8') }));

describe('architecture', () => {
  test('every file of src/ is in a layered folder', () => {
    const loose = sources
      .map((s) => relative(SRC, s.path))
      .filter((p) => !(p.split('/')[0]! in LAYERS) && p !== 'vite-env.d.ts' && p !== 'global.d.ts');
    expect(loose).toEqual([]);
  });

  test('no import runs upward', () => {
    const upward: string[] = [];
    for (const { path, text } of sources) {
      const from = folderOf(path);
      for (const [, spec] of text.matchAll(/(?:from|import)\s*\(?\s*'(\.[^']+)'/g)) {
        const to = folderOf(resolve(dirname(path), spec!));
        if (to in LAYERS && from in LAYERS && LAYERS[to]! > LAYERS[from]!)
          upward.push(`${relative(SRC, path)} imports ${spec} (${from} < ${to})`);
      }
    }
    expect(upward).toEqual([]);
  });

  test(`no file of src/ is over ${MAX_LINES} lines`, () => {
    const long = sources
      .map((s) => ({ file: relative(SRC, s.path), lines: s.text.split('\n').length - 1 }))
      .filter((f) => f.lines > MAX_LINES)
      .map((f) => `${f.file}: ${f.lines}`);
    expect(long).toEqual([]);
  });
});
