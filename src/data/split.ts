import { check, fail } from '../core/errors.ts';
import { Generator } from '../core/rng.ts';

/** Labels used for stratification: any values compared by identity (numbers or strings). */
export type Labels = ArrayLike<number | string>;

export interface SplitRandom {
  /** Seed for a fresh Generator (default 0). Ignored when `generator` is given. */
  seed?: number;
  generator?: Generator;
}

export interface TrainTestOptions extends SplitRandom {
  /** Fraction in (0, 1) or an absolute count (default 0.25, as sklearn). */
  testSize?: number;
  /** Labels whose class proportions both parts keep. */
  stratify?: Labels;
  /** Shuffle before splitting (default true); false keeps order and cannot stratify. */
  shuffle?: boolean;
}

export interface TrainTest {
  train: Int32Array;
  test: Int32Array;
}

export interface Fold {
  train: Int32Array;
  test: Int32Array;
}

function rng(o: SplitRandom): Generator {
  return o.generator ?? new Generator(o.seed ?? 0);
}

/** In-place Fisher-Yates shuffle driven by the seeded generator. */
export function shuffleInPlace<T extends { [i: number]: number | string; length: number }>(
  a: T,
  gen: Generator,
): T {
  for (let i = a.length - 1; i > 0; i--) {
    const j = gen.int(0, i + 1);
    const t = a[i]!;
    a[i] = a[j]!;
    a[j] = t;
  }
  return a;
}

/** A seeded permutation of 0..n-1. */
export function permutation(n: number, gen: Generator): Int32Array {
  const p = new Int32Array(n);
  for (let i = 0; i < n; i++) p[i] = i;
  return shuffleInPlace(p, gen);
}

// sklearn's _validate_shuffle_split: a fraction rounds the test part up, an integer is taken as is.
function testCount(n: number, size: number, op: string): number {
  if (size > 0 && size < 1) return Math.ceil(size * n);
  check(
    Number.isInteger(size) && size > 0 && size < n,
    op,
    () => `testSize must be in (0, 1) or an integer in [1, ${n}), got ${size}`,
  );
  return size;
}

/** Classes in sorted order and, per class, the indices holding it (ascending). */
function groupByClass(y: Labels): { classes: (number | string)[]; members: number[][] } {
  const groups = new Map<number | string, number[]>();
  for (let i = 0; i < y.length; i++) {
    const v = y[i]!;
    const g = groups.get(v);
    if (g === undefined) groups.set(v, [i]);
    else g.push(i);
  }
  const classes = [...groups.keys()].sort((a, b) =>
    typeof a === 'number' && typeof b === 'number'
      ? a - b
      : String(a) < String(b)
        ? -1
        : String(a) > String(b)
          ? 1
          : 0,
  );
  return { classes, members: classes.map((c) => groups.get(c)!) };
}

/**
 * sklearn's _approximate_mode: per-class draws proportional to the counts, floored, with the remainder
 * going to the classes of largest fractional part (ties broken at random).
 */
function approximateMode(counts: readonly number[], draws: number, gen: Generator): number[] {
  const total = counts.reduce((a, b) => a + b, 0);
  const continuous = counts.map((c) => (c / total) * draws);
  const floored = continuous.map(Math.floor);
  let need = draws - floored.reduce((a, b) => a + b, 0);
  if (need > 0) {
    const remainder = continuous.map((c, i) => c - floored[i]!);
    const values = [...new Set(remainder)].sort((a, b) => b - a);
    for (const value of values) {
      const inds = remainder.flatMap((r, i) => (r === value ? [i] : []));
      shuffleInPlace(inds, gen);
      const now = Math.min(inds.length, need);
      for (let k = 0; k < now; k++) floored[inds[k]!]! += 1;
      need -= now;
      if (need === 0) break;
    }
  }
  return floored;
}

