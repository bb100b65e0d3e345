import { check, fail } from '../core/errors.ts';
import { cat } from '../tensor/ops/join.ts';
import type { Tensor } from '../tensor/tensor.ts';
import {
  type AnyModule,
  type JsonValue,
  type LayerConfig,
  Module,
  type ModuleConfig,
  moduleFromConfig,
  moduleToConfig,
  registerLayer,
} from './module.ts';
import { SymbolicTensor } from './symbolic.ts';

type Callable = { call(...args: unknown[]): unknown };

interface GraphNode {
  layer: number;
  /** Indices into the value list: model inputs first, then node outputs in order. */
  inputs: number[];
}

/**
 * A model defined by connecting layer calls on placeholders (keras.Model(inputs, outputs)):
 *
 *   const x = nn.input();
 *   const h = new nn.ReLU().call(new nn.Linear(4, 8).call(x));
 *   const model = new nn.FunctionalModel({ inputs: x, outputs: new nn.Linear(8, 1).call(h) });
 *
 * Layers are registered as children '0', '1', ... in first-use order (a Sequential-shaped graph gets
 * Sequential's state-dict keys); a layer used twice shares its weights.
 */
export class FunctionalModel extends Module<Tensor[], Tensor | Tensor[]> {
  readonly #layers: AnyModule[] = [];
  readonly #nodes: GraphNode[] = [];
  readonly #numInputs: number;
  readonly #outputs: number[];
  readonly #singleOutput: boolean;
  readonly #inputNames: string[];

  constructor(spec: {
    inputs: SymbolicTensor | SymbolicTensor[];
    outputs: SymbolicTensor | SymbolicTensor[];
  }) {
    super();
    const inputs = Array.isArray(spec.inputs) ? spec.inputs : [spec.inputs];
    const outputs = Array.isArray(spec.outputs) ? spec.outputs : [spec.outputs];
    check(
      inputs.length > 0 && outputs.length > 0,
      'FunctionalModel',
      () => 'needs at least one input and one output',
    );
    inputs.forEach((t, i) => {
      check(
        t instanceof SymbolicTensor && t.layer === null,
        'FunctionalModel',
        () => `inputs[${i}] is not a placeholder from nn.input()`,
      );
    });
    this.#numInputs = inputs.length;
    this.#inputNames = inputs.map((t) => t.name);
    const index = new Map<SymbolicTensor, number>();
    inputs.forEach((t, i) => {
      index.set(t, i);
    });
    const layerIndex = new Map<object, number>();
    // Post-order walk from the outputs gives a topological order of the layer calls.
    const visit = (t: SymbolicTensor, path: Set<SymbolicTensor>): number => {
      const known = index.get(t);
      if (known !== undefined) return known;
      check(
        t instanceof SymbolicTensor,
        'FunctionalModel',
        () => 'outputs must come from layer calls on placeholders',
      );
      if (t.layer === null)
        fail('FunctionalModel', `output depends on input '${t.name}', which is not among the model's inputs`);
      check(!path.has(t), 'FunctionalModel', () => 'the graph has a cycle');
      path.add(t);
      const ins = t.inputs.map((u) => visit(u, path));
      path.delete(t);
      let li = layerIndex.get(t.layer);
      if (li === undefined) {
        li = this.#layers.length;
        layerIndex.set(t.layer, li);
        this.#layers.push(t.layer as AnyModule);
        this.registerModule(String(li), t.layer as AnyModule);
      }
      this.#nodes.push({ layer: li, inputs: ins });
      const id = this.#numInputs + this.#nodes.length - 1;
      index.set(t, id);
      return id;
    };
    this.#outputs = outputs.map((o) => visit(o, new Set()));
    this.#singleOutput = !Array.isArray(spec.outputs);
  }

  forward(...xs: Tensor[]): Tensor | Tensor[] {
    check(
      xs.length === this.#numInputs,
      'FunctionalModel',
      () => `expected ${this.#numInputs} input(s) (${this.#inputNames.join(', ')}), got ${xs.length}`,
    );
    const values: unknown[] = [...xs];
    for (const n of this.#nodes) {
      const layer = this.#layers[n.layer] as unknown as Callable;
      values.push(layer.call(...n.inputs.map((i) => values[i])));
    }
    const outs = this.#outputs.map((i) => values[i] as Tensor);
    return this.#singleOutput ? outs[0]! : outs;
  }

  override getConfig(): LayerConfig {
    return {
      inputs: this.#inputNames,
      layers: this.#layers.map((l) => moduleToConfig(l) as unknown as JsonValue),
      nodes: this.#nodes.map((n) => ({ layer: n.layer, inputs: n.inputs })),
      outputs: this.#outputs,
      singleOutput: this.#singleOutput,
    };
  }

  /** Rebuilds the graph from getConfig()'s output (fresh weights; load a state dict afterwards). */
  static fromConfig(c: LayerConfig): FunctionalModel {
    const names = c.inputs as string[];
    const layers = (c.layers as unknown as ModuleConfig[]).map((l) => moduleFromConfig(l));
    const nodes = c.nodes as unknown as GraphNode[];
    check(
      Array.isArray(names) && Array.isArray(nodes),
      'FunctionalModel',
      () => 'config needs inputs, layers, nodes and outputs',
    );
    const values: SymbolicTensor[] = names.map((n) => new SymbolicTensor(null, [], n));
    for (const n of nodes) {
      const layer = layers[n.layer];
      check(
        layer !== undefined,
        'FunctionalModel',
        () => `node refers to layer ${n.layer}, but there are ${layers.length}`,
      );
      values.push(
        new SymbolicTensor(
          layer,
          n.inputs.map((i) => values[i]!),
          layer.constructor.name,
        ),
      );
    }
    const outs = (c.outputs as number[]).map((i) => values[i]!);
    return new FunctionalModel({
      inputs: values.slice(0, names.length),
      outputs: c.singleOutput === false ? outs : outs[0]!,
    });
  }
}

registerLayer('FunctionalModel', FunctionalModel, FunctionalModel.fromConfig);

/** Merge layers for functional graphs: elementwise sum and concatenation along a dim (keras Add/Concatenate). */
export class Add extends Module<Tensor[], Tensor> {
  forward(...xs: Tensor[]): Tensor {
    check(xs.length >= 2, 'Add', () => `expects at least 2 inputs, got ${xs.length}`);
    return xs.slice(1).reduce((a, b) => a.add(b), xs[0]!);
  }
  override getConfig(): LayerConfig {
    return {};
  }
}
registerLayer('Add', Add, () => new Add());

export class Concatenate extends Module<Tensor[], Tensor> {
  constructor(readonly dim = -1) {
    super();
  }
  forward(...xs: Tensor[]): Tensor {
    check(xs.length >= 2, 'Concatenate', () => `expects at least 2 inputs, got ${xs.length}`);
    return cat(xs, this.dim < 0 ? this.dim + xs[0]!.ndim : this.dim);
  }
  override getConfig(): LayerConfig {
    return { dim: this.dim };
  }
}
registerLayer('Concatenate', Concatenate, (c) => new Concatenate(typeof c.dim === 'number' ? c.dim : -1));
