/** Values flowing through an imported graph: float tensors, and int64 lists for shape arithmetic. */
import { fail } from '../core/errors.ts';
import { tensor } from '../tensor/creation.ts';
import { Tensor } from '../tensor/tensor.ts';
import { type AttributeProto, AttrType, ElemType, type NodeProto, type TensorProto } from './proto.ts';

/**
 * An integer tensor kept on the JavaScript side (shapes, axes, indices from int64 initializers and Shape).
 * Graphs compute shapes with these (Shape -> Gather -> Concat -> Reshape); they never need gradients.
 */
export class IntList {
  constructor(
    readonly values: number[],
    readonly dims: number[],
  ) {}
}

export type Value = Tensor | IntList;

const INT_TYPES = new Set<number>([
  ElemType.INT64,
  ElemType.INT32,
  ElemType.INT8,
  ElemType.UINT8,
  ElemType.BOOL,
]);

function view(raw: Uint8Array): DataView {
  return new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
}

/** Decodes an initializer or Constant: float types -> float32 Tensor, integer types -> IntList. */
export function decodeTensor(t: TensorProto, where: string): Value {
  const dims = (t.dims ?? []).map(Number);
  const n = dims.reduce((a, b) => a * b, 1);
  const type = t.dataType ?? 0;
  const raw = t.rawData && t.rawData.length > 0 ? t.rawData : null;
  const expect = (got: number, bytes: number) => {
    if (got !== n)
      fail(
        'onnx.import',
        `${where}: tensor "${t.name ?? ''}" has ${got} values for dims [${dims.join(', ')}]${bytes ? ` (${bytes} bytes each)` : ''}`,
      );
  };
  if (type === ElemType.FLOAT || type === ElemType.DOUBLE) {
    let data: Float32Array;
    if (raw !== null) {
      const size = type === ElemType.FLOAT ? 4 : 8;
      expect(raw.length / size, size);
      const dv = view(raw);
      data = new Float32Array(n);
      for (let i = 0; i < n; i++)
        data[i] = size === 4 ? dv.getFloat32(i * 4, true) : dv.getFloat64(i * 8, true);
    } else {
      const src = type === ElemType.FLOAT ? (t.floatData ?? []) : (t.doubleData ?? []);
      expect(src.length, 0);
      data = Float32Array.from(src);
    }
    return tensor(data, { shape: dims });
  }
  if (INT_TYPES.has(type)) {
    let values: number[];
    if (raw !== null) {
      const size = type === ElemType.INT64 ? 8 : type === ElemType.INT32 ? 4 : 1;
      expect(raw.length / size, size);
      const dv = view(raw);
      values = Array.from({ length: n }, (_, i) =>
        size === 8
          ? Number(dv.getBigInt64(i * 8, true))
          : size === 4
            ? dv.getInt32(i * 4, true)
            : type === ElemType.INT8
              ? dv.getInt8(i)
              : dv.getUint8(i),
      );
    } else {
      values = (type === ElemType.INT64 ? (t.int64Data ?? []) : (t.int32Data ?? [])).map(Number);
      expect(values.length, 0);
    }
    return new IntList(values, dims);
  }
  fail(
    'onnx.import',
    `${where}: tensor "${t.name ?? ''}" has element type ${type}, only float, double and integer types are supported`,
  );
}

/** Typed access to a node's attributes, with errors naming the node. */
export class Attrs {
  readonly #m = new Map<string, AttributeProto>();
  constructor(readonly node: NodeProto) {
    for (const a of node.attribute ?? []) this.#m.set(a.name, a);
  }
  get where(): string {
    return `${this.node.opType} node "${this.node.name ?? ''}"`;
  }
  has(name: string): boolean {
    return this.#m.has(name);
  }
  names(): string[] {
    return [...this.#m.keys()];
  }
  int(name: string, dflt?: number): number {
    const a = this.#m.get(name);
    if (a === undefined) return dflt ?? fail('onnx.import', `${this.where}: attribute ${name} is required`);
    return Number(a.i ?? 0);
  }
  ints(name: string, dflt?: number[]): number[] {
    const a = this.#m.get(name);
    if (a === undefined) return dflt ?? fail('onnx.import', `${this.where}: attribute ${name} is required`);
    return (a.ints ?? []).map(Number);
  }
  float(name: string, dflt: number): number {
    const a = this.#m.get(name);
    return a === undefined ? dflt : (a.f ?? 0);
  }
  string(name: string, dflt: string): string {
    const a = this.#m.get(name);
    return a === undefined || a.s === undefined ? dflt : new TextDecoder().decode(a.s);
  }
  tensor(name: string): TensorProto | undefined {
    const a = this.#m.get(name);
    return a?.type === AttrType.TENSOR ? a.t : undefined;
  }
}

export function asTensor(v: Value | undefined, where: string, what: string): Tensor {
  if (v instanceof Tensor) return v;
  if (v instanceof IntList) return tensor(Float32Array.from(v.values), { shape: v.dims });
  fail('onnx.import', `${where}: input ${what} is missing`);
}

export function asInts(v: Value | undefined, where: string, what: string): number[] {
  if (v instanceof IntList) return v.values;
  if (v instanceof Tensor && v.dtype === 'int32') return Array.from(v.toTypedArray() as Int32Array);
  fail(
    'onnx.import',
    `${where}: input ${what} must be a constant integer tensor (initializer, Constant or Shape)`,
  );
}
