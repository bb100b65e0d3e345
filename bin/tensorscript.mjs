#!/usr/bin/env node
// The `tensorscript` command. The package ships its TypeScript sources and runs them through tsx
// (docs/decisions/cli-typescript-runtime.md), so register tsx's loader before importing the CLI.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
