import { fail } from './errors.ts';

/**
 * The one name rule of the library: case, `_`, `-` and spaces do not matter, so 'weightDecay', 'weight_decay',
 * 'Weight-Decay' and 'WEIGHTDECAY' are one name ('weightdecay'), and so are 'AdamW' and 'adamw',
 * 'sparseCategoricalCrossentropy' and 'sparse_categorical_cross_entropy'. (Splitting camelCase into words
 * instead would make 'AdamW' 'adam_w' and 'RMSprop' 'rm_sprop'.) Two entries whose names collide under this rule
 * are refused at registration.
 */
export function normaliseName(name: string): string {
  return String(name)
    .toLowerCase()
    .replace(/[\s_-]+/g, '');
}

/** Edit distance with adjacent transpositions ('bais' is one edit from 'bias'), for suggestions only. */
function distance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) =>
    Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  for (let i = 1; i <= a.length; i++)
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        v = Math.min(v, d[i - 2]![j - 2]! + 1);
      d[i]![j] = v;
    }
  return d[a.length]![b.length]!;
}

/**
 * The candidate a mistyped name most likely meant: the same name under the name rule ('weight_decay' ->
 * 'weightDecay'), else the closest by edit distance of the normalised forms when it is close (at most a third of
 * the name's length, and at least 1, so short names still get a suggestion for one typo).
 */
export function closestName(name: string, candidates: Iterable<string>): string | undefined {
  const key = normaliseName(name);
  let best: string | undefined;
  let bestD = Number.POSITIVE_INFINITY;
  for (const c of candidates) {
    const d = distance(key, normaliseName(c));
    if (d < bestD) {
      bestD = d;
      best = c;
    }
  }
  return bestD <= Math.max(1, Math.floor(key.length / 3)) ? best : undefined;
}

/** ` (did you mean "x"?)` or the empty string. */
export function didYouMean(name: string, candidates: Iterable<string>): string {
  const c = closestName(name, candidates);
  return c === undefined ? '' : ` (did you mean "${c}"?)`;
}

export interface RegisterOptions {
  /** Other names for the same entry (other libraries' spellings); the name rule applies to them too. */
  aliases?: readonly string[];
}

/**
 * A named collection of one kind of thing (layers, losses, optimizers, schedules, metrics, callbacks), the single
 * place where a name and its aliases are declared (Keras `saving/object_registration.py`). Lookups follow
 * `normaliseName`; an unknown name is an error that lists the known names and suggests the closest one.
 */
export class Registry<T> {
  private readonly entries = new Map<string, { name: string; value: T }>();
  private readonly byKey = new Map<string, string>();
  /** Aliases as written at registration, for listings and suggestions. */
  private readonly aliasSpellings = new Map<string, string[]>();

  /** `kind` names the things in messages ('loss', 'optimizer'); `op` prefixes the errors ('getLoss'). */
  constructor(
    readonly kind: string,
    readonly op: string,
  ) {}

  /** Registers `value` under `name` (and its aliases). Re-registering a name replaces the entry (module reloads). */
  register(name: string, value: T, opts: RegisterOptions = {}): this {
    if (typeof name !== 'string' || name.length === 0) fail(this.op, `a ${this.kind} name must be non-empty`);
    for (const n of [name, ...(opts.aliases ?? [])]) {
      const key = normaliseName(n);
      const owner = this.byKey.get(key);
      if (owner !== undefined && owner !== name && this.entries.has(owner))
        fail(this.op, `${this.kind} name "${n}" is already taken by "${owner}"`);
      this.byKey.set(key, name);
    }
    this.entries.set(name, { name, value });
    this.aliasSpellings.set(name, [...(opts.aliases ?? [])]);
    return this;
  }

  /** The registered (canonical) name `name` stands for, or undefined. */
  canonical(name: string): string | undefined {
    if (typeof name !== 'string') return undefined;
    return this.byKey.get(normaliseName(name));
  }

  has(name: string): boolean {
    return this.canonical(name) !== undefined;
  }

  /** The entry, or undefined when the name is unknown. */
  lookup(name: string): T | undefined {
    const c = this.canonical(name);
    return c === undefined ? undefined : this.entries.get(c)?.value;
  }

  /** The entry; an unknown name throws `[op] unknown <kind> "x" (did you mean "y"?); known: ...`. */
  get(name: string): T {
    if (typeof name !== 'string')
      fail(this.op, `expected a ${this.kind} name (a string), got ${name === null ? 'null' : typeof name}`);
    const v = this.lookup(name);
    if (v === undefined) fail(this.op, this.unknownMessage(name));
    return v;
  }

  /** The message for an unknown name, for callers that collect problems instead of throwing. */
  unknownMessage(name: string): string {
    return `unknown ${this.kind} "${name}"${didYouMean(name, this.allNames())}; known names: ${this.names().join(', ')}`;
  }

  /** Canonical names, sorted. */
  names(): string[] {
    return [...this.entries.keys()].sort();
  }

  /** Canonical names and aliases as registered, sorted (what suggestions are drawn from). */
  allNames(): string[] {
    return [...new Set([...this.entries.keys(), ...[...this.aliasSpellings.values()].flat()])].sort();
  }

  /** The aliases registered with a canonical name. */
  aliasesOf(name: string): string[] {
    return [...(this.aliasSpellings.get(name) ?? [])];
  }

  /** [canonical name, entry] pairs, sorted by name. */
  list(): [string, T][] {
    return this.names().map((n) => [n, this.entries.get(n)!.value]);
  }
}
