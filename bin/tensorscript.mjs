#!/usr/bin/env node
// The `tensorscript` command: runs the compiled CLI in dist/ (docs/decisions/package.md). In a source checkout
// dist/ is written by `npm ci`/`npm install` (the `prepare` script) or `npm run build`.
import { existsSync } from 'node:fs';

const entry = new URL('../dist/cli/main.js', import.meta.url);
if (!existsSync(entry)) {
  console.error(`[tensorscript] ${entry.pathname} is missing: run \`npm run build\` in the package folder first`);
  process.exit(1);
}
const { main } = await import(entry.href);
process.exitCode = await main(process.argv.slice(2));
