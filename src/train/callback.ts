import type { JsonValue } from '../nn/module.ts';
import type { Tensor } from '../tensor/tensor.ts';
import type { Trainer } from './trainer.ts';

/** Numbers reported at the end of a batch or an epoch: 'loss', 'accuracy', 'val_loss', ... */
export type Logs = Record<string, number>;

/**
 * A hook into `fit` (Keras' `keras.callbacks.Callback`). Every method may return a promise, which fit awaits.
 * `trainer` is set before `onTrainBegin`; set `trainer.stopTraining = true` to stop after the current batch.
 * Callbacks that carry state across epochs (patience counters, best values) implement `getState`/`setState`
 * so a checkpointed run resumes exactly.
 */
export class Callback {
  trainer!: Trainer;

  setTrainer(trainer: Trainer): void {
    this.trainer = trainer;
  }

  onTrainBegin(_logs: Logs): void | Promise<void> {}
  onTrainEnd(_logs: Logs): void | Promise<void> {}
  onEpochBegin(_epoch: number, _logs: Logs): void | Promise<void> {}
  onEpochEnd(_epoch: number, _logs: Logs): void | Promise<void> {}
  onTrainBatchBegin(_batch: number, _logs: Logs): void | Promise<void> {}
  onTrainBatchEnd(_batch: number, _logs: Logs): void | Promise<void> {}

  /** State to save in a checkpoint (JSON), or undefined when the callback has none. */
  getState(): JsonValue | undefined {
    return undefined;
  }
  setState(_state: JsonValue): void {}
  /** Tensors to keep in a checkpoint (saved in callbacks.safetensors); undefined for none. */
  getTensors(): Record<string, Tensor> | undefined {
    return undefined;
  }
  /** Receives the tensors `getTensors` gave, on resume; they are disposed afterwards, so copy what you keep. */
  setTensors(_tensors: Record<string, Tensor>): void {}
}

/** 'max' for monitored names that grow when better (accuracy, auc, precision, ...), 'min' otherwise (Keras' 'auto'). */
export function autoMode(monitor: string): 'min' | 'max' {
  return /acc|auc|precision|recall|f1|r2|fmeasure/i.test(monitor) ? 'max' : 'min';
}
