/**
 * The wasm backend in a browser page. `init()` fetches the kernel binary (relaxed SIMD when the browser
 * validates it, else SIMD128) from next to the bundle or from a given URL/bytes, compiles it asynchronously and
 * makes `wasm` the current backend; before that, ops run on the reference backend.
 *
 * Threads: one. The Node pool's workers share the wasm memory through SharedArrayBuffer, which a page gets only
 * when cross-origin isolated (COOP/COEP headers), and its calling thread sleeps in Atomics.wait, which a
 * page's main thread may not do; a Web Worker pool would need a spin-only caller and worker start-up through
 * postMessage. Until then the backend runs every task on the calling thread, and `wasmInfo()` (also logged once
 * by `init`) says so and whether the page was isolated.
 */
import { registerBackend, setBackend } from '../../kernels/registry.ts';
import { WasmBackend } from './backend.ts';
import { type KernelFlavor, provideKernelModule, relaxedSimdSupported } from './module.ts';
import type { WasmModule } from './wasm-api.ts';

export interface BrowserWasmInfo {
  readonly flavor: KernelFlavor;
  readonly threads: 1;
  readonly crossOriginIsolated: boolean;
  /** Why one thread, in words. */
  readonly threading: string;
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
}

interface BrowserGlobals {
  crossOriginIsolated?: boolean;
  fetch(url: string | URL): Promise<{ ok: boolean; status: number; arrayBuffer(): Promise<ArrayBuffer> }>;
  WebAssembly: { compile(bytes: Uint8Array | ArrayBuffer): Promise<WasmModule> };
}

let info: BrowserWasmInfo | undefined;

/** Loads and compiles the kernels, registers the one-thread wasm backend and makes it current. */
export async function init(opts: InitOptions = {}): Promise<BrowserWasmInfo> {
  const g = globalThis as unknown as BrowserGlobals;
  const flavor: KernelFlavor = opts.flavor ?? (relaxedSimdSupported() ? 'relaxed' : 'simd');
  let bytes = opts.bytes;
  if (bytes === undefined) {
    const url = opts.url ?? new URL(`./kernels-${flavor}.wasm`, import.meta.url);
    const res = await g.fetch(url);
    if (!res.ok) throw new Error(`[wasm] init: fetching ${String(url)} answered ${res.status}`);
    bytes = await res.arrayBuffer();
  }
  provideKernelModule(flavor, await g.WebAssembly.compile(bytes));
  const isolated = g.crossOriginIsolated === true;
  info = {
    flavor,
    threads: 1,
    crossOriginIsolated: isolated,
    threading: isolated
      ? 'one thread: the page is cross-origin isolated, but the browser build has no Web Worker pool'
      : 'one thread: the page is not cross-origin isolated (no COOP/COEP headers), so no shared memory for workers',
  };
  registerBackend('wasm', () => new WasmBackend({ threads: 1, flavor }), 10);
  setBackend('wasm');
  if (opts.quiet !== true) console.info(`[tensorscript] wasm backend (${flavor}), ${info.threading}`);
  return info;
}

/** What `init` set up, or undefined before it ran. */
export function wasmInfo(): BrowserWasmInfo | undefined {
  return info;
}
