/**
 * `native.compile(model)`: a module's forward pass run on ONNX Runtime. Each input shape gets one graph,
 * written by the ONNX exporter (onnx/export.ts, all axes fixed so the engine plans for the exact shape and
 * pre-packs the weights) and one cached session with preallocated input and output buffers. The weights
 * are a snapshot taken when a shape is first seen: after changing them, call `invalidate()`.
 */
import { check, fail } from '../core/errors.ts';
import { checkOptionKeys } from '../core/options.ts';
import type { AnyModule } from '../nn/module.ts';
import { exportModule } from '../onnx/export.ts';
import { tensor } from '../tensor/creation.ts';
import type { Tensor } from '../tensor/tensor.ts';
import { type OrtTensor, ort } from './ort.ts';
import { NativeSession, type SessionOptions } from './session.ts';

export type CompileOptions = SessionOptions;
const KEYS = ['threads', 'provider', 'spin'];

interface Signature {
  session: NativeSession;
  input: Float32Array | Int32Array;
  output: Float32Array;
  outShape: number[];
  feeds: Record<string, OrtTensor>;
  fetches: Record<string, OrtTensor>;
}

export class CompiledModel {
  readonly #sigs = new Map<string, Signature>();

  constructor(
    readonly module: AnyModule,
    readonly options: CompileOptions = {},
  ) {
    checkOptionKeys('native.compile', options, KEYS);
    ort(); // a clear error now if onnxruntime-node is absent
  }

  #build(x: Tensor): Signature {
    check(
      x.dtype === 'float32' || x.dtype === 'int32',
      'native.compile',
      () => `input must be float32 or int32 (token ids), got ${x.dtype}`,
    );
    const bytes = exportModule(this.module, x.shape, {
      dynamicAxes: {},
      inputDType: x.dtype === 'int32' ? 'int32' : 'float32',
    });
    const session = new NativeSession(bytes, this.options);
    const { Tensor: T } = ort();
    const input = x.dtype === 'int32' ? new Int32Array(x.size) : new Float32Array(x.size);
    const inT =
      input instanceof Int32Array
        ? new T('int32', input, [...x.shape])
        : new T('float32', input, [...x.shape]);
    // The exporter's sample forward pass fixed the output's shape and type in the graph.
    const meta = session.output('output');
    if (meta.type !== 'float32')
      fail('native.compile', `the model returns ${meta.type}; compiled models return float32`);
    const outShape = meta.shape;
    const output = new Float32Array(outShape.reduce((a, b) => a * b, 1));
    return {
      session,
      input,
      output,
      outShape,
      feeds: { input: inT },
      fetches: { output: new T('float32', output, outShape) },
    };
  }

  /** The forward pass on ONNX Runtime (for recurrent layers: the output sequence, as the exporter writes it). */
  call(x: Tensor): Tensor {
    const key = `${x.dtype}:${x.shape.join('x')}`;
    let sig = this.#sigs.get(key);
    if (sig === undefined) {
      sig = this.#build(x);
      this.#sigs.set(key, sig);
    }
    sig.input.set(x.contiguous().data as Float32Array & Int32Array);
    sig.session.run(sig.feeds, sig.fetches);
    return tensor(sig.output, { shape: sig.outShape });
  }

  /** Drops the cached sessions (their weights are snapshots); the next call compiles again. */
  invalidate(): void {
    for (const s of this.#sigs.values()) s.session.dispose();
    this.#sigs.clear();
  }

  /** Shape signatures compiled so far. */
  get signatures(): string[] {
    return [...this.#sigs.keys()];
  }

  dispose(): void {
    this.invalidate();
  }
}

/** Compiles `model`'s forward pass for ONNX Runtime; throws a clear error when onnxruntime-node is absent. */
export function compile(model: AnyModule, opts: CompileOptions = {}): CompiledModel {
  return new CompiledModel(model, opts);
}