/** Splits indices 0..n-1 into train and test, seeded, optionally stratified (sklearn train_test_split). */
export function trainTestSplit(n: number, opts: TrainTestOptions = {}): TrainTest {
  const op = 'trainTestSplit';
  check(Number.isInteger(n) && n >= 2, op, () => `expected at least 2 samples, got ${n}`);
  const nTest = testCount(n, opts.testSize ?? 0.25, op);
  const nTrain = n - nTest;
  if (opts.shuffle === false) {
    check(opts.stratify === undefined, op, () => 'stratify needs shuffle: true');
    return { train: range(0, nTrain), test: range(nTrain, n) };
  }
  const gen = rng(opts);
  if (opts.stratify === undefined) {
    const p = permutation(n, gen);
    return { train: p.slice(0, nTrain), test: p.slice(nTrain) };
  }
  const y = opts.stratify;
  check(y.length === n, op, () => `stratify has ${y.length} labels, expected ${n}`);
  const { classes, members } = groupByClass(y);
  const counts = members.map((m) => m.length);
  const small = classes.filter((_, k) => counts[k]! < 2);
  if (small.length > 0)
    fail(op, `class ${JSON.stringify(small[0])} has 1 member; stratifying needs at least 2 per class`);
  check(
    nTrain >= classes.length && nTest >= classes.length,
    op,
    () =>
      `train (${nTrain}) and test (${nTest}) must each hold at least one sample of each of ${classes.length} classes`,
  );
  // StratifiedShuffleSplit: train counts first, test counts from what remains.
  const trainPer = approximateMode(counts, nTrain, gen);
  const testPer = approximateMode(
    counts.map((c, k) => c - trainPer[k]!),
    nTest,
    gen,
  );
  // Filled by index, never by push(...spread): spreading one class of ~150k+ rows overflows the stack.
  const train = new Int32Array(nTrain);
  const test = new Int32Array(nTest);
  let nt = 0;
  let ne = 0;
  members.forEach((m, k) => {
    const p = shuffleInPlace(Int32Array.from(m), gen);
    const a = trainPer[k]!;
    const b = a + testPer[k]!;
    for (let i = 0; i < a; i++) train[nt++] = p[i]!;
    for (let i = a; i < b; i++) test[ne++] = p[i]!;
  });
  return { train: shuffleInPlace(train, gen), test: shuffleInPlace(test, gen) };
}

export interface TrainValTest {
  train: Int32Array;
  val: Int32Array;
  test: Int32Array;
}

/**
 * Three-way split: test first, then validation from the rest. Sizes are fractions of the whole
 * (valSize 0.2 of 100 rows = 20 rows), so it equals two sklearn train_test_split calls.
 */
export function trainValTestSplit(
  n: number,
  opts: SplitRandom & { valSize?: number; testSize?: number; stratify?: Labels; shuffle?: boolean } = {},
): TrainValTest {
  const op = 'trainValTestSplit';
  const testSize = opts.testSize ?? 0.2;
  const valSize = opts.valSize ?? 0.2;
  check(
    testSize > 0 && valSize > 0 && testSize < 1 && valSize < 1 && testSize + valSize < 1,
    op,
    () => `valSize and testSize must be fractions summing below 1, got ${valSize} and ${testSize}`,
  );
  const gen = rng(opts);
  const base = { generator: gen, ...(opts.shuffle !== undefined ? { shuffle: opts.shuffle } : {}) };
  const first = trainTestSplit(n, {
    ...base,
    testSize,
    ...(opts.stratify !== undefined ? { stratify: opts.stratify } : {}),
  });
  const rest = first.train;
  const y = opts.stratify;
  const second = trainTestSplit(rest.length, {
    ...base,
    testSize: valSize / (1 - testSize),
    ...(y !== undefined ? { stratify: Array.from(rest, (i) => y[i]!) } : {}),
  });
  return {
    train: second.train.map((i) => rest[i]!),
    val: second.test.map((i) => rest[i]!),
    test: first.test,
  };
}

/** K folds over 0..n-1; the first n % k folds get one extra sample (sklearn KFold). */
export function kFold(n: number, opts: SplitRandom & { k?: number; shuffle?: boolean } = {}): Fold[] {
  const k = opts.k ?? 5;
  check(
    Number.isInteger(k) && k >= 2 && k <= n,
    'kFold',
    () => `k must be an integer in [2, ${n}], got ${k}`,
  );
  const order = opts.shuffle === false ? range(0, n) : permutation(n, rng(opts));
  const folds: Fold[] = [];
  let start = 0;
  for (let f = 0; f < k; f++) {
    const size = Math.floor(n / k) + (f < n % k ? 1 : 0);
    const testSet = order.slice(start, start + size).sort();
    folds.push({ train: complement(n, testSet), test: testSet });
    start += size;
  }
  return folds;
}

/**
 * Stratified k folds (sklearn StratifiedKFold): samples sorted by class are dealt round-robin to folds,
 * so every fold gets the same per-class counts sklearn gives; which samples go where is seeded.
 */
