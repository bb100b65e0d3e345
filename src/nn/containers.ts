import { check, fail } from '../core/errors.ts';
import type { Tensor } from '../tensor/tensor.ts';
import {
  type AnyModule,
  type LayerConfig,
  Module,
  type ModuleConfig,
  moduleFromConfig,
  moduleToConfig,
  registerLayer,
} from './module.ts';

/** A module whose forward takes one value and returns one (what Sequential chains). */
type Unary = Module<[unknown], unknown>;

function indexIn(op: string, i: number, n: number): number {
  check(Number.isInteger(i) && i >= -n && i < n, op, () => `index ${i} is out of range for length ${n}`);
  return i < 0 ? i + n : i;
}

function childConfigs(op: string, v: unknown): ModuleConfig[] {
  if (!Array.isArray(v))
    fail(op, `config.layers must be an array of {className, config}, got ${JSON.stringify(v)}`);
  return v as ModuleConfig[];
}

/**
 * Modules applied in order (torch.nn.Sequential). Children are named '0', '1', ..., so state-dict keys
 * are `0.weight`, `2.bias` as in PyTorch.
 */
export class Sequential extends Module<[Tensor], Tensor> {
  #layers: AnyModule[] = [];

  constructor(...layers: AnyModule[]) {
    super();
    for (const l of layers) this.append(l);
  }

  append(layer: AnyModule): this {
    this.registerModule(String(this.#layers.length), layer);
    this.#layers.push(layer);
    return this;
  }

  get length(): number {
    return this.#layers.length;
  }

  /** The layer at index i (negative counts from the end). */
  at<M extends AnyModule = AnyModule>(i: number): M {
    return this.#layers[indexIn('Sequential.at', i, this.#layers.length)] as M;
  }

  [Symbol.iterator](): Iterator<AnyModule> {
    return this.#layers[Symbol.iterator]();
  }

  forward(x: Tensor): Tensor {
    let y: unknown = x;
    for (const l of this.#layers) y = (l as unknown as Unary).call(y);
    return y as Tensor;
  }

  override getConfig(): LayerConfig {
    return { layers: this.#layers.map((l) => moduleToConfig(l)) };
  }

  static fromConfig(config: LayerConfig): Sequential {
    return new Sequential(...childConfigs('Sequential', config.layers).map((c) => moduleFromConfig(c)));
  }
}

/** A list of modules, registered as '0', '1', ... (torch.nn.ModuleList); it has no forward. */
export class ModuleList extends Module<never[], never> {
  #items: AnyModule[] = [];

  constructor(modules: readonly AnyModule[] = []) {
    super();
    for (const m of modules) this.append(m);
  }

  append(m: AnyModule): this {
    this.registerModule(String(this.#items.length), m);
    this.#items.push(m);
    return this;
  }

  get length(): number {
    return this.#items.length;
  }

  at<M extends AnyModule = AnyModule>(i: number): M {
    return this.#items[indexIn('ModuleList.at', i, this.#items.length)] as M;
  }

  [Symbol.iterator](): Iterator<AnyModule> {
    return this.#items[Symbol.iterator]();
  }

  forward(): never {
    fail('ModuleList', 'a ModuleList has no forward; iterate over it in the parent module');
  }

  override getConfig(): LayerConfig {
    return { layers: this.#items.map((l) => moduleToConfig(l)) };
  }

  static fromConfig(config: LayerConfig): ModuleList {
    return new ModuleList(childConfigs('ModuleList', config.layers).map((c) => moduleFromConfig(c)));
  }
}

registerLayer('Sequential', Sequential, Sequential.fromConfig);
registerLayer('ModuleList', ModuleList, ModuleList.fromConfig);
