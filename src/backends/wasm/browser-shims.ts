/**
 * What the browser bundle (scripts/build-browser.mjs) gives the wasm backend in place of node:fs, node:os and the
 * Node pool host (node-workers.ts, the one file that imports node:worker_threads). The browser backend never
 * reaches them: its kernel module is compiled by `init()` before the backend exists (module.ts finds it cached),
 * `init()` always passes the thread count, and its workers come from web-workers.ts. Each one throws naming
 * itself, so a future path that does reach it fails loudly.
 */
import type { PoolHost } from './pool.ts';

function unavailable(what: string): never {
  throw new Error(`[wasm] ${what} is not available in the browser build (see src/backends/wasm/browser.ts)`);
}

export function readFileSync(path: unknown): never {
  return unavailable(`node:fs readFileSync(${String(path)})`);
}

export function availableParallelism(): never {
  return unavailable('node:os availableParallelism');
}

export const nodeWorkers: PoolHost = {
  spawn: () => unavailable('node:worker_threads Worker'),
  callerMayWait: false,
};
