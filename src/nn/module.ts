import { noGrad } from '../autograd/node.ts';
import { check, fail, fmtShape } from '../core/errors.ts';
import { checkOptionKeys } from '../core/options.ts';
import { Registry } from '../core/registry.ts';
import { shapesEqual } from '../core/shape.ts';
import { keep } from '../tensor/lifecycle.ts';
import { Tensor } from '../tensor/tensor.ts';
import { Parameter } from './parameter.ts';
import { isSymbolicCall, SymbolicTensor } from './symbolic.ts';

/** A JSON value, for layer configs. */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };
/** A layer's constructor arguments as JSON (what `getConfig()` returns and `fromConfig` takes). */
export type LayerConfig = { [key: string]: JsonValue };

/**
 * Any module, whatever its forward signature (for containers and registries). Its forward cannot be
 * called without a cast, which is the point: the argument list is unknown.
 */
export type AnyModule = Module<never, unknown>;

export interface HookHandle {
  remove(): void;
}

export interface LoadResult {
  missingKeys: string[];
  unexpectedKeys: string[];
}

/** A forward pre-hook: returning an array replaces forward's arguments. */
export type ForwardPreHook = (module: AnyModule, args: unknown[]) => unknown[] | undefined;
/** A forward hook: returning a value other than undefined replaces the output. */
export type ForwardHook = (module: AnyModule, args: unknown[], output: unknown) => unknown;

/**
 * The base of every layer and model (torch.nn.Module).
 *
 * State is registered in two ways (see docs/decisions/nn-module.md):
 * - explicitly, `this.weight = this.registerParameter('weight', p)`, which sets the state-dict name
 *   (layers use it for PyTorch names such as `in_proj_weight` or `running_mean`, and for buffers);
 * - by assignment, `this.fc1 = new Linear(4, 8)`: every own enumerable field holding a Parameter or a
 *   Module that is not registered under another name is picked up under its field name, in field order,
 *   the first time state is listed (and again each time, so a replaced field is followed).
 */
export abstract class Module<TArgs extends unknown[] = [Tensor], TOut = Tensor> {
  /** Training mode (dropout active, batch norm on batch statistics); see train()/eval(). */
  training = true;
  readonly #params = new Map<string, Parameter | null>();
  readonly #buffers = new Map<string, Tensor | null>();
  readonly #nonPersistent = new Set<string>();
  readonly #modules = new Map<string, AnyModule | null>();
  /** Names picked up from fields (as opposed to registered explicitly). */
  readonly #fromFields = new Set<string>();
  readonly #preHooks = new Map<number, ForwardPreHook>();
  readonly #postHooks = new Map<number, ForwardHook>();
  #nextHook = 0;

  abstract forward(...args: TArgs): TOut;

  /** Runs the forward pre-hooks, forward, then the forward hooks (torch's `module(x)`). */
  call(...args: TArgs): TOut;
  /** On placeholders (nn.input()), records the call for a FunctionalModel. */
  call(...args: SymbolicTensor[]): SymbolicTensor;
  call(...args: TArgs | SymbolicTensor[]): TOut | SymbolicTensor {
    // Called on placeholders while a functional model is built: record the call, compute nothing.
    if (isSymbolicCall(args))
      return new SymbolicTensor(this, args as unknown as SymbolicTensor[], this.constructor.name) as TOut;
    let a: unknown[] = args;
    for (const h of this.#preHooks.values()) {
      const r = h(this as unknown as AnyModule, a);
      if (r !== undefined) a = r;
    }
    let out: unknown = this.forward(...(a as TArgs));
    for (const h of this.#postHooks.values()) {
      const r = h(this as unknown as AnyModule, a, out);
      if (r !== undefined) out = r;
    }
    return out as TOut;
  }

