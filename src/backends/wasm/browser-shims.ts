/**
 * What the browser bundle (scripts/build-browser.mjs) gives the wasm backend in place of node:fs, node:os and
 * node:worker_threads. The browser backend never reaches them: its kernel module is compiled by `init()` before
 * the backend exists (module.ts finds it cached) and it runs on one thread, so no worker starts and the thread
 * count is never asked of the OS. Each one throws naming itself, so a future path that does reach it fails loudly.
 */
function unavailable(what: string): never {
  throw new Error(`[wasm] ${what} is not available in the browser build (see src/backends/wasm/browser.ts)`);
}

export function readFileSync(path: unknown): never {
  return unavailable(`node:fs readFileSync(${String(path)})`);
}

export function availableParallelism(): never {
  return unavailable('node:os availableParallelism');
}

export class Worker {
  constructor() {
    unavailable('node:worker_threads Worker');
  }
}
