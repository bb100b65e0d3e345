/**
 * `onnx.importModel`: an ONNX graph (opset 13 and later, as torch.onnx.export, tf2onnx and the model zoo
 * write) becomes a module whose float initializers are Parameters, so it fine-tunes and exports again.
 */
import { readFileSync } from 'node:fs';
import { noGrad } from '../autograd/node.ts';
import { check, fail } from '../core/errors.ts';
import { didYouMean } from '../core/registry.ts';
import { type AnyModule, Module } from '../nn/module.ts';
import { Parameter } from '../nn/parameter.ts';
import { tensor } from '../tensor/creation.ts';
import { Tensor } from '../tensor/tensor.ts';
import { registerExportRule } from './export-rules.ts';
import { opImpl, opSince, supportedOps } from './import-ops.ts';
import { Attrs, decodeTensor, IntList, type Value } from './import-values.ts';
import {
  decodeModel,
  ElemType,
  encodeModel,
  type GraphProto,
  type ModelProto,
  type NodeProto,
  type TensorProto,
} from './proto.ts';

export const MIN_IMPORT_OPSET = 13;
export const MAX_IMPORT_OPSET = 18;

export interface ImportOptions {
  /** Names the model in error messages (a file path). */
  source?: string;
}
const OPTION_KEYS = ['source'];

/** Holds the parameters of one dotted prefix (`features.0`), so state-dict keys keep the ONNX names. */
class OnnxParameters extends Module<never[], never> {
  forward(): never {
    fail('OnnxParameters', 'holds imported parameters; it has no forward');
  }
}

type Slot = { kind: 'param'; p: Parameter } | { kind: 'buffer'; t: Tensor } | { kind: 'const'; v: Value };

function isAiOnnx(domain: string | undefined): boolean {
  return domain === undefined || domain === '' || domain === 'ai.onnx';
}

