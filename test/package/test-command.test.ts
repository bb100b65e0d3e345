/**
 * The README's test command, package.json, scripts/test.mjs and .ci/run must tell one story: CI runs exactly the
 * README's commands (install, then the test command) before its extra checks, `npm test` is scripts/test.mjs,
 * and scripts/test.mjs runs the same type check and lint as the `typecheck` and `lint` scripts plus every test.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { it } from 'node:test';

const ROOT = resolve(import.meta.dirname, '..', '..');
const read = (f: string) => readFileSync(join(ROOT, f), 'utf8');

/** The commands of the README's first fenced block, comments stripped. */
function readmeCommands(): string[] {
  const m = /```[a-z]*\n([\s\S]*?)```/.exec(read('README.md'));
  assert.ok(m, 'README.md has no fenced block');
  return m[1]!
    .split('\n')
    .map((l) => l.replace(/#.*$/, '').trim())
    .filter((l) => l !== '');
}

/** The command lines of .ci/run (comments, blank lines and shell structure kept as written). */
function ciLines(): string[] {
  return read('.ci/run')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'));
}

it('the README names the install and the test command, and .ci/run runs exactly them, in order, first', () => {
  const cmds = readmeCommands();
  assert.equal(cmds.length, 2, `README's first block: ${cmds.join(' | ')}`);
  const [install, test] = cmds as [string, string];
  assert.match(install, /^npm ci\b/);
  assert.equal(test, 'npm test');
  const lines = ciLines();
  // The install may carry flags that change no result (--no-audit/--no-fund), nothing else.
  const ci = lines.findIndex((l) => /^npm ci\b/.test(l));
  assert.ok(ci >= 0, '.ci/run has no npm ci');
  assert.deepEqual(
    lines[ci]!.split(/\s+/).filter((a) => !['npm', 'ci', '--no-audit', '--no-fund'].includes(a)),
    [],
    `.ci/run installs with ${lines[ci]}`,
  );
  assert.equal(lines[ci + 1], test, 'the line after npm ci in .ci/run must be the README test command');
  assert.equal(lines.filter((l) => l === test).length, 1, 'npm test runs once');
  // Nothing but the apt set-up may come before the install.
  for (const l of lines.slice(0, ci)) assert.doesNotMatch(l, /\bnpm\b|node scripts\//, `before npm ci: ${l}`);
});

it('npm test is scripts/test.mjs, with the typecheck and lint scripts and every test file', () => {
  const pkg = JSON.parse(read('package.json')) as { scripts: Record<string, string> };
  assert.equal(pkg.scripts.test, 'node scripts/test.mjs');
  const src = read('scripts/test.mjs');
  const npx = [...src.matchAll(/run\('npx', \[([^\]]*)\]\)/g)].map((m) =>
    m[1]!
      .split(',')
      .map((a) => a.trim().replace(/^'|'$/g, ''))
      .join(' '),
  );
  assert.deepEqual(npx, [pkg.scripts.typecheck, pkg.scripts.lint]);
  assert.match(src, /findTests\('test'\)/, 'scripts/test.mjs must collect every test file under test/');
  // The other runtimes in .ci/run run the same script, not a hand-made subset.
  const extra = ciLines().filter((l) => /scripts\/test\.mjs/.test(l));
  assert.ok(extra.length > 0, '.ci/run runs the suite on no other Node');
  for (const l of extra) assert.match(l, /node scripts\/test\.mjs$/, `.ci/run: ${l}`);
});
