/**
 * `npm run test:stress [-- --runs N] [-- --project unit]`: runs the randomised unit and GPU tests
 * N times (20 by default), each with a fresh SEED, and reports every failure with its seed and,
 * per test, the worst error / tolerance ratio that `within` (tests/random.ts) saw over the runs.
 * A ratio near 1 is a tolerance that the error model barely covers; far below 1, a loose one.
 */
import { spawnSync } from 'node:child_process';
import { randomInt } from 'node:crypto';
import { existsSync, writeFileSync } from 'node:fs';

function option(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1]! : fallback;
}

const runs = Number(option('runs', '20'));
const projects = option('project', 'unit,gpu').split(',');
const report = option('json', '');
if (!Number.isInteger(runs) || runs < 1) throw new Error(`--runs must be a positive integer`);

// The unit tests check the built app's data files under CI (tests/unit/mnist.test.ts): build
// first if there is no build.
if (!existsSync('dist/index.html')) {
  console.log('no dist/: npm run build');
  const build = spawnSync('npm', ['run', 'build'], { stdio: 'inherit' });
  if (build.status !== 0) process.exit(1);
}

/** An ANSI colour code (ESC [ ... m). */
const COLOUR = new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*m`, 'g');

const worst = new Map<string, { ratio: number; seed: number }>();
const failures: { seed: number; lines: string[] }[] = [];
const seeds: number[] = [];
const started = Date.now();

/** Writes the report so far (after every run: a long stress run that is stopped keeps it). */
function save(done: number): void {
  if (!report) return;
  const sorted = [...worst].sort((a, b) => b[1].ratio - a[1].ratio);
  writeFileSync(report, JSON.stringify({ runs: done, seeds, failures, worst: sorted }, null, 2));
}

for (let r = 0; r < runs; r++) {
  const seed = randomInt(2 ** 32);
  seeds.push(seed);
  const t0 = Date.now();
  const args = ['vitest', 'run', ...projects.flatMap((p) => ['--project', p])];
  const child = spawnSync('npx', args, {
    env: { ...process.env, SEED: String(seed), STRESS: '1', FORCE_COLOR: '0', CI: 'true' },
    encoding: 'utf8',
    maxBuffer: 1 << 28,
  });
  const out = `${child.stdout}\n${child.stderr}`;
  for (const raw of out.split('\n')) {
    // Browser-mode tests' output carries colour codes even with FORCE_COLOR=0.
    const line = raw.replace(COLOUR, '');
    const m = /^RATIO\t([\d.]+|Infinity)\t(.*)$/.exec(line);
    if (!m) continue;
    const ratio = Number(m[1]);
    const name = m[2]!.replace(/ \(SEED=\d+\)/g, '');
    if (ratio > (worst.get(name)?.ratio ?? -1)) worst.set(name, { ratio, seed });
  }
  const failed = out
    .split('\n')
    .filter((l) => /^\s*(FAIL|×)\s/.test(l) || /AssertionError/.test(l));
  if (child.status !== 0)
    failures.push({ seed, lines: failed.length ? failed : [out.slice(-2000)] });
  const secs = ((Date.now() - t0) / 1000).toFixed(0);
  console.log(
    `run ${r + 1}/${runs}: SEED=${seed} ${child.status === 0 ? 'passed' : 'FAILED'} in ${secs} s`,
  );
  if (child.status !== 0)
    console.log(
      failures
        .at(-1)!
        .lines.map((l) => `    ${l}`)
        .join('\n'),
    );
  save(r + 1);
}

const sorted = [...worst].sort((a, b) => b[1].ratio - a[1].ratio);
console.log(
  `\n${runs} runs, ${projects.join(' + ')}, ${((Date.now() - started) / 60000).toFixed(1)} min`,
);
console.log(`seeds: ${seeds.join(' ')}`);
console.log(`\nworst error / tolerance over ${sorted.length} toleranced tests (top 20):`);
for (const [name, { ratio, seed }] of sorted.slice(0, 20))
  console.log(`  ${ratio.toFixed(3)}  SEED=${seed}  ${name}`);
for (const f of failures) console.log(`\nFAILED with SEED=${f.seed}:\n${f.lines.join('\n')}`);
console.log(`\n${runs - failures.length} passed, ${failures.length} failed`);
process.exit(failures.length ? 1 : 0);
