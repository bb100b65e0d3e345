/**
 * Timing helpers shared by every TensorScript and TensorFlow.js benchmark, so each framework is measured
 * the same way: warm-up first, then several timed windows, and the median of the per-window figures.
 */

/**
 * One benchmark figure: `npm run bench -- --json` prints exactly these objects, one per line. `value` is
 * null only when the framework cannot run the workload at all; `error` then says why.
 */
export interface Figure {
  name: string;
  value: number | null;
  unit: string;
  [context: string]: string | number | boolean | null;
}

export function median(xs: readonly number[]): number {
  if (xs.length === 0) return Number.NaN;
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** The q-quantile (0..1) by the nearest-rank method: p99 of 200 samples is the 198th smallest. */
export function quantile(xs: readonly number[], q: number): number {
  if (xs.length === 0) return Number.NaN;
  const s = [...xs].sort((a, b) => a - b);
  const rank = Math.min(s.length, Math.max(1, Math.ceil(q * s.length)));
  return s[rank - 1]!;
}

export interface WindowPlan {
  /** Untimed steps first (JIT, buffer pools, kernel caches, thread pool spin-up). */
  warmupSteps: number;
  /** Timed windows; the reported figure is the median over them. */
  windows: number;
  /** Each window runs whole steps until at least this long has passed (at least one step). */
  windowMs: number;
}

/** Plans for a full run and for `--quick` (a smoke test: shorter windows, figures still real). */
export function plan(quick: boolean, full: Partial<WindowPlan> = {}): WindowPlan {
  if (quick) return { warmupSteps: 1, windows: 3, windowMs: 100 };
  return { warmupSteps: 3, windows: 5, windowMs: 1000, ...full };
}

/**
 * Runs `step` in timed windows after a warm-up and returns the median rate in items per second, where
 * each step processes `itemsPerStep` items (samples of a batch). Windows time whole steps only.
 */
export async function throughput(
  step: () => unknown,
  itemsPerStep: number,
  p: WindowPlan,
): Promise<{ rate: number; rates: number[]; steps: number }> {
  for (let i = 0; i < p.warmupSteps; i++) {
    const r = step();
    // Await only real promises: a synchronous step pays no microtask hop inside a timed window.
    if (r instanceof Promise) await r;
  }
  const rates: number[] = [];
  let steps = 0;
  for (let w = 0; w < p.windows; w++) {
    let n = 0;
    const t0 = performance.now();
    let t = t0;
    do {
      const r = step();
      if (r instanceof Promise) await r;
      n++;
      t = performance.now();
    } while (t - t0 < p.windowMs);
    steps += n;
    rates.push((n * itemsPerStep) / ((t - t0) / 1000));
  }
  return { rate: median(rates), rates, steps };
}

/**
 * Per-call latency in ms: `windows` windows of at least `windowMs` each, every call timed on its own.
 * Returns the median over windows of each window's median and p99 (so one noisy window cannot set p99).
 */
export async function latency(
  call: () => unknown,
  p: WindowPlan,
): Promise<{ medianMs: number; p99Ms: number; calls: number }> {
  for (let i = 0; i < p.warmupSteps; i++) {
    const r = call();
    // Await only real promises: a synchronous step pays no microtask hop inside a timed window.
    if (r instanceof Promise) await r;
  }
  const medians: number[] = [];
  const p99s: number[] = [];
  let calls = 0;
  for (let w = 0; w < p.windows; w++) {
    const times: number[] = [];
    const t0 = performance.now();
    do {
      const s = performance.now();
      const r = call();
      if (r instanceof Promise) await r;
      times.push(performance.now() - s);
    } while (performance.now() - t0 < p.windowMs || times.length < 20);
    calls += times.length;
    medians.push(median(times));
    p99s.push(quantile(times, 0.99));
  }
  return { medianMs: median(medians), p99Ms: median(p99s), calls };
}

/** Peak resident set size of this process so far, in MB (maxRSS is reported in KiB). */
export function peakRssMb(): number {
  return process.resourceUsage().maxRSS / 1024;
}

/** Writes figures as JSON lines on stdout: the protocol between bench/run.ts and its child processes. */
export function printJsonLines(figs: readonly Figure[]): void {
  for (const f of figs) process.stdout.write(`${JSON.stringify(f)}\n`);
}

/** `--name value` from argv, or the default. */
export function argValue(argv: readonly string[], name: string, dflt: string): string {
  const i = argv.indexOf(name);
  return i >= 0 && i + 1 < argv.length ? argv[i + 1]! : dflt;
}