  /** `hook(module, args)` runs before forward; returning an array replaces the arguments. */
  registerForwardPreHook(hook: ForwardPreHook): HookHandle {
    const id = this.#nextHook++;
    this.#preHooks.set(id, hook);
    return { remove: () => this.#preHooks.delete(id) };
  }

  /** `hook(module, args, output)` runs after forward; returning a value replaces the output. */
  registerForwardHook(hook: ForwardHook): HookHandle {
    const id = this.#nextHook++;
    this.#postHooks.set(id, hook);
    return { remove: () => this.#postHooks.delete(id) };
  }

  // ---- registration ----

  /** Registers (or replaces) a parameter under `name`; a tensor that is not a Parameter is wrapped. */
  registerParameter<P extends Parameter | null>(name: string, param: P): P;
  registerParameter(name: string, param: Tensor): Parameter;
  registerParameter(name: string, param: Tensor | null): Parameter | null {
    this.#checkName('registerParameter', name, this.#params);
    const p = param === null || param instanceof Parameter ? param : new Parameter(param);
    this.#params.set(name, p);
    this.#fromFields.delete(name);
    return p;
  }

  /**
   * Registers (or replaces) a buffer: state that is not trained (running statistics). Persistent
   * buffers are in the state dict. The tensor is `keep()`-ed so scopes never free it.
   */
  registerBuffer<T extends Tensor | null>(name: string, value: T, opts: { persistent?: boolean } = {}): T {
    this.#checkName('registerBuffer', name, this.#buffers);
    if (value !== null) keep(value);
    this.#buffers.set(name, value);
    if (opts.persistent ?? true) this.#nonPersistent.delete(name);
    else this.#nonPersistent.add(name);
    return value;
  }

  /** Registers (or replaces) a child module under `name`. */
  registerModule<M extends AnyModule | null>(name: string, module: M): M {
    this.#checkName('registerModule', name, this.#modules);
    this.#modules.set(name, module);
    this.#fromFields.delete(name);
    return module;
  }

  #checkName(op: string, name: string, own: Map<string, unknown>): void {
    check(
      typeof name === 'string' && name.length > 0 && !name.includes('.'),
      op,
      () => `name must be a non-empty string without '.', got ${JSON.stringify(name)}`,
    );
    for (const m of [this.#params, this.#buffers, this.#modules] as Map<string, unknown>[]) {
      if (m !== own && m.has(name)) fail(op, `"${name}" is already registered as another kind of state`);
    }
  }

  /** Picks up Parameters and Modules assigned to own fields (registration by assignment). */
  #syncFields(): void {
    const registered = new Set<unknown>();
    for (const [k, v] of this.#params) if (!this.#fromFields.has(k) && v !== null) registered.add(v);
    for (const [k, v] of this.#modules) if (!this.#fromFields.has(k) && v !== null) registered.add(v);
    const seen = new Set<string>();
    for (const [k, v] of Object.entries(this)) {
      if (!(v instanceof Parameter || v instanceof Module) || registered.has(v)) continue;
      if (!this.#fromFields.has(k) && (this.#params.has(k) || this.#modules.has(k) || this.#buffers.has(k)))
        continue;
      seen.add(k);
      this.#fromFields.add(k);
      if (v instanceof Parameter) {
        this.#modules.delete(k);
        this.#params.set(k, v);
      } else {
        this.#params.delete(k);
        this.#modules.set(k, v as AnyModule);
      }
    }
    // A field that no longer holds a Parameter/Module drops out.
    for (const k of [...this.#fromFields]) {
      if (seen.has(k)) continue;
      this.#fromFields.delete(k);
      this.#params.delete(k);
      this.#modules.delete(k);
    }
  }

  // ---- listing ----

  /** Direct parameters and child modules, in registration order (null entries included). */
  protected ownParameters(): [string, Parameter | null][] {
    this.#syncFields();
    return [...this.#params];
  }

  namedChildren(): [string, AnyModule][] {
    this.#syncFields();
    const out: [string, AnyModule][] = [];
    for (const [k, m] of this.#modules) if (m !== null) out.push([k, m]);
    return out;
  }

  children(): AnyModule[] {
    return this.namedChildren().map(([, m]) => m);
  }

  /** Every module in the tree, this one first (key ''), each listed once. */
  namedModules(prefix = ''): [string, AnyModule][] {
    const out: [string, AnyModule][] = [];
    const seen = new Set<AnyModule>();
    const walk = (m: AnyModule, p: string) => {
      if (seen.has(m)) return;
      seen.add(m);
      out.push([p, m]);
      for (const [k, c] of m.namedChildren()) walk(c, p === '' ? k : `${p}.${k}`);
    };
    walk(this as unknown as AnyModule, prefix);
    return out;
  }

  modules(): AnyModule[] {
    return this.namedModules().map(([, m]) => m);
  }

  /** Parameters with dotted names (`0.weight`, `encoder.layers.0.linear1.bias`); shared ones listed once. */
  namedParameters(opts: { prefix?: string; recurse?: boolean } = {}): [string, Parameter][] {
    const out: [string, Parameter][] = [];
    const seen = new Set<Parameter>();
    const mods: [string, AnyModule][] =
      (opts.recurse ?? true)
        ? this.namedModules(opts.prefix ?? '')
        : [[opts.prefix ?? '', this as unknown as AnyModule]];
    for (const [p, m] of mods) {
      for (const [k, v] of m.ownParameters()) {
        if (v === null || seen.has(v)) continue;
        seen.add(v);
        out.push([p === '' ? k : `${p}.${k}`, v]);
      }
    }
    return out;
  }

  parameters(opts: { recurse?: boolean } = {}): Parameter[] {
    return this.namedParameters(opts).map(([, p]) => p);
  }

  namedBuffers(opts: { prefix?: string; recurse?: boolean } = {}): [string, Tensor][] {
    const out: [string, Tensor][] = [];
    const seen = new Set<Tensor>();
    const mods: [string, AnyModule][] =
      (opts.recurse ?? true)
        ? this.namedModules(opts.prefix ?? '')
        : [[opts.prefix ?? '', this as unknown as AnyModule]];
    for (const [p, m] of mods) {
      for (const [k, v] of m.#buffers) {
        if (v === null || seen.has(v)) continue;
        seen.add(v);
        out.push([p === '' ? k : `${p}.${k}`, v]);
      }
    }
    return out;
  }

  buffers(opts: { recurse?: boolean } = {}): Tensor[] {
    return this.namedBuffers(opts).map(([, b]) => b);
  }

  /** A direct parameter by its registered name (throws when absent). */
  getParameter(name: string): Parameter | null {
    this.#syncFields();
    if (!this.#params.has(name)) fail('getParameter', `${this.constructor.name} has no parameter "${name}"`);
    return this.#params.get(name)!;
  }

  /** A direct buffer by its registered name (throws when absent). */
  getBuffer(name: string): Tensor | null {
    if (!this.#buffers.has(name)) fail('getBuffer', `${this.constructor.name} has no buffer "${name}"`);
    return this.#buffers.get(name)!;
  }

  /** A descendant by dotted path (`encoder.layers.0`); '' is this module. */
  getSubmodule(path: string): AnyModule {
    let m: AnyModule = this as unknown as AnyModule;
    if (path === '') return m;
    for (const part of path.split('.')) {
      const next = new Map(m.namedChildren()).get(part);
      if (next === undefined)
        fail('getSubmodule', `${m.constructor.name} has no submodule "${part}" (in "${path}")`);
      m = next;
    }
    return m;
  }

  // ---- state dict ----

  /**
   * Parameters and persistent buffers by dotted PyTorch-style key. The tensors are the module's own
   * (values shared, as torch's detached state-dict tensors share storage): copy before mutating.
   */
  stateDict(): Record<string, Tensor> {
    const out: Record<string, Tensor> = {};
    const walk = (m: AnyModule, prefix: string, seen: Set<AnyModule>) => {
      if (seen.has(m)) return;
      seen.add(m);
      for (const [k, v] of m.ownParameters()) if (v !== null) out[prefix + k] = v;
      for (const [k, v] of m.#buffers) if (v !== null && !m.#nonPersistent.has(k)) out[prefix + k] = v;
      for (const [k, c] of m.namedChildren()) walk(c, `${prefix}${k}.`, seen);
    };
    walk(this as unknown as AnyModule, '', new Set());
    return out;
  }

  /**
   * Copies values in place from `stateDict` (torch's load_state_dict). Shapes must match exactly (a
   * mismatch always throws); dtypes are converted. With `strict` (the default) any missing or unexpected
   * key throws, naming both lists; otherwise they are returned.
   */
  loadStateDict(stateDict: Record<string, Tensor>, opts: { strict?: boolean } = {}): LoadResult {
    checkOptionKeys('loadStateDict', opts, ['strict']);
    check(
      opts.strict === undefined || typeof opts.strict === 'boolean',
      'loadStateDict',
      () => `strict must be true or false, got ${String(opts.strict)}`,
    );
    check(
      stateDict !== null && typeof stateDict === 'object',
      'loadStateDict',
      () => `expected a state dict (an object of tensors keyed by name), got ${String(stateDict)}`,
    );
    const own = this.stateDict();
    const missingKeys = Object.keys(own).filter((k) => !(k in stateDict));
    const unexpectedKeys = Object.keys(stateDict).filter((k) => !(k in own));
    const strict = opts.strict ?? true;
    const mismatches: string[] = [];
    for (const [k, dst] of Object.entries(own)) {
      const src = stateDict[k];
      if (src === undefined) continue;
      check(src instanceof Tensor, 'loadStateDict', () => `value for "${k}" is not a Tensor`);
      if (!shapesEqual(src.shape, dst.shape))
        mismatches.push(
          `size mismatch for ${k}: copying a tensor of shape ${fmtShape(src.shape)}, the shape in the current model is ${fmtShape(dst.shape)}`,
        );
    }
    const problems = [...mismatches];
    if (strict && (missingKeys.length > 0 || unexpectedKeys.length > 0))
      problems.unshift(
        `missing keys: [${missingKeys.join(', ')}]; unexpected keys: [${unexpectedKeys.join(', ')}]`,
      );
    if (problems.length > 0)
      fail(
        'loadStateDict',
        `error(s) loading state dict for ${this.constructor.name}: ${problems.join('; ')}`,
      );
    noGrad(() => {
      for (const [k, dst] of Object.entries(own)) {
        const src = stateDict[k];
        if (src !== undefined && src !== dst) dst.copy_(src);
      }
    });
    return { missingKeys, unexpectedKeys };
  }

  // ---- modes and bulk operations ----

  /** Sets training mode on this module and every descendant. */
  train(mode = true): this {
    for (const m of this.modules()) m.training = mode;
    return this;
  }

  eval(): this {
    return this.train(false);
  }

  /** Calls fn on every descendant, children first, then on this module (torch's apply, for init). */
  apply(fn: (m: AnyModule) => void): this {
    const seen = new Set<AnyModule>();
    const walk = (m: AnyModule) => {
      if (seen.has(m)) return;
      seen.add(m);
      for (const c of m.children()) walk(c);
      fn(m);
    };
    walk(this as unknown as AnyModule);
    return this;
  }

  /** Turns gradient tracking on or off for every parameter (freezing for transfer learning). */
  requiresGrad_(flag = true): this {
    for (const p of this.parameters()) p.requiresGrad_(flag);
    return this;
  }

  /** Clears every parameter's gradient and frees its buffer (torch's set_to_none default). */
  zeroGrad(): void {
    for (const p of this.parameters()) p.zeroGrad();
  }

  /** Number of scalar parameters (trainable only when asked). */
  numParameters(opts: { trainableOnly?: boolean } = {}): number {
    let n = 0;
    for (const p of this.parameters()) if (!opts.trainableOnly || p.requiresGrad) n += p.size;
    return n;
  }

  // ---- config ----

  /**
   * The JSON constructor arguments that rebuild this layer (with `registerLayer`'s fromConfig).
   * Layers override it; a module that does not cannot be saved as config.
   */
  getConfig(): LayerConfig {
    fail(
      'getConfig',
      `${this.constructor.name} does not define getConfig(); override it and registerLayer() the class to save it as config`,
    );
  }

  /** One line of extra info for toString (torch's extra_repr). */
  extraRepr(): string {
    return '';
  }

  toString(): string {
    const kids = this.namedChildren();
    const head = `${this.constructor.name}(${this.extraRepr()}`;
    if (kids.length === 0) return `${head})`;
    const lines = kids.map(([k, m]) => `  (${k}): ${m.toString().split('\n').join('\n  ')}`);
    return `${head}\n${lines.join('\n')}\n)`;
  }
}

// ---- layer registry: rebuild a model from JSON config ----

/** A module's class name (as registered) and config, nested for containers. */
export type ModuleConfig = {
  className: string;
  config: LayerConfig;
};

/** The layer registry: class name -> the function that rebuilds the layer from `getConfig()`'s output. */
export const layers = new Registry<(config: LayerConfig) => AnyModule>('layer class', 'moduleFromConfig');
// biome-ignore lint/complexity/noBannedTypes: classes are keyed by constructor identity.
const nameByClass = new Map<Function, string>();

/**
 * Registers a layer class under a name, with the function that rebuilds it from `getConfig()`'s
 * output. Re-registering a name replaces it (module reloads); a class has one name.
 */
export function registerLayer<M extends AnyModule>(
  name: string,
  cls: abstract new (...args: never[]) => M,
  fromConfig: (config: LayerConfig) => M,
): void {
  check(name.length > 0, 'registerLayer', () => 'name must be non-empty');
  layers.register(name, fromConfig);
  nameByClass.set(cls, name);
}

export function registeredLayers(): string[] {
  return layers.names();
}

/** `{className, config}` for a module whose class is registered; containers nest their children. */
export function moduleToConfig(m: AnyModule): ModuleConfig {
  const className = nameByClass.get(m.constructor);
  if (className === undefined)
    fail(
      'moduleToConfig',
      `${m.constructor.name} is not a registered layer class; call registerLayer('${m.constructor.name}', ${m.constructor.name}, fromConfig)`,
    );
  return { className, config: m.getConfig() };
}

/** Rebuilds a module (freshly initialised) from `moduleToConfig`'s output; load weights afterwards. */
export function moduleFromConfig<M extends AnyModule = AnyModule>(c: ModuleConfig): M {
  check(
    c !== null && typeof c === 'object' && typeof c.className === 'string',
    'moduleFromConfig',
    () => `expected {className, config}, got ${JSON.stringify(c)}`,
  );
  const config = c.config ?? {};
  const m = layers.get(c.className)(config) as M;
  // A config key the layer does not write back is one it did not read: refuse it rather than ignore it.
  if (config !== null && typeof config === 'object' && !Array.isArray(config)) {
    const known = Object.keys(m.getConfig() ?? {});
    checkOptionKeys(`moduleFromConfig(${c.className})`, config, known);
  }
  return m;
}
