// Runs the whole suite: type check, lint/format check, then every test file under test/ with node's test runner.
// Node 20's --test cannot glob .ts files itself, so the file list is built here.
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

function run(cmd, args) {
  const r = spawnSync(cmd, args, { stdio: 'inherit' });
  if (r.status !== 0) process.exit(r.status ?? 1);
}

function findTests(dir) {
  const out = [];
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...findTests(p));
    else if (name.endsWith('.test.ts')) out.push(p);
  }
  return out;
}

const only = process.argv.slice(2);
if (only.length === 0) {
  run('npx', ['tsc', '--noEmit', '-p', '.']);
  run('npx', ['biome', 'check', '.']);
}
const files = only.length > 0 ? only : findTests('test');
run(process.execPath, ['--import', 'tsx', '--test', '--test-concurrency=2', ...files]);
