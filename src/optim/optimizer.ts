import { noGrad } from '../autograd/node.ts';
import { check, fail } from '../core/errors.ts';
import { checkOptionKeys, type OptionSpecs } from '../core/options.ts';
import { keep } from '../tensor/lifecycle.ts';
import { scope } from '../tensor/scope.ts';
import { endStep } from '../tensor/step-release.ts';
import { Tensor } from '../tensor/tensor.ts';

/** A value an optimizer option may take; all of them are JSON-serialisable so state dicts can be saved. */
export type GroupValue = number | boolean | string | null | readonly number[];

/** Options every parameter group has. `initialLr` is set by LR schedulers (torch's `initial_lr`). */
export interface GroupOptions {
  lr: number;
  initialLr?: number;
}

/** A parameter group: its parameters plus one value for every option of the optimizer. */
export type ParamGroup<O extends GroupOptions> = O & { params: Tensor[] };

/** A parameter group as passed in: parameters plus any options that override the optimizer's defaults. */
export type ParamGroupInput<O extends GroupOptions> = { params: Iterable<Tensor> } & Partial<O>;

/** What an optimizer is built from: parameters, or a list of parameter groups (torch's `params` argument). */
export type ParamsInput<O extends GroupOptions> = Iterable<Tensor> | readonly ParamGroupInput<O>[];

/** Per-parameter state: tensors (moments, buffers) and numbers (step counts). */
export type ParamState = Record<string, Tensor | number | undefined>;

/**
 * torch's `optimizer.state_dict()` in camelCase: `state` is keyed by the parameter's index in group order,
 * `paramGroups` holds each group's options with `params` replaced by those indices. Tensors are the live
 * state tensors (not copies), as in torch; `loadStateDict` copies them.
 */
export interface OptimizerStateDict {
  state: Record<string, Record<string, Tensor | number>>;
  paramGroups: (Record<string, GroupValue> & { params: number[] })[];
}

/**
 * The base of every optimizer (PyTorch `torch/optim/optimizer.py`, MLX `init_single`/`apply_single`): it owns
 * the parameter groups and the per-parameter state; a subclass only says how to create one parameter's state
 * (`initState`) and how to update one parameter from its gradient (`update`, in place, with tensor ops).
 */
export abstract class Optimizer<O extends GroupOptions = GroupOptions, S extends ParamState = ParamState> {
  /** The name used in error messages and saved state, e.g. 'Adam'. */
  abstract get name(): string;
  readonly defaults: Readonly<O>;
  readonly paramGroups: ParamGroup<O>[] = [];
  /** Per-parameter state, created on a parameter's first update. */
  readonly state = new Map<Tensor, S>();
  /** How many times `step()` ran (torch's `_step_count`, read by schedulers). */
  stepCount = 0;

  constructor(params: ParamsInput<O>, defaults: O) {
    this.checkKeys(defaults);
    this.defaults = Object.freeze({ ...defaults });
    const list = [...(params as Iterable<Tensor | ParamGroupInput<O>>)];
    check(list.length > 0, 'optimizer', () => 'got an empty parameter list');
    if (list.every((p) => p instanceof Tensor))
      this.addParamGroup({ params: list as Tensor[] } as unknown as ParamGroupInput<O>);
    else {
      for (const g of list) {
        if (g instanceof Tensor)
          fail(
            'optimizer',
            'params must be all tensors or all parameter groups ({ params, ...options }), not a mix',
          );
        this.addParamGroup(g);
      }
    }
  }

  /** Creates the state of one parameter before its first update. Tensors in it are kept automatically. */
  protected abstract initState(param: Tensor, group: ParamGroup<O>): S;

  /** Updates `param` in place from `grad`; runs under noGrad inside a scope, so temporaries are freed. */
  protected abstract update(param: Tensor, grad: Tensor, state: S, group: ParamGroup<O>): void;

  /** Checks one group's options; throws a clear error for an invalid value. */
  protected validate(group: ParamGroup<O>): void {
    check(
      typeof group.lr === 'number' && group.lr >= 0,
      this.name,
      () => `lr must be a number >= 0, got ${String(group.lr)}`,
    );
  }

  /**
   * Refuses an option the optimizer does not have (`weight_decay` for `weightDecay`), which would otherwise be
   * ignored silently. The names come from the subclass's static `options`; a subclass without them is not checked.
   */
  private checkKeys(opts: object, extra: readonly string[] = []): void {
    const specs = (this.constructor as { options?: OptionSpecs }).options;
    if (specs === undefined) return;
    checkOptionKeys(this.name, opts, [...Object.keys(specs), 'initialLr', ...extra]);
  }

  /** torch's `add_param_group`: options missing from the group take the optimizer's defaults. */
  addParamGroup(input: ParamGroupInput<O>): void {
    this.checkKeys(input, ['params']);
    const params = [...input.params];
    check(params.length > 0, this.name, () => 'a parameter group has no parameters');
    const seen = new Set<Tensor>();
    for (const g of this.paramGroups) for (const p of g.params) seen.add(p);
    for (const p of params) {
      if (!(p instanceof Tensor)) fail(this.name, `parameters must be tensors, got ${typeof p}`);
      check(
        p.dtype === 'float32' || p.dtype === 'float64',
        this.name,
        () => `can only optimize floating point tensors, got ${p.dtype}`,
      );
      check(!seen.has(p), this.name, () => 'some parameters appear in more than one parameter group');
      seen.add(p);
    }
    const group = { ...this.defaults, ...input, params } as ParamGroup<O>;
    this.validate(group);
    this.paramGroups.push(group);
  }

