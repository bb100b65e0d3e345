/**
 * The Pruner: which weights of a model are pruned, layer-wise or globally, on what schedule. It counts optimizer
 * steps and, around each, recomputes the masks when the schedule says so (before the step) and re-applies them
 * (after it), so pruned weights are zero in every forward. fit uses it through PruningCallback; a hand-written
 * loop calls `beforeStep()` and `afterStep()` around `optimizer.step()` itself.
 */
import { check, fail } from '../core/errors.ts';
import { checkOptionKeys, optionKeys } from '../core/options.ts';
import { Conv2d } from '../nn/layers/conv.ts';
import { Linear } from '../nn/layers/linear.ts';
import type { AnyModule } from '../nn/module.ts';
import type { Parameter } from '../nn/parameter.ts';
import type { Tensor } from '../tensor/tensor.ts';
import { applyMask, getMasks, globalPruneTo, maskOf, pruneTensorTo, setMasks, sparsityOf } from './masks.ts';
import { checkSchedule, type SparsitySchedule } from './schedule.ts';

export interface PrunerOptions {
  /** Qualified parameter names to prune ('0.weight'); default every weight of a Linear or Conv2d layer. */
  params?: readonly string[];
  /** 'layer' (default): each tensor to the target sparsity; 'global': one threshold over all of them. */
  scope?: 'layer' | 'global';
  /** When to prune and how much; without one the Pruner only keeps the masks the weights already have. */
  schedule?: SparsitySchedule;
}

export const PRUNER_KEYS = optionKeys<PrunerOptions>({ params: true, scope: true, schedule: true });

/** The weights pruned by default: those of Linear and Conv2d layers (biases and norms are left, as usual). */
export function defaultPruneTargets(model: AnyModule): string[] {
  const out: string[] = [];
  for (const [name, m] of model.namedModules())
    if (m instanceof Linear || m instanceof Conv2d) out.push(name === '' ? 'weight' : `${name}.weight`);
  return out;
}

export class Pruner {
  readonly model: AnyModule;
  readonly names: readonly string[];
  readonly scope: 'layer' | 'global';
  readonly schedule: SparsitySchedule | null;
  /** Optimizer steps done (what the schedule is indexed by); saved in checkpoints by PruningCallback. */
  step = 0;
  readonly #params: Parameter[];

  constructor(model: AnyModule, opts: PrunerOptions = {}) {
    checkOptionKeys('Pruner', opts, PRUNER_KEYS);
    const scope = opts.scope ?? 'layer';
    check(
      scope === 'layer' || scope === 'global',
      'Pruner',
      () => `scope must be 'layer' or 'global', got ${String(scope)}`,
    );
    if (opts.schedule !== undefined) checkSchedule('Pruner', opts.schedule);
    this.model = model;
    this.scope = scope;
    this.schedule = opts.schedule ?? null;
    this.names = [...(opts.params ?? defaultPruneTargets(model))];
    check(this.names.length > 0, 'Pruner', () => 'the model has no Linear or Conv2d weight; name params');
    const all = new Map(model.namedParameters());
    this.#params = this.names.map((n) => {
      const p = all.get(n);
      if (p === undefined) fail('Pruner', `the model has no parameter "${n}"`);
      check(
        p.dtype === 'float32' || p.dtype === 'float64',
        'Pruner',
        () => `"${n}" is ${p.dtype}; only floating-point weights are pruned`,
      );
      return p;
    });
  }

  /** Prunes the targets to `sparsity` now (layer-wise or globally), keeping what was pruned before. */
  pruneTo(sparsity: number): void {
    if (this.scope === 'global') globalPruneTo(this.#params, sparsity, 'Pruner');
    else for (const p of this.#params) pruneTensorTo(p, sparsity, 'Pruner');
  }

  /** Before optimizer step `step`: recomputes the masks when the schedule prunes at this step. */
  beforeStep(): boolean {
    if (this.schedule === null || !this.schedule.isPruningStep(this.step)) return false;
    this.pruneTo(this.schedule.sparsityAt(this.step));
    return true;
  }

  /** After the optimizer step: the pruned weights back to zero, and the step counted. */
  afterStep(): void {
    this.applyMasks();
    this.step++;
  }

  applyMasks(): void {
    for (const p of this.#params) applyMask(p);
  }

  /** The masks of the targets that have one, by qualified name. */
  masks(): Record<string, Tensor> {
    const own = new Set(this.names);
    return Object.fromEntries(Object.entries(getMasks(this.model)).filter(([n]) => own.has(n)));
  }

  setMasks(named: Record<string, Tensor>): void {
    const own = new Set(this.names);
    for (const n of Object.keys(named))
      check(
        own.has(n),
        'Pruner',
        () => `"${n}" is not one of the pruned parameters (${this.names.join(', ')})`,
      );
    setMasks(this.model, named);
  }

  /** The fraction of zero weights over all the targets. */
  sparsity(): number {
    return sparsityOf(this.#params);
  }

  /** Each target's fraction of pruned entries (by its mask; 0 for a tensor without one). */
  layerSparsity(): Record<string, number> {
    const out: Record<string, number> = {};
    this.names.forEach((n, i) => {
      const m = maskOf(this.#params[i]!);
      if (m === null) out[n] = 0;
      else {
        const v = m.toTypedArray();
        let z = 0;
        for (let j = 0; j < v.length; j++) if (!v[j]) z++;
        out[n] = z / v.length;
      }
    });
    return out;
  }
}
