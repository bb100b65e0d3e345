/**
 * The wasm backend in a browser page. `init()` fetches the kernel binary (relaxed SIMD when the browser
 * validates it, else SIMD128) from next to the bundle or from a given URL/bytes, compiles it asynchronously and
 * makes `wasm` the current backend; before that, ops run on the reference backend.
 *
 * Threads: when the page is cross-origin isolated (COOP/COEP headers, so `crossOriginIsolated` is true and a
 * shared WebAssembly.Memory can be posted to workers), `init` starts the Node backend's pool with Web Workers
 * instead of worker threads (web-workers.ts): the same shared memory, the same claiming protocol (pool.ts), the
 * compiled module and the memory posted to each worker, and `init` resolves once every worker is up. The page's
 * main thread may not block in Atomics.wait, so it spins while workers finish their blocks; workers sleep as in
 * Node. Without isolation there is no way to share the memory, so every task runs on the calling thread.
 * `wasmInfo()` (also logged once by `init`) says which, and why.
 */
import { fail } from '../../core/errors.ts';
import { checkOptionKeys, optionKeys } from '../../core/options.ts';
import { registerBackend, setBackend } from '../../kernels/registry.ts';
import { WasmBackend } from './backend.ts';
import { type KernelFlavor, provideKernelModule, relaxedSimdSupported } from './module.ts';
import type { WasmModule } from './wasm-api.ts';
import { webWorkers } from './web-workers.ts';

export interface BrowserWasmInfo {
  readonly flavor: KernelFlavor;
  /** Threads a task may be split across: the page's own plus its Web Workers (1 without the pool). */
  readonly threads: number;
  readonly crossOriginIsolated: boolean;
  /** How many threads and why, in words. */
  readonly threading: string;
  /** Tasks published to the workers so far (live; 0 on one thread). */
  readonly dispatchedTasks: number;
  /** Blocks of those tasks that workers, not the page's thread, ran (live; 0 on one thread). */
  readonly workerBlocks: number;
}

export interface InitOptions {
  /** Where the kernel binary is (default: kernels-<flavor>.wasm next to this module, i.e. the bundle). */
  readonly url?: string | URL;
  /** The kernel binary itself, instead of fetching it. */
  readonly bytes?: Uint8Array | ArrayBuffer;
  /** Force a kernel build (default: relaxed SIMD when the browser validates it). */
  readonly flavor?: KernelFlavor;
  /** Do not log the threading line (default false). */
  readonly quiet?: boolean;
  /**
   * Threads including the page's own, when the page is cross-origin isolated (default
   * navigator.hardwareConcurrency, as Node's pool defaults to os.availableParallelism()). Ignored, and said
   * so, on a page that is not isolated.
   */
  readonly threads?: number;
  /**
   * Run tasks on the page's thread alone for a while when the workers stop paying for themselves (see
   * ThreadPool.account; in a page only the waiting test applies). Default true; tests turn it off.
   */
  readonly adaptive?: boolean;
}

const INIT_KEYS = optionKeys<InitOptions>({
  url: true,
  bytes: true,
  flavor: true,
  quiet: true,
  threads: true,
  adaptive: true,
});

/** How long `init` waits for the workers to instantiate the module before falling back to one thread. */
const READY_TIMEOUT_MS = 10_000;

interface BrowserGlobals {
  crossOriginIsolated?: boolean;
  navigator?: { hardwareConcurrency?: number };
  fetch(url: string | URL): Promise<{ ok: boolean; status: number; arrayBuffer(): Promise<ArrayBuffer> }>;
  WebAssembly: { compile(bytes: Uint8Array | ArrayBuffer): Promise<WasmModule> };
}

interface Setup {
  readonly flavor: KernelFlavor;
  readonly isolated: boolean;
  readonly threading: string;
  readonly backend: WasmBackend;
}

let setup: Setup | undefined;