  /** The learning rate of the first group (Keras' `optimizer.learning_rate`). */
  get lr(): number {
    return this.paramGroups[0]!.lr;
  }
  /** Sets the learning rate of every group. */
  set lr(value: number) {
    check(value >= 0, this.name, () => `lr must be >= 0, got ${value}`);
    for (const g of this.paramGroups) g.lr = value;
  }

  /** Every parameter, in group order (the order that state-dict indices follow). */
  params(): Tensor[] {
    return this.paramGroups.flatMap((g) => g.params);
  }

  /**
   * One update of every parameter that has a gradient (parameters whose `grad` is null are skipped, as in
   * torch). Runs without recording and frees its temporaries. A closure, if given, is called first with
   * recording on (to recompute the loss) and its result returned.
   */
  step(closure?: () => number): number | undefined {
    const loss = closure?.();
    scope(() =>
      noGrad(() => {
        for (const group of this.paramGroups) {
          for (const p of group.params) {
            const g = p.grad;
            if (g === null) continue;
            let st = this.state.get(p);
            if (st === undefined) {
              st = this.initState(p, group);
              for (const v of Object.values(st)) if (v instanceof Tensor) keep(v);
              this.state.set(p, st);
            }
            this.update(p, g, st, group);
          }
        }
      }),
    );
    this.stepCount++;
    // A step boundary: hands the backend memory of the step before last back (see step-release.ts), so
    // hand-written loops without ts.scope stay flat.
    endStep();
    return loss;
  }

  /**
   * Clears every parameter's gradient. By default the gradient is dropped (and its buffer freed), as in
   * torch 2 (`set_to_none=True`); `setToNone=false` fills it with zeros instead (torch 1.13's default).
   */
  zeroGrad(setToNone = true): void {
    for (const p of this.params()) {
      const g = p.grad;
      if (g === null) continue;
      if (setToNone) {
        p.grad = null;
        g.dispose();
      } else noGrad(() => g.zero_());
    }
  }

  /** A state dict like torch's (see OptimizerStateDict). */
  stateDict(): OptimizerStateDict {
    const index = new Map<Tensor, number>();
    const paramGroups = this.paramGroups.map((g) => {
      const { params, ...opts } = g;
      const ids = params.map((p) => {
        if (!index.has(p)) index.set(p, index.size);
        return index.get(p)!;
      });
      return { ...(opts as unknown as Record<string, GroupValue>), params: ids };
    });
    const state: OptimizerStateDict['state'] = {};
    for (const [p, st] of this.state) {
      const i = index.get(p);
      if (i === undefined) continue;
      const entry: Record<string, Tensor | number> = {};
      for (const [k, v] of Object.entries(st)) if (v !== undefined) entry[k] = v;
      state[String(i)] = entry;
    }
    return { state, paramGroups };
  }

  /**
   * Loads a state dict from `stateDict()` (of an optimizer of the same kind over parameters of the same
   * shapes, in the same group layout). Tensors are copied into this optimizer's own buffers, cast to the
   * parameter's dtype; group options (lr, betas, ...) are restored too.
   */
  loadStateDict(sd: OptimizerStateDict): void {
    const op = `${this.name}.loadStateDict`;
    check(
      sd.paramGroups.length === this.paramGroups.length,
      op,
      () => `expected ${this.paramGroups.length} parameter groups, got ${sd.paramGroups.length}`,
    );
    const byIndex = new Map<number, Tensor>();
    sd.paramGroups.forEach((saved, gi) => {
      const group = this.paramGroups[gi]!;
      check(
        saved.params.length === group.params.length,
        op,
        () =>
          `parameter group ${gi} has ${group.params.length} parameters, the state dict has ${saved.params.length}`,
      );
      saved.params.forEach((idx, j) => {
        byIndex.set(idx, group.params[j]!);
      });
    });
    const fresh = new Map<Tensor, S>();
    for (const [key, entry] of Object.entries(sd.state)) {
      const p = byIndex.get(Number(key));
      if (p === undefined) fail(op, `state for parameter index ${key}, which no parameter group lists`);
      const st: Record<string, Tensor | number> = {};
      for (const [k, v] of Object.entries(entry)) {
        if (v instanceof Tensor) {
          check(
            v.shape.length === p.shape.length && v.shape.every((d, i) => d === p.shape[i]),
            op,
            () => `state '${k}' of parameter ${key} has shape [${v.shape}], the parameter has [${p.shape}]`,
          );
          st[k] = keep(noGrad(() => (v.dtype === p.dtype ? v.clone() : v.to(p.dtype)).contiguous()));
        } else st[k] = v;
      }
      fresh.set(p, st as S);
    }
    this.disposeState();
    for (const [p, st] of fresh) this.state.set(p, st);
    sd.paramGroups.forEach((saved, gi) => {
      const group = this.paramGroups[gi]!;
      const { params: _ids, ...opts } = saved;
      Object.assign(group, opts);
      this.validate(group);
    });
  }

  /** Frees every state buffer and forgets the state (the next step starts afresh). */
  resetState(): void {
    this.disposeState();
  }

  private disposeState(): void {
    for (const st of this.state.values())
      for (const v of Object.values(st)) if (v instanceof Tensor) v.dispose();
    this.state.clear();
  }
}
