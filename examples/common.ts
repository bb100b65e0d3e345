/**
 * Shared helpers for the example workflows: flags, timing, and the one JSON line every workflow ends with
 * (`{"workflow", "metrics": {...}, "samplesPerSec"}`), which tools and tests read from the last line of stdout.
 */
import { parseArgs } from 'node:util';

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
