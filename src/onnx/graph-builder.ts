/**
 * A reusable ONNX graph writer: nodes, initializers, value infos and opset imports, with unique names.
 * It knows nothing about layers (the export rules in export-rules.ts drive it) so other producers, such as a
 * native backend capturing whole training steps, build graphs with the same piece.
 */
import { check, fail } from '../core/errors.ts';
import {
  type AttributeProto,
  AttrType,
  ElemType,
  encodeModel,
  type ModelProto,
  type NodeProto,
  type TensorProto,
  type ValueInfoProto,
} from './proto.ts';

/** An attribute value: numbers that are integers become INT/INTS unless given as {float}. */
export type AttrValue =
  | number
  | string
  | readonly number[]
  | { float: number }
  | { floats: readonly number[] }
  | { tensor: TensorProto };

/** A dimension: a fixed size, or a symbolic name for a dynamic axis ('batch'). */
export type Dim = number | string;

export interface ModelOptions {
  /** Default opset of the ai.onnx domain. Default 17. */
  opset?: number;
  producerName?: string;
  producerVersion?: string;
  docString?: string;
}

/** ONNX IR version written for each opset (the ONNX versioning table). */
function irVersionFor(opset: number): number {
  if (opset >= 19) return 9;
  if (opset >= 15) return 8;
  if (opset >= 13) return 7;
  return 6;
}

function attribute(name: string, v: AttrValue): AttributeProto {
  if (typeof v === 'number')
    return Number.isInteger(v) ? { name, type: AttrType.INT, i: v } : { name, type: AttrType.FLOAT, f: v };
  if (typeof v === 'string') return { name, type: AttrType.STRING, s: new TextEncoder().encode(v) };
  if (Array.isArray(v)) return { name, type: AttrType.INTS, ints: [...(v as number[])] };
  if ('float' in v) return { name, type: AttrType.FLOAT, f: v.float };
  if ('floats' in v) return { name, type: AttrType.FLOATS, floats: [...v.floats] };
  if ('tensor' in v) return { name, type: AttrType.TENSOR, t: v.tensor };
  fail('onnx.GraphBuilder', `attribute ${name}: unsupported value ${JSON.stringify(v)}`);
}

function valueInfo(name: string, elemType: number, dims: readonly Dim[]): ValueInfoProto {
  return {
    name,
    type: {
      tensorType: {
        elemType,
        shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) },
      },
    },
  };
}

/** Little-endian bytes of a typed array (ONNX raw_data is little-endian). */
function rawBytes(data: Float32Array | Int32Array | Float64Array | BigInt64Array | Uint8Array): Uint8Array {
  return new Uint8Array(data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength));
}

export class GraphBuilder {
  readonly nodes: NodeProto[] = [];
  readonly initializers: TensorProto[] = [];
  readonly inputs: ValueInfoProto[] = [];
  readonly outputs: ValueInfoProto[] = [];
  readonly valueInfos: ValueInfoProto[] = [];
  readonly #opsets = new Map<string, number>();
  readonly #names = new Set<string>();
  #counter = 0;

  constructor(readonly name = 'main') {}

