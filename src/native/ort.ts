/**
 * Lazy access to onnxruntime-node, an optional dependency: nothing here loads it until the native engine is
 * first asked for, so the base install (without its 288 MB of binaries) works, and `nativeStatus()` says why
 * the engine is absent. The package's N-API binding (dist/binding.js) is used directly because its `run` is
 * synchronous: the public `InferenceSession.run` defers every call through setImmediate (~40 us), which is
 * most of a batch-1 inference and would force training steps to be async.
 */
import { createRequire } from 'node:module';
import { fail } from '../core/errors.ts';

/** The onnxruntime-common Tensor constructor, as the binding accepts and returns it. */
export interface OrtTensor {
  readonly type: string;
  readonly dims: readonly number[];
  readonly data: unknown;
}
export type OrtTensorCtor = new (
  type: 'float32' | 'int32' | 'int64',
  data: Float32Array | Int32Array | BigInt64Array,
  dims: readonly number[],
) => OrtTensor;

/** The N-API session: loadModel once, then synchronous run(feeds, fetches) with preallocated fetches. */
export interface BindingSession {
  loadModel(buffer: ArrayBufferLike, byteOffset: number, byteLength: number, options: object): void;
  run(
    feeds: Record<string, OrtTensor>,
    fetches: Record<string, OrtTensor | null>,
    options: object,
  ): Record<string, OrtTensor>;
  dispose(): void;
  readonly outputMetadata: readonly { name: string; type: number; shape: readonly number[] }[];
}

export interface OrtModule {
  readonly version: string;
  readonly Tensor: OrtTensorCtor;
  newSession(): BindingSession;
  /** Execution providers the package lists: name and whether its binaries ship in the package. */
  readonly providers: readonly { name: string; bundled: boolean }[];
}

export type Loaded = { ok: true; ort: OrtModule } | { ok: false; reason: string };
let loaded: Loaded | undefined;

/** Loads onnxruntime-node as resolved from `from` (a file path or URL; tests point it where it is absent). */
export function loadOrt(from: string | URL = import.meta.url): Loaded {
  const require = createRequire(from);
  let pkg: { version: string };
  try {
    pkg = require('onnxruntime-node/package.json') as { version: string };
  } catch {
    return {
      ok: false,
      reason: 'onnxruntime-node is not installed (npm install onnxruntime-node to enable the native engine)',
    };
  }
  try {
    const api = require('onnxruntime-node') as {
      Tensor: OrtTensorCtor;
      listSupportedBackends?: () => { name: string; bundled: boolean }[];
    };
    const b = require('onnxruntime-node/dist/binding.js') as {
      binding: { InferenceSession: new () => BindingSession };
      initOrt: () => void;
    };
    b.initOrt();
    return {
      ok: true,
      ort: {
        version: pkg.version,
        Tensor: api.Tensor,
        newSession: () => new b.binding.InferenceSession(),
        providers: api.listSupportedBackends?.() ?? [{ name: 'cpu', bundled: true }],
      },
    };
  } catch (e) {
    return {
      ok: false,
      reason: `onnxruntime-node ${pkg.version} is installed but did not load: ${(e as Error).message.split('\n')[0]}`,
    };
  }
}

/** onnxruntime-node, loaded on first use; throws a clear error when it is absent or broken. */
export function ort(): OrtModule {
  loaded ??= loadOrt();
  if (!loaded.ok) fail('native', loaded.reason);
  return loaded.ort;
}

export interface NativeStatus {
  available: boolean;
  /** onnxruntime-node's version when it loaded. */
  version?: string;
  /** Why it is unavailable. */
  reason?: string;
  /** Execution providers onnxruntime-node knows, with whether their binaries ship in the package. */
  providers: { name: string; bundled: boolean }[];
}

/** Whether the native engine can run here, and why not (loads onnxruntime-node if it is installed). */
export function nativeStatus(): NativeStatus {
  loaded ??= loadOrt();
  return loaded.ok
    ? { available: true, version: loaded.ort.version, providers: [...loaded.ort.providers] }
    : { available: false, reason: loaded.reason, providers: [] };
}
