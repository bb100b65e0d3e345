/**
 * Shared helpers for the example workflows: flags, timing, and the one JSON line every workflow ends with
 * (`{"workflow", "metrics": {...}, "samplesPerSec"}`), which tools and tests read from the last line of stdout.
 */
import { parseArgs } from 'node:util';
import * as ts from '../src/index.ts';

export interface ExampleFlags {
  /** A few rows and epochs: a smoke run for tests, not a result. */
  quick: boolean;
  seed: number;
}

/** Parses the flags every example takes: --quick, --seed <n>. */
export function exampleFlags(argv: readonly string[] = process.argv.slice(2)): ExampleFlags {
  const { values } = parseArgs({
    args: [...argv],
    options: { quick: { type: 'boolean', default: false }, seed: { type: 'string', default: '0' } },
  });
  const seed = Number(values.seed);
  if (!Number.isInteger(seed) || seed < 0)
    throw new Error(`--seed expects a non-negative integer, got ${values.seed}`);
  return { quick: values.quick === true, seed };
}

/** Seconds since the call, as a function. */
export function stopwatch(): () => number {
  const start = performance.now();
  return () => (performance.now() - start) / 1000;
}

/** `accuracy 0.9812, roc_auc 0.9950` */
export function formatMetrics(metrics: Record<string, number>): string {
  return Object.entries(metrics)
    .map(([k, v]) => `${k} ${Number.isInteger(v) ? v : v.toFixed(4)}`)
    .join(', ');
}

/** The final machine-readable line: metrics rounded to 6 significant digits, non-finite ones as null. */
export function resultLine(workflow: string, metrics: Record<string, number>, samplesPerSec: number): string {
  const clean = Object.fromEntries(
    Object.entries(metrics).map(([k, v]) => [k, Number.isFinite(v) ? Number(v.toPrecision(6)) : null]),
  );
  return JSON.stringify({ workflow, metrics: clean, samplesPerSec: Math.round(samplesPerSec * 10) / 10 });
}

/** Prints the test metrics and speed, then the JSON line (always the last line of stdout). */
export function report(workflow: string, metrics: Record<string, number>, samplesPerSec: number): void {
  console.log(`[${workflow}] test: ${formatMetrics(metrics)}`);
  console.log(`[${workflow}] training speed: ${Math.round(samplesPerSec)} samples/s`);
  console.log(resultLine(workflow, metrics, samplesPerSec));
}

/**
 * Times training only (not the per-epoch test pass that validationData adds) and prints one line per epoch
 * with the train and test loss and accuracy.
 */
export class EpochTimer extends ts.train.Callback {
  seconds = 0;
  samples = 0;
  #t0 = 0;
  #last = 0;
  constructor(readonly epochs: number) {
    super();
  }
  override onEpochBegin(): void {
    this.#t0 = performance.now();
    this.#last = this.#t0;
  }
  override onTrainBatchEnd(_b: number, logs: ts.train.Logs): void {
    this.#last = performance.now();
    this.samples += logs.size ?? 0;
  }
  override onEpochEnd(epoch: number, logs: ts.train.Logs): void {
    const s = (this.#last - this.#t0) / 1000;
    this.seconds += s;
    console.log(
      `epoch ${epoch + 1}/${this.epochs}: loss ${logs.loss!.toFixed(4)}, train accuracy ${logs.accuracy!.toFixed(4)}, ` +
        `test loss ${logs.val_loss!.toFixed(4)}, test accuracy ${logs.val_accuracy!.toFixed(4)}, ${s.toFixed(1)} s`,
    );
  }
  get samplesPerSec(): number {
    return this.samples / this.seconds;
  }
}
