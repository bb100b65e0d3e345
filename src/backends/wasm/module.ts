import { readFileSync } from 'node:fs';
import { WA, type WasmModule } from './wasm-api.ts';

/**
 * The compiled kernels. Two builds of the same C sources ship side by side (scripts/build-wasm.sh): one
 * with relaxed-SIMD fused multiply-add, used when this runtime validates it (Node 22+, or Node 20 with
 * --experimental-wasm-relaxed-simd), and plain SIMD128 otherwise. Compilation is synchronous so the
 * backend can be created inside a synchronous `getBackend()`.
 */

// (module (func v128.const 0 v128.const 0 v128.const 0 f32x4.relaxed_madd drop))
const zero16 = new Array<number>(16).fill(0);
const RELAXED_PROBE = new Uint8Array([
  0x00,
  0x61,
  0x73,
  0x6d,
  0x01,
  0x00,
  0x00,
  0x00,
  0x01,
  0x04,
  0x01,
  0x60,
  0x00,
  0x00,
  0x03,
  0x02,
  0x01,
  0x00,
  0x0a,
  0x3e,
  0x01,
  0x3c,
  0x00,
  0xfd,
  0x0c,
  ...zero16,
  0xfd,
  0x0c,
  ...zero16,
  0xfd,
  0x0c,
  ...zero16,
  0xfd,
  0x85,
  0x02,
  0x1a,
  0x0b,
]);

export type KernelFlavor = 'relaxed' | 'simd';

export function relaxedSimdSupported(): boolean {
  return WA.validate(RELAXED_PROBE);
}

const cache = new Map<KernelFlavor, WasmModule>();

/**
 * Hands in a module compiled elsewhere: the browser build fetches the bytes and compiles them with the
 * asynchronous `WebAssembly.compile` (there is no file system, and browsers limit synchronous compilation on
 * the main thread), so `kernelModule` finds it here and never reads a file.
 */
export function provideKernelModule(flavor: KernelFlavor, module: WasmModule): void {
  cache.set(flavor, module);
}

/** The kernel module for `flavor` (default: the best this runtime supports), compiled once per process. */
export function kernelModule(flavor?: KernelFlavor): { module: WasmModule; flavor: KernelFlavor } {
  const f: KernelFlavor = flavor ?? (relaxedSimdSupported() ? 'relaxed' : 'simd');
  let m = cache.get(f);
  if (m === undefined) {
    m = new WA.Module(readFileSync(new URL(`./kernels-${f}.wasm`, import.meta.url)));
    cache.set(f, m);
  }
  return { module: m, flavor: f };
}