/** Resolves when the pool's workers are up, or rejects with their error or after `ms`. */
function readyWithin(backend: WasmBackend, ms: number): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`the workers did not start within ${ms / 1000} s`)), ms);
  });
  return Promise.race([backend.ready(), late]).finally(() => clearTimeout(timer));
}

/**
 * Loads and compiles the kernels, registers the wasm backend (with a Web Worker pool when the page is
 * cross-origin isolated) and makes it current. A second call replaces the first's backend and stops its workers.
 */
export async function init(opts: InitOptions = {}): Promise<BrowserWasmInfo> {
  checkOptionKeys('init', opts, INIT_KEYS);
  if (opts.threads !== undefined && (!Number.isInteger(opts.threads) || opts.threads < 1))
    fail('init', `threads must be a positive integer, got ${opts.threads}`);
  const g = globalThis as unknown as BrowserGlobals;
  const flavor: KernelFlavor = opts.flavor ?? (relaxedSimdSupported() ? 'relaxed' : 'simd');
  let bytes = opts.bytes;
  if (bytes === undefined) {
    const url = opts.url ?? new URL(`./kernels-${flavor}.wasm`, import.meta.url);
    const res = await g.fetch(url);
    if (!res.ok) fail('init', `fetching ${String(url)} answered ${res.status}`);
    bytes = await res.arrayBuffer();
  }
  provideKernelModule(flavor, await g.WebAssembly.compile(bytes));
  const isolated = g.crossOriginIsolated === true;
  const cores = g.navigator?.hardwareConcurrency;
  const wanted = opts.threads ?? (Number.isInteger(cores) && cores! > 0 ? cores! : 1);
  const adaptive = opts.adaptive ?? true;
  const previous = setup;
  let backend: WasmBackend;
  let threading: string;
  if (!isolated) {
    backend = new WasmBackend({ threads: 1, flavor });
    threading =
      'one thread: the page is not cross-origin isolated (no COOP/COEP headers), so no shared memory for workers' +
      (opts.threads !== undefined && opts.threads > 1 ? ` (init asked for ${opts.threads})` : '');
  } else if (wanted === 1) {
    backend = new WasmBackend({ threads: 1, flavor });
    threading = `one thread: the page is cross-origin isolated, but ${
      opts.threads !== undefined ? 'init asked for threads: 1' : 'navigator.hardwareConcurrency is 1'
    }`;
  } else {
    backend = new WasmBackend({ threads: wanted, flavor, adaptive, host: webWorkers() });
    try {
      await readyWithin(backend, READY_TIMEOUT_MS);
      const workers = wanted === 2 ? 'one Web Worker' : `${wanted - 1} Web Workers`;
      threading = `${wanted} threads (the page and ${workers} on shared memory): the page is cross-origin isolated`;
    } catch (e) {
      // A page whose CSP forbids blob: workers, say: it still trains, on one thread, and says why.
      void backend.terminate();
      backend = new WasmBackend({ threads: 1, flavor });
      threading = `one thread: the page is cross-origin isolated, but its Web Workers failed (${(e as Error).message})`;
      console.warn(`[tensorscript] ${threading}`);
    }
  }
  setup = { flavor, isolated, threading, backend };
  registerBackend('wasm', () => backend, 10);
  setBackend('wasm');
  if (previous !== undefined) void previous.backend.terminate();
  if (opts.quiet !== true) console.info(`[tensorscript] wasm backend (${flavor}), ${threading}`);
  return wasmInfo()!;
}

/** What `init` set up, with the pool's counters as of now, or undefined before it ran. */
export function wasmInfo(): BrowserWasmInfo | undefined {
  if (setup === undefined) return undefined;
  const { flavor, isolated, threading, backend } = setup;
  return {
    flavor,
    threads: backend.threads,
    crossOriginIsolated: isolated,
    threading,
    dispatchedTasks: backend.pool.dispatched,
    workerBlocks: backend.pool.workerBlocks,
  };
}
