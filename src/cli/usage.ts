/**
 * Command-line usage errors: an unknown command or flag (with a did-you-mean), a missing or malformed
 * flag value. They exit with status 2 and print the command's help, as docs/cli.md documents; every
 * other failure exits 1.
 */
import { type ParseArgsConfig, parseArgs } from 'node:util';

export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/**
 * Optimal-string-alignment distance: Levenshtein plus the swap of two neighbours as one edit, so that
 * `trian` is one typo away from `train`.
 */
function typoDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) =>
    Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        v = Math.min(v, d[i - 2]![j - 2]! + 1);
      d[i]![j] = v;
    }
  }
  return d[a.length]![b.length]!;
}

/**
 * The candidate a mistyped word most likely meant: the only candidate it is a prefix of (`eval`), else the
 * closest within a third of its length (at least 1 edit), else undefined.
 */
export function closestWord(word: string, candidates: readonly string[]): string | undefined {
  const w = word.toLowerCase();
  const prefixed = candidates.filter((c) => c.startsWith(w));
  if (w.length >= 2 && prefixed.length === 1) return prefixed[0];
  let best: string | undefined;
  let bestD = Number.POSITIVE_INFINITY;
  for (const c of candidates) {
    const dist = typoDistance(w, c.toLowerCase());
    if (dist < bestD) {
      bestD = dist;
      best = c;
    }
  }
  return bestD <= Math.max(1, Math.floor(w.length / 3)) ? best : undefined;
}

/** ` (did you mean "x"?)` or the empty string. */
export function didYouMean(word: string, candidates: readonly string[]): string {
  const c = closestWord(word, candidates);
  return c === undefined ? '' : ` (did you mean "${c}"?)`;
}

type Options = NonNullable<ParseArgsConfig['options']>;

/**
 * node's parseArgs with usage errors that name the flag and suggest the closest one: `--epoch` gives
 * `unknown option --epoch (did you mean "--epochs"?)`.
 */
export function parseFlags<O extends Options>(
  args: string[],
  options: O,
  allowPositionals = true,
): ReturnType<typeof parseArgs<{ args: string[]; options: O; allowPositionals: boolean; strict: true }>> {
  try {
    return parseArgs({ args, options, allowPositionals, strict: true });
  } catch (e) {
    const err = e as Error & { code?: string };
    if (err.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
      const flag = /'(-[^']*)'/.exec(err.message)?.[1] ?? '';
      const name = flag.replace(/^-+/, '').split('=')[0]!;
      const known = Object.keys(options).map((k) => `--${k}`);
      throw new UsageError(`unknown option ${flag}${didYouMean(`--${name}`, known)}`);
    }
    if (err.code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') throw new UsageError(err.message);
    if (err.code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL') {
      throw new UsageError(
        `unexpected argument: ${err.message.replace(/^Unexpected argument '([^']*)'.*$/s, '$1')}`,
      );
    }
    throw e;
  }
}

/** A flag's value as a positive integer; anything else is a usage error naming the flag. */
export function positiveIntFlag(flag: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (v.trim() === '' || !Number.isInteger(n) || n < 1)
    throw new UsageError(`${flag} expects a positive integer, got "${v}"`);
  return n;
}

/** A flag's value as a non-negative number, or `dflt` when absent. */
export function nonNegativeFlag(flag: string, v: string | undefined, dflt: number): number {
  if (v === undefined) return dflt;
  const n = Number(v);
  if (v.trim() === '' || !Number.isFinite(n) || n < 0)
    throw new UsageError(`${flag} expects a non-negative number, got "${v}"`);
  return n;
}
