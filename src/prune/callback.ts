/**
 * Pruning inside fit: a callback around a Pruner. The masks are recomputed before a step where the schedule
 * prunes and re-applied after every optimizer step, so the trainer itself knows nothing of pruning. The step
 * count is the callback's checkpoint state and the masks its checkpoint tensors (callbacks.safetensors), so a
 * run resumed from a checkpoint continues bit for bit.
 */
import { check, fail } from '../core/errors.ts';
import { checkOptionKeys } from '../core/options.ts';
import { type AnyModule, type JsonValue, Module } from '../nn/module.ts';
import type { Tensor } from '../tensor/tensor.ts';
import { Callback, type Logs } from '../train/callback.ts';
import { PRUNER_KEYS, Pruner, type PrunerOptions } from './pruner.ts';

export class PruningCallback extends Callback {
  readonly options: PrunerOptions;
  /** Created at the start of fit, on the trainer's module; kept across fits of the same module. */
  pruner: Pruner | null = null;

  constructor(opts: PrunerOptions = {}) {
    super();
    checkOptionKeys('PruningCallback', opts, PRUNER_KEYS);
    this.options = { ...opts };
  }

  #ensure(): Pruner {
    const m = this.trainer?.module;
    if (!(m instanceof Module)) fail('PruningCallback', "the trainer's model must be an nn.Module");
    if (this.pruner === null || this.pruner.model !== m)
      this.pruner = new Pruner(m as unknown as AnyModule, this.options);
    return this.pruner;
  }

  override onTrainBegin(_logs: Logs): void {
    this.#ensure().applyMasks();
  }

  override onTrainBatchBegin(_batch: number, _logs: Logs): void {
    this.#ensure().beforeStep();
  }

  override onTrainBatchEnd(_batch: number, _logs: Logs): void {
    this.#ensure().afterStep();
  }

  /** Adds the pruned fraction of the targets to the epoch's logs (and so to the history). */
  override onEpochEnd(_epoch: number, logs: Logs): void {
    logs.sparsity = this.#ensure().sparsity();
  }

  override getState(): JsonValue {
    return { step: this.#ensure().step };
  }

  override setState(state: JsonValue): void {
    const step = (state as { step?: unknown } | null)?.step;
    check(
      typeof step === 'number' && Number.isInteger(step) && step >= 0,
      'PruningCallback',
      () => `checkpoint state must be { step: integer >= 0 }, got ${JSON.stringify(state)}`,
    );
    this.#ensure().step = step;
  }

  override getTensors(): Record<string, Tensor> {
    return this.#ensure().masks();
  }

  override setTensors(tensors: Record<string, Tensor>): void {
    // setMasks copies them: fit disposes the checkpoint's tensors afterwards.
    this.#ensure().setMasks(tensors);
  }
}