/** Nodes in an order where every input is produced first; cycles and dangling inputs are errors. */
function topoSort(graph: GraphProto, available: Set<string>, where: string): NodeProto[] {
  const nodes = graph.node ?? [];
  const producer = new Map<string, number>();
  nodes.forEach((n, i) => {
    for (const o of n.output ?? []) {
      if (o === '') continue;
      if (producer.has(o) || available.has(o))
        fail('onnx.import', `${where}: value "${o}" is produced twice (node "${n.name ?? i}")`);
      producer.set(o, i);
    }
  });
  const waiting = nodes.map(() => 0);
  const users = nodes.map((): number[] => []);
  nodes.forEach((n, i) => {
    for (const v of n.input ?? []) {
      if (v === '' || available.has(v)) continue;
      const p = producer.get(v);
      if (p === undefined)
        fail(
          'onnx.import',
          `${where}: node "${n.name ?? i}" (${n.opType}) reads "${v}", which no node, initializer or graph input provides`,
        );
      waiting[i]!++;
      users[p]!.push(i);
    }
  });
  const ready = nodes.flatMap((_, i) => (waiting[i] === 0 ? [i] : []));
  const order: NodeProto[] = [];
  while (ready.length > 0) {
    const i = ready.shift()!;
    order.push(nodes[i]!);
    for (const u of users[i]!) if (--waiting[u]! === 0) ready.push(u);
  }
  if (order.length < nodes.length) {
    const stuck = nodes.filter((_, i) => waiting[i]! > 0).map((n, i) => `"${n.name || `${n.opType}#${i}`}"`);
    fail(
      'onnx.import',
      `${where}: the graph has a cycle; ${stuck.length} node(s) can never run: ${stuck.slice(0, 8).join(', ')}${stuck.length > 8 ? ', ...' : ''}`,
    );
  }
  return order;
}

/** A module running an imported ONNX graph with the library's ops. */
export class OnnxModel extends Module<Tensor[], Tensor> {
  readonly opset: number;
  /** Graph inputs that the caller feeds (initializers excluded), in order. */
  readonly inputNames: string[];
  readonly outputNames: string[];
  readonly #model: ModelProto;
  readonly #order: NodeProto[];
  readonly #slots = new Map<string, Slot>();
  /** ONNX initializer name -> state-dict key. */
  readonly #keys = new Map<string, string>();

  constructor(model: ModelProto, where: string) {
    super();
    const graph = model.graph ?? fail('onnx.import', `${where}: the model has no graph`);
    const opset = (model.opsetImport ?? []).find((o) => isAiOnnx(o.domain))?.version;
    // Below 13, a model still imports when each of its ops has kept the semantics implemented here since
    // the model's opset (the backend tests stamp each model with the op's own last version).
    const opTypes = [...new Set((graph.node ?? []).map((n) => n.opType ?? ''))];
    const tooOld =
      opset !== undefined && opset < MIN_IMPORT_OPSET ? opTypes.filter((op) => opSince(op) > opset) : [];
    check(
      opset !== undefined &&
        opset <= MAX_IMPORT_OPSET &&
        (opset >= MIN_IMPORT_OPSET || (opTypes.length > 0 && tooOld.length === 0)),
      'onnx.import',
      () =>
        `${where}: opset ${opset ?? '(none)'} is not supported; the importer reads ai.onnx opsets ${MIN_IMPORT_OPSET} to ${MAX_IMPORT_OPSET}${tooOld.length > 0 ? ` (at opset ${opset} these ops differ: ${tooOld.join(', ')})` : ''}; re-export the model at one of those`,
    );
    this.opset = opset;
    this.#model = model;
    // Every unsupported op at once, so one run says all that a model needs.
    const missing = new Map<string, number>();
    for (const n of graph.node ?? []) {
      const op = isAiOnnx(n.domain) ? (n.opType ?? '') : `${n.domain}.${n.opType}`;
      if (!isAiOnnx(n.domain) || opImpl(op) === undefined) missing.set(op, (missing.get(op) ?? 0) + 1);
    }
    if (missing.size > 0)
      fail(
        'onnx.import',
        `${where}: ${missing.size} unsupported op type(s): ${[...missing].map(([k, v]) => `${k} (${v} node${v > 1 ? 's' : ''})`).join(', ')}; supported: ${supportedOps().join(', ')}`,
      );

    const inits = new Map<string, TensorProto>();
    for (const t of graph.initializer ?? []) inits.set(t.name ?? '', t);
    this.inputNames = (graph.input ?? []).map((v) => v.name ?? '').filter((n) => !inits.has(n));
    this.outputNames = (graph.output ?? []).map((v) => v.name ?? '');
    check(this.outputNames.length > 0, 'onnx.import', () => `${where}: the graph has no outputs`);
    this.#order = topoSort(graph, new Set([...inits.keys(), ...this.inputNames]), where);

    // Running statistics are state but not trained (as torch's BatchNorm buffers).
    const statistics = new Set<string>();
    for (const n of graph.node ?? [])
      if (n.opType === 'BatchNormalization')
        for (const i of [3, 4]) if (n.input?.[i]) statistics.add(n.input[i]!);
    for (const [name, t] of inits) {
      const v = decodeTensor(t, `${where}: initializer`);
      if (v instanceof IntList) this.#slots.set(name, { kind: 'const', v });
      else {
        const key = this.#register(name, v, statistics.has(name));
        this.#keys.set(name, key);
      }
    }
  }

  /** Registers a float initializer under its dotted name, nesting holder modules for the prefixes. */
  #register(name: string, t: Tensor, buffer: boolean): string {
    const parts = name.split('.');
    const tryNested = (): string | null => {
      if (parts.some((p) => p === '')) return null;
      let owner: AnyModule = this as unknown as AnyModule;
      for (const part of parts.slice(0, -1)) {
        const found = owner.namedChildren().find(([k]) => k === part)?.[1];
        if (found !== undefined && !(found instanceof OnnxParameters)) return null;
        owner =
          found ??
          (owner as unknown as Module).registerModule(part, new OnnxParameters() as unknown as AnyModule);
      }
      return this.#store(owner as unknown as Module, parts.at(-1)!, t, buffer, name) ? name : null;
    };
    let key: string | null = null;
    try {
      key = tryNested();
    } catch {
      key = null;
    }
    // A name that clashes with a prefix of another ("a" and "a.b") is kept flat with '_'.
    if (key === null) {
      key = name.replaceAll('.', '_') || 'initializer';
      this.#store(this, key, t, buffer, name);
    }
    return key;
  }

  #store(
    owner: Module<never[], unknown> | Module,
    leaf: string,
    t: Tensor,
    buffer: boolean,
    name: string,
  ): boolean {
    const o = owner as unknown as Module;
    if (buffer) {
      this.#slots.set(name, { kind: 'buffer', t: o.registerBuffer(leaf, t) });
    } else {
      const p = o.registerParameter(leaf, new Parameter(t));
      this.#slots.set(name, { kind: 'param', p });
    }
    return true;
  }

  /** Runs the graph on named inputs (or inputs in graph order) and returns every graph output. */
  run(inputs: Record<string, Tensor> | readonly Tensor[]): Record<string, Tensor> {
    const env = new Map<string, Value>();
    for (const [name, s] of this.#slots)
      env.set(name, s.kind === 'param' ? s.p : s.kind === 'buffer' ? s.t : s.v);
    if (Array.isArray(inputs)) {
      check(
        inputs.length === this.inputNames.length,
        'OnnxModel',
        () =>
          `expected ${this.inputNames.length} input(s) (${this.inputNames.join(', ')}), got ${inputs.length}`,
      );
      this.inputNames.forEach((n, i) => {
        env.set(n, inputs[i]!);
      });
    } else {
      const feeds = inputs as Record<string, Tensor>;
      for (const k of Object.keys(feeds))
        if (!this.inputNames.includes(k))
          fail(
            'OnnxModel',
            `unknown input "${k}"${didYouMean(k, this.inputNames)}; inputs: ${this.inputNames.join(', ')}`,
          );
      for (const n of this.inputNames) env.set(n, feeds[n] ?? fail('OnnxModel', `input "${n}" is missing`));
    }
    for (const node of this.#order) {
      const impl = opImpl(node.opType ?? '')!;
      const outs = node.output ?? [];
      const used = outs.reduce((k, o, i) => (o !== '' ? i + 1 : k), 0);
      const results = impl(
        (node.input ?? []).map((n) => (n === '' ? undefined : env.get(n))),
        { a: new Attrs(node), opset: this.opset, outputs: used },
      );
      outs.forEach((o, i) => {
        if (o !== '' && results[i] !== undefined) env.set(o, results[i]!);
      });
    }
    const out: Record<string, Tensor> = {};
    for (const n of this.outputNames) {
      const v = env.get(n);
      out[n] =
        v instanceof Tensor
          ? v
          : v instanceof IntList
            ? // Integer values (a Shape output) come back as int32 tensors.
              tensor(Int32Array.from(v.values), { shape: v.dims, dtype: 'int32' })
            : fail('OnnxModel', `output "${n}" was not computed`);
    }
    return out;
  }

  /** The first graph output for the inputs in graph order (one input for most models). */
  forward(...inputs: Tensor[]): Tensor {
    return this.run(inputs)[this.outputNames[0]!]!;
  }

  /** The original graph, nodes in running order, with the current parameter values. */
  get nodes(): readonly NodeProto[] {
    return this.#order;
  }

  /** The initializer values now: parameters and buffers as float32, integer constants as they came. */
  currentInitializers(): TensorProto[] {
    const out: TensorProto[] = [];
    for (const [name, s] of this.#slots) {
      if (s.kind === 'const') {
        const v = s.v as IntList;
        const data = BigInt64Array.from(v.values.map((x) => BigInt(x)));
        out.push({ name, dims: v.dims, dataType: ElemType.INT64, rawData: new Uint8Array(data.buffer) });
      } else {
        const t = s.kind === 'param' ? s.p : s.t;
        const a = Float32Array.from(t.toTypedArray() as ArrayLike<number>);
        out.push({ name, dims: [...t.shape], dataType: ElemType.FLOAT, rawData: new Uint8Array(a.buffer) });
      }
    }
    return out;
  }

  /** The state-dict key of an ONNX initializer name. */
  stateKeyOf(initializer: string): string | undefined {
    return this.#keys.get(initializer);
  }

  /** The model as ONNX bytes again: same graph and opset, initializers holding the trained values. */
  toOnnx(): Uint8Array {
    const g = this.#model.graph!;
    return encodeModel({
      ...this.#model,
      graph: { ...g, node: [...this.#order], initializer: this.currentInitializers() },
    });
  }
}

/** Imports ONNX bytes as a trainable module. */
export function importModel(bytes: Uint8Array, opts: ImportOptions = {}): OnnxModel {
  for (const k of Object.keys(opts))
    if (!OPTION_KEYS.includes(k)) fail('onnx.import', `unknown option "${k}"${didYouMean(k, OPTION_KEYS)}`);
  const where = opts.source ?? 'ONNX model';
  check(
    bytes instanceof Uint8Array && bytes.length > 0,
    'onnx.import',
    () => `${where}: expected non-empty bytes`,
  );
  return noGrad(() => new OnnxModel(decodeModel(bytes, where), where));
}

/** Reads and imports an .onnx file. */
export function loadOnnx(path: string): OnnxModel {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    fail('onnx.import', `cannot read ${path}: ${(e as Error).message}`);
  }
  return importModel(bytes, { source: path });
}

// An imported graph inside a larger module (a new head on an imported body) exports node by node.
registerExportRule(OnnxModel, {
  emit(ctx, m, x) {
    if (m.inputNames.length !== 1 || m.outputNames.length !== 1)
      fail(
        'onnx.export',
        `an imported model with ${m.inputNames.length} inputs and ${m.outputNames.length} outputs can only be exported alone (OnnxModel.toOnnx())`,
      );
    const rename = new Map<string, string>([
      [m.inputNames[0]!, x],
      ['', ''],
    ]);
    for (const t of m.currentInitializers()) {
      const key = m.stateKeyOf(t.name!);
      if (key !== undefined) {
        const v = decodeTensor(t, 'onnx.export') as Tensor;
        rename.set(t.name!, ctx.param(key, v));
      } else {
        const v = decodeTensor(t, 'onnx.export') as IntList;
        rename.set(t.name!, ctx.g.addInt64(`${t.name}`, v.values, v.dims));
      }
    }
    const map = (n: string): string => {
      let r = rename.get(n);
      if (r === undefined) {
        r = ctx.g.fresh(n);
        rename.set(n, r);
      }
      return r;
    };
    for (const node of m.nodes) {
      if (
        ctx.opset >= 18 &&
        node.opType === 'ReduceMean' &&
        (node.attribute ?? []).some((a) => a.name === 'axes')
      )
        fail(
          'onnx.export',
          `imported ReduceMean "${node.name}" has axes as an attribute (opset < 18); export at opset 17`,
        );
      ctx.g.addRawNode({ ...node, input: (node.input ?? []).map(map), output: (node.output ?? []).map(map) });
    }
    return map(m.outputNames[0]!);
  },
});
