import { fail } from '../core/errors.ts';
import type { Backend } from './backend.ts';
import { getBackend } from './registry.ts';
import type { KernelName, KernelSignatures } from './signatures.ts';

/**
 * Kernels registered per (kernel name, backend name), as TF.js's kernel_registry: a backend is a memory
 * owner plus the kernels registered under its name. A kernel may decline a call (a dtype, layout or
 * memory it does not handle) by returning false; the call then goes to the backend's `fallback`
 * backend's kernel (wasm -> ref), whose implementations accept any host-addressable buffer.
 */
export type KernelArgs<N extends KernelName, B extends Backend = Backend> = KernelSignatures[N] & {
  readonly backend: B;
};
/** Returns false to decline (the fallback backend runs it); any other result (or none) means done. */
export type KernelFn<N extends KernelName, B extends Backend = Backend> = (args: KernelArgs<N, B>) => unknown;

export interface KernelConfig<N extends KernelName, B extends Backend = Backend> {
  readonly name: N;
  readonly backend: string;
  readonly fn: KernelFn<N, B>;
}

type AnyFn = (args: object) => unknown;
const tables = new Map<string, Map<string, AnyFn>>();

export function registerKernel<N extends KernelName, B extends Backend = Backend>(
  config: KernelConfig<N, B>,
): void {
  let t = tables.get(config.backend);
  if (t === undefined) {
    t = new Map();
    tables.set(config.backend, t);
  }
  if (t.has(config.name))
    fail('registerKernel', `kernel '${config.name}' is already registered for backend '${config.backend}'`);
  t.set(config.name, config.fn as unknown as AnyFn);
}

/** Kernel names registered for a backend name (its own, not its fallback's), sorted. */
export function kernelNames(backend: string): string[] {
  return [...(tables.get(backend)?.keys() ?? [])].sort();
}

/** Whether `backend` or its fallback chain has `name`. */
export function hasKernel(name: KernelName, backend: Backend = getBackend()): boolean {
  if (tables.get(backend.name)?.has(name)) return true;
  return backend.fallback !== undefined && tables.get(backend.fallback)?.has(name) === true;
}

/**
 * Runs kernel `name` on `backend` (default: the current one), trying its fallback when it declines.
 * Returns false when no backend in the chain has it or all declined (the op layer then runs a composite);
 * primitive kernels go through runKernel, which makes that an error.
 */
export function tryKernel<N extends KernelName>(
  name: N,
  call: KernelSignatures[N],
  backend: Backend = getBackend(),
): boolean {
  const args = call as KernelSignatures[N] & { backend: Backend };
  args.backend = backend;
  const own = tables.get(backend.name)?.get(name);
  if (own !== undefined && own(args) !== false) return true;
  const fb = backend.fallback;
  if (fb === undefined) return false;
  const next = tables.get(fb)?.get(name);
  return next !== undefined && next(args) !== false;
}

/** Runs a kernel every backend serves (signatures.ts PRIMITIVE_KERNELS); missing is an error. */
export function runKernel<N extends KernelName>(
  name: N,
  call: KernelSignatures[N],
  backend: Backend = getBackend(),
): void {
  if (!tryKernel(name, call, backend)) {
    const chain = backend.fallback === undefined ? '' : ` nor its fallback '${backend.fallback}'`;
    fail(name, `no kernel '${name}' accepted the call on backend '${backend.name}'${chain}`);
  }
}

/** The kernel registered for (name, backend name) itself, without the fallback (tests wrap it). */
export function getKernel<N extends KernelName>(name: N, backend: string): KernelFn<N> | undefined {
  return tables.get(backend)?.get(name) as KernelFn<N> | undefined;
}

/** Removes (name, backend name); returns whether it was there (tests swap in a wrapper and back). */
export function unregisterKernel(name: KernelName, backend: string): boolean {
  return tables.get(backend)?.delete(name) ?? false;
}
