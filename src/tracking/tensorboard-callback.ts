/**
 * The TensorBoard callback (keras.callbacks.TensorBoard): per-step and per-epoch scalars, weight and
 * gradient histograms, and training throughput, into an event file in `logDir`.
 */
import { fail } from '../core/errors.ts';
import { checkOptions, type OptionSpecs } from '../core/options.ts';
import type { JsonValue } from '../nn/module.ts';
import type { Tensor } from '../tensor/tensor.ts';
import { Callback, type Logs } from '../train/callback.ts';
import type { TrainableModule } from '../train/trainer.ts';
import { EventWriter } from './events.ts';

export interface TensorBoardOptions {
  /** Directory of the event file (created). */
  logDir: string;
  /** Scalars per 'batch', per 'epoch' only, or every n batches (default 'batch'). */
  updateFreq?: 'batch' | 'epoch' | number;
  /** Weight (and gradient) histograms every n epochs; 0 for none (default 1). */
  histogramFreq?: number;
  /** Histograms of the gradients of the epoch's last step too (default true). */
  writeGrads?: boolean;
}

/** Dotted parameter names where the module has them (nn.Module), else the parameters' positions. */
function namedParams(m: TrainableModule): [string, Tensor][] {
  const named = (m as { namedParameters?: () => [string, Tensor][] }).namedParameters;
  return typeof named === 'function' ? named.call(m) : m.parameters().map((p, i) => [String(i), p]);
}

export class TensorBoard extends Callback {
  static readonly options: OptionSpecs = {
    logDir: { type: 'string', required: true },
    histogramFreq: { type: 'number', int: true, min: 0, default: 1 },
    writeGrads: { type: 'boolean', default: true },
  };
  readonly logDir: string;
  readonly updateFreq: 'batch' | 'epoch' | number;
  readonly histogramFreq: number;
  readonly writeGrads: boolean;
  /** Batches trained so far over the whole run: the step of the per-batch scalars. */
  globalStep = 0;
  private writer: EventWriter | null = null;
  private epochStart = 0;
  private epochSamples = 0;

  constructor(opts: TensorBoardOptions) {
    super();
    // updateFreq is a string or a number, which an OptionSpec cannot say; it is checked here.
    checkOptions('TensorBoard', opts, TensorBoard.options, ['updateFreq']);
    const f = opts.updateFreq ?? 'batch';
    if (typeof f === 'string' && f !== 'batch' && f !== 'epoch')
      fail('TensorBoard', `updateFreq must be 'batch', 'epoch' or a number of batches, got '${f}'`);
    if (typeof f === 'number' && !(Number.isInteger(f) && f >= 1))
      fail('TensorBoard', `updateFreq must be an integer >= 1 when a number, got ${String(f)}`);
    this.logDir = opts.logDir;
    this.updateFreq = f;
    this.histogramFreq = opts.histogramFreq ?? 1;
    this.writeGrads = opts.writeGrads ?? true;
  }

  /** The event file being written (null before onTrainBegin and after onTrainEnd). */
  get path(): string | null {
    return this.writer?.path ?? null;
  }

  override onTrainBegin(): void {
    this.writer = new EventWriter(this.logDir);
  }

  override onEpochBegin(): void {
    this.epochStart = performance.now();
    this.epochSamples = 0;
  }

  override onTrainBatchEnd(_batch: number, logs: Logs): void {
    this.epochSamples += logs.size ?? 0;
    const every = this.updateFreq === 'batch' ? 1 : this.updateFreq === 'epoch' ? 0 : this.updateFreq;
    if (every > 0 && this.globalStep % every === 0 && this.writer !== null && logs.loss !== undefined)
      this.writer.addScalar('batch/loss', logs.loss, this.globalStep);
    this.globalStep++;
  }

  override onEpochEnd(epoch: number, logs: Logs): void {
    const w = this.writer;
    if (w === null) return;
    for (const [k, v] of Object.entries(logs)) w.addScalar(`epoch/${k}`, v, epoch);
    const secs = (performance.now() - this.epochStart) / 1000;
    if (secs > 0 && this.epochSamples > 0)
      w.addScalar('system/samples_per_sec', this.epochSamples / secs, epoch);
    w.addScalar('system/heap_mb', process.memoryUsage().heapUsed / 2 ** 20, epoch);
    if (this.histogramFreq > 0 && (epoch + 1) % this.histogramFreq === 0) {
      for (const [name, p] of namedParams(this.trainer.module)) {
        w.addHistogram(`weights/${name}`, p.dataSync(), epoch);
        // The gradients of the epoch's last step are still on the parameters (zeroGrad runs before backward).
        if (this.writeGrads && p.grad !== null) w.addHistogram(`grads/${name}`, p.grad.dataSync(), epoch);
      }
    }
  }

  override onTrainEnd(): void {
    this.writer?.close();
    this.writer = null;
  }

  /** The global step, so a resumed run continues the per-batch step axis. */
  override getState(): JsonValue {
    return { globalStep: this.globalStep };
  }
  override setState(s: JsonValue): void {
    this.globalStep = (s as { globalStep: number }).globalStep;
  }
}