export function stratifiedKFold(
  y: Labels,
  opts: SplitRandom & { k?: number; shuffle?: boolean } = {},
): Fold[] {
  const op = 'stratifiedKFold';
  const k = opts.k ?? 5;
  const n = y.length;
  check(Number.isInteger(k) && k >= 2, op, () => `k must be an integer >= 2, got ${k}`);
  // Classes numbered by first appearance, as sklearn does before dealing.
  const code = new Map<number | string, number>();
  const enc = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const v = y[i]!;
    if (!code.has(v)) code.set(v, code.size);
    enc[i] = code.get(v)!;
  }
  const nClasses = code.size;
  const counts = new Array<number>(nClasses).fill(0);
  for (const c of enc) counts[c]!++;
  // A loop, not Math.max(...counts): hundreds of thousands of classes would overflow the stack.
  let largest = 0;
  for (const c of counts) if (c > largest) largest = c;
  check(largest >= k, op, () => `k=${k} exceeds the largest class size ${largest}`);
  const order = Int32Array.from(enc).sort();
  const alloc: number[][] = [];
  for (let f = 0; f < k; f++) {
    const row = new Array<number>(nClasses).fill(0);
    for (let i = f; i < n; i += k) row[order[i]!]!++;
    alloc.push(row);
  }
  const gen = rng(opts);
  // Members of each class in ascending order, bucketed in one pass (O(n), not O(n * classes)).
  const start = new Int32Array(nClasses + 1);
  for (let c = 0; c < nClasses; c++) start[c + 1] = start[c]! + counts[c]!;
  const byClass = new Int32Array(n);
  const fill = start.slice(0, nClasses);
  for (let i = 0; i < n; i++) byClass[fill[enc[i]!]!++] = i;
  const foldOf = new Int32Array(n);
  const foldSize = new Int32Array(k);
  for (let c = 0; c < nClasses; c++) {
    const folds: number[] = [];
    for (let f = 0; f < k; f++) for (let r = 0; r < alloc[f]![c]!; r++) folds.push(f);
    if (opts.shuffle !== false) shuffleInPlace(folds, gen);
    for (let t = 0; t < folds.length; t++) {
      foldOf[byClass[start[c]! + t]!] = folds[t]!;
      foldSize[folds[t]!]!++;
    }
  }
  const tests = Array.from(foldSize, (s) => new Int32Array(s));
  const pos = new Int32Array(k);
  for (let i = 0; i < n; i++) {
    const f = foldOf[i]!;
    tests[f]![pos[f]!++] = i;
  }
  return tests.map((testSet) => ({ train: complement(n, testSet), test: testSet }));
}

/**
 * Expanding-window folds for time-ordered data (sklearn TimeSeriesSplit): each test block follows its
 * training block, never the reverse, with an optional gap between them.
 */
export function timeSeriesSplit(
  n: number,
  opts: { k?: number; testSize?: number; gap?: number } = {},
): Fold[] {
  const k = opts.k ?? 5;
  const gap = opts.gap ?? 0;
  const testSize = opts.testSize ?? Math.floor(n / (k + 1));
  check(
    n - gap - testSize * k > 0,
    'timeSeriesSplit',
    () => `too many folds (${k}) of size ${testSize} for ${n} samples`,
  );
  const folds: Fold[] = [];
  for (let start = n - k * testSize; start < n; start += testSize)
    folds.push({ train: range(0, start - gap), test: range(start, start + testSize) });
  return folds;
}

/** Train/validation/test by position: the oldest rows train, the newest test (no shuffling, no leakage). */
export function timeOrderedSplit(
  n: number,
  opts: { testSize?: number; valSize?: number } = {},
): TrainValTest {
  const nTest = testCount(n, opts.testSize ?? 0.2, 'timeOrderedSplit');
  const nVal = opts.valSize === undefined ? 0 : testCount(n, opts.valSize, 'timeOrderedSplit');
  check(
    nTest + nVal < n,
    'timeOrderedSplit',
    () => `test (${nTest}) + val (${nVal}) leave no training rows of ${n}`,
  );
  const nTrain = n - nTest - nVal;
  return { train: range(0, nTrain), val: range(nTrain, nTrain + nVal), test: range(nTrain + nVal, n) };
}

function range(a: number, b: number): Int32Array {
  const out = new Int32Array(Math.max(0, b - a));
  for (let i = 0; i < out.length; i++) out[i] = a + i;
  return out;
}

function complement(n: number, sortedTest: Int32Array): Int32Array {
  const out = new Int32Array(n - sortedTest.length);
  let t = 0;
  let o = 0;
  for (let i = 0; i < n; i++) {
    if (t < sortedTest.length && sortedTest[t] === i) t++;
    else out[o++] = i;
  }
  return out;
}
