/**
 * One ONNX Runtime session over graph bytes, run synchronously with preallocated outputs. Thread count and
 * execution provider are chosen here once for every native session.
 */
import { availableParallelism } from 'node:os';
import { fail } from '../core/errors.ts';
import { didYouMean } from '../core/registry.ts';
import { type BindingSession, type OrtTensor, ort } from './ort.ts';

/** Execution providers a native session may name; 'cpu' (MLAS) ships in onnxruntime-node for every platform. */
export const PROVIDERS = ['cpu', 'cuda', 'tensorrt', 'webgpu', 'dml', 'coreml'] as const;
export type Provider = (typeof PROVIDERS)[number];

export interface SessionOptions {
  /** Intra-op threads. Default TENSORSCRIPT_THREADS, else os.availableParallelism(). */
  threads?: number;
  /** Execution provider. Default 'cpu'. */
  provider?: Provider;
  /** Let idle intra-op threads spin (lower latency on a quiet machine). Default false. */
  spin?: boolean;
}

export function defaultThreads(): number {
  const env = process.env.TENSORSCRIPT_THREADS;
  if (env !== undefined && env !== '') {
    const n = Number(env);
    if (!Number.isInteger(n) || n < 1)
      fail('native', `TENSORSCRIPT_THREADS must be a positive integer, got "${env}"`);
    return n;
  }
  return availableParallelism();
}

export function checkProvider(p: string): Provider {
  if (!(PROVIDERS as readonly string[]).includes(p))
    fail(
      'native',
      `unknown execution provider "${p}"${didYouMean(p, PROVIDERS)}; providers: ${PROVIDERS.join(', ')}`,
    );
  return p as Provider;
}

export class NativeSession {
  readonly #s: BindingSession;
  readonly #runOpts = {};
  readonly provider: Provider;
  readonly threads: number;

  constructor(bytes: Uint8Array, opts: SessionOptions = {}) {
    this.provider = checkProvider(opts.provider ?? 'cpu');
    this.threads = opts.threads ?? defaultThreads();
    if (!Number.isInteger(this.threads) || this.threads < 1)
      fail('native', `threads must be a positive integer, got ${this.threads}`);
    const o = ort();
    this.#s = o.newSession();
    try {
      this.#s.loadModel(bytes.buffer, bytes.byteOffset, bytes.byteLength, {
        executionProviders: [this.provider],
        intraOpNumThreads: this.threads,
        interOpNumThreads: 1,
        executionMode: 'sequential',
        graphOptimizationLevel: 'all',
        // Idle intra-op threads sleep instead of spinning unless asked: on a shared host (other processes,
        // the wasm pool, a server's event loop) spinning workers steal the cores the GEMMs need (measured on
        // the 2-core bench host: 2-thread MLP training 5.5-9k samples/s spinning, 10.7-13k not).
        extra: { session: { intra_op: { allow_spinning: opts.spin === true ? '1' : '0' } } },
      });
    } catch (e) {
      const msg = (e as Error).message.split('\n')[0] ?? '';
      if (this.provider !== 'cpu') {
        const listed = o.providers.find((p) => p.name === this.provider);
        const why =
          listed === undefined
            ? `onnxruntime-node ${o.version} does not list it on ${process.platform}-${process.arch}`
            : listed.bundled
              ? 'it failed to start'
              : `its libraries are not installed (onnxruntime-node ships only the CPU provider's binaries; the ${this.provider} provider needs its runtime libraries, e.g. CUDA 12 and cuDNN 9 for cuda)`;
        fail('native', `execution provider "${this.provider}" is not available: ${why}: ${msg}`);
      }
      fail('native', `onnxruntime could not load the graph: ${msg}`);
    }
  }

  /** Runs the graph; outputs are written into the preallocated `fetches` tensors. */
  run(feeds: Record<string, OrtTensor>, fetches: Record<string, OrtTensor>): void {
    this.#s.run(feeds, fetches, this.#runOpts);
  }

  /** A graph output's element type and (fixed) shape, from the loaded model. */
  output(name: string): { type: string; shape: number[] } {
    const m = this.#s.outputMetadata.find((o) => o.name === name);
    if (m === undefined) fail('native', `the graph has no output "${name}"`);
    if (m.shape.some((d) => d < 0)) fail('native', `output "${name}" has a dynamic shape`);
    // ONNX TensorProto.DataType: 1 float, 6 int32, 7 int64.
    const type =
      m.type === 1 ? 'float32' : m.type === 6 ? 'int32' : m.type === 7 ? 'int64' : `type ${m.type}`;
    return { type, shape: [...m.shape] };
  }

  dispose(): void {
    this.#s.dispose();
  }
}