  /** A name not yet used in this graph, derived from `base`. */
  fresh(base: string): string {
    let n = base;
    while (this.#names.has(n)) n = `${base}_${this.#counter++}`;
    this.#names.add(n);
    return n;
  }

  /** Reserves an exact name (an initializer keyed like a state dict); a clash is an error. */
  #claim(name: string): string {
    check(!this.#names.has(name), 'onnx.GraphBuilder', () => `name "${name}" is already used in the graph`);
    this.#names.add(name);
    return name;
  }

  /** Reserves a name for later use (a graph output written at the end), so fresh names avoid it. */
  reserve(name: string): string {
    return this.#claim(name);
  }

  /** Declares an opset import other than the default ai.onnx one (e.g. 'ai.onnx.ml'). */
  importOpset(domain: string, version: number): void {
    this.#opsets.set(domain, Math.max(version, this.#opsets.get(domain) ?? 0));
  }

  addInput(name: string, elemType: number, dims: readonly Dim[]): string {
    this.inputs.push(valueInfo(this.#claim(name), elemType, dims));
    return name;
  }

  addOutput(name: string, elemType: number, dims: readonly Dim[]): void {
    this.outputs.push(valueInfo(name, elemType, dims));
  }

  addValueInfo(name: string, elemType: number, dims: readonly Dim[]): void {
    this.valueInfos.push(valueInfo(name, elemType, dims));
  }

  /** A float32 initializer under exactly `name` (state-dict keys keep their names). */
  addFloat(name: string, dims: readonly number[], data: Float32Array): string {
    this.initializers.push({
      name: this.#claim(name),
      dims: [...dims],
      dataType: ElemType.FLOAT,
      rawData: rawBytes(data),
    });
    return name;
  }

  /** An int64 initializer (shapes, axes) under a fresh name derived from `base`. */
  addInt64(base: string, values: readonly number[], dims: readonly number[] = [values.length]): string {
    const name = this.fresh(base);
    const data = BigInt64Array.from(values.map((v) => BigInt(v)));
    this.initializers.push({ name, dims: [...dims], dataType: ElemType.INT64, rawData: rawBytes(data) });
    return name;
  }

  /** A float32 constant under a fresh name. */
  addFloatConst(base: string, dims: readonly number[], data: Float32Array): string {
    const name = this.fresh(base);
    this.initializers.push({ name, dims: [...dims], dataType: ElemType.FLOAT, rawData: rawBytes(data) });
    return name;
  }

  /** Appends a node; returns its output names (fresh names derived from the op type unless given). */
  addNode(
    opType: string,
    inputs: readonly string[],
    attrs: Record<string, AttrValue> = {},
    opts: { outputs?: number | readonly string[]; domain?: string; name?: string } = {},
  ): string[] {
    const outs =
      typeof opts.outputs === 'object'
        ? opts.outputs.map((o) => (this.#names.has(o) ? o : this.#claim(o)))
        : Array.from({ length: opts.outputs ?? 1 }, () => this.fresh(`${opType.toLowerCase()}_out`));
    const node: NodeProto = {
      opType,
      input: [...inputs],
      output: outs,
      name: this.fresh(opts.name ?? opType),
      attribute: Object.entries(attrs).map(([k, v]) => attribute(k, v)),
    };
    if (opts.domain !== undefined && opts.domain !== '') node.domain = opts.domain;
    this.nodes.push(node);
    return outs;
  }

  /**
   * Appends a node copied from another graph (an imported model exported again), its value names already
   * mapped into this graph; its outputs are claimed so later fresh names cannot collide.
   */
  addRawNode(node: NodeProto): void {
    for (const o of node.output ?? []) if (o !== '' && !this.#names.has(o)) this.#names.add(o);
    this.nodes.push({ ...node, name: this.fresh(node.name || (node.opType ?? 'node')) });
  }

  /** The ModelProto of this graph. */
  toModel(opts: ModelOptions = {}): ModelProto {
    const opset = opts.opset ?? 17;
    const imports = [{ domain: '', version: opset }];
    for (const [domain, version] of this.#opsets) if (domain !== '') imports.push({ domain, version });
    return {
      irVersion: irVersionFor(opset),
      opsetImport: imports,
      producerName: opts.producerName ?? 'tensorscript',
      producerVersion: opts.producerVersion ?? '0.1.0',
      ...(opts.docString === undefined ? {} : { docString: opts.docString }),
      graph: {
        name: this.name,
        node: this.nodes,
        initializer: this.initializers,
        input: this.inputs,
        output: this.outputs,
        valueInfo: this.valueInfos,
      },
    };
  }

  /** The serialised model. */
  toBytes(opts: ModelOptions = {}): Uint8Array {
    return encodeModel(this.toModel(opts));
  }
}
