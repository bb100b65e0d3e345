import type { PoolHost } from './pool.ts';
import { WEB_WORKER_SOURCE } from './worker-source.ts';

interface WebWorker {
  postMessage(message: unknown): void;
  terminate(): void;
  onerror: ((e: { message?: string; preventDefault(): void }) => void) | null;
}
interface WebGlobals {
  Worker: new (url: string, opts: { name: string }) => WebWorker;
  Blob: new (parts: string[], opts: { type: string }) => unknown;
  URL: { createObjectURL(blob: unknown): string };
}

/**
 * A page's pool threads: Web Workers started from a Blob URL of the worker program (so no worker file has to be
 * served next to the bundle; a blob worker inherits the page's cross-origin isolation), each sent the compiled
 * module and the shared memory in its first message. The main thread may not sleep in Atomics.wait, so the
 * pool spins while workers finish; there is no process CPU clock, so no starvation test.
 */
export function webWorkers(): PoolHost {
  const g = globalThis as unknown as WebGlobals;
  const url = g.URL.createObjectURL(new g.Blob([WEB_WORKER_SOURCE], { type: 'text/javascript' }));
  return {
    spawn(start, onError) {
      const w = new g.Worker(url, { name: `tensorscript-wasm-${start.tid}` });
      w.onerror = (e) => {
        e.preventDefault();
        onError(new Error(`[wasm] pool worker ${start.tid} failed: ${e.message ?? 'no message'}`));
      };
      w.postMessage(start);
      return w;
    },
    callerMayWait: false,
  };
}
