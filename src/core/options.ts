import { fail } from './errors.ts';
import { didYouMean } from './registry.ts';

/**
 * The declaration of one option of a registered thing (an optimizer's `weightDecay`, a schedule's `gamma`): its
 * type, range and default, written once. Constructors check options against it and the CLI's YAML schema is
 * built from it (src/cli/config.ts), so an option exists in exactly one place.
 */
export type OptionSpec = (
  | {
      type: 'number';
      int?: boolean;
      /** Inclusive bounds. */
      min?: number;
      max?: number;
      /** Exclusive bounds. */
      gt?: number;
      lt?: number;
      default?: number;
      doc?: string;
    }
  | { type: 'boolean'; default?: boolean; doc?: string }
  | { type: 'string'; enum?: readonly string[]; default?: string; doc?: string }
  /** An array of numbers: `length` fixes it (betas), `minLength` bounds it (milestones). */
  | {
      type: 'numbers';
      int?: boolean;
      min?: number;
      lt?: number;
      length?: number;
      minLength?: number;
      default?: readonly number[];
      doc?: string;
    }
) & {
  /** The option must be given (it has no default). */
  required?: boolean;
};

export type OptionSpecs = Readonly<Record<string, OptionSpec>>;

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return `[${v.map((x) => JSON.stringify(x)).join(', ')}]`;
  return typeof v === 'string' ? JSON.stringify(v) : String(v);
}

function numberProblem(
  s: { int?: boolean; min?: number; max?: number; gt?: number; lt?: number },
  v: number,
) {
  if (!Number.isFinite(v)) return 'a finite number';
  if (s.int === true && !Number.isInteger(v)) return 'an integer';
  if (s.min !== undefined && v < s.min) return `>= ${s.min}`;
  if (s.max !== undefined && v > s.max) return `<= ${s.max}`;
  if (s.gt !== undefined && v <= s.gt) return `> ${s.gt}`;
  if (s.lt !== undefined && v >= s.lt) return `< ${s.lt}`;
  return null;
}

/** What is wrong with `value` for `spec`, as "expected ..." text, or null. */
export function optionProblem(spec: OptionSpec, value: unknown): string | null {
  switch (spec.type) {
    case 'number': {
      if (typeof value !== 'number') return `expected a number, got ${describe(value)}`;
      const p = numberProblem(spec, value);
      return p === null ? null : `must be ${p}, got ${value}`;
    }
    case 'boolean':
      return typeof value === 'boolean' ? null : `expected true or false, got ${describe(value)}`;
    case 'string':
      if (typeof value !== 'string') return `expected a string, got ${describe(value)}`;
      if (spec.enum !== undefined && !spec.enum.includes(value))
        return `must be one of ${spec.enum.map((e) => `'${e}'`).join(', ')}, got '${value}'`;
      return null;
    case 'numbers': {
      if (!Array.isArray(value) || !value.every((x) => typeof x === 'number'))
        return `expected an array of numbers, got ${describe(value)}`;
      if (spec.length !== undefined && value.length !== spec.length)
        return `expected ${spec.length} numbers, got ${value.length}`;
      if (spec.minLength !== undefined && value.length < spec.minLength)
        return `expected at least ${spec.minLength} numbers, got ${value.length}`;
      for (const x of value) {
        const p = numberProblem(spec, x);
        if (p !== null) return `every value must be ${p}, got ${x}`;
      }
      return null;
    }
  }
}

/**
 * Throws on a key of `opts` that is not an option: `[SGD] unknown option "weight_decay" (did you mean
 * "weightDecay"?); options: lr, momentum, ...`. `undefined` values count as absent. Only the keys are checked.
 */
export function checkOptionKeys(op: string, opts: unknown, known: readonly string[]): void {
  if (opts === undefined || opts === null) return;
  if (typeof opts !== 'object' || Array.isArray(opts))
    fail(op, `options must be an object, got ${describe(opts)}`);
  for (const [k, v] of Object.entries(opts)) {
    if (v === undefined || known.includes(k)) continue;
    fail(op, `unknown option "${k}"${didYouMean(k, known)}; options: ${known.join(', ') || '(none)'}`);
  }
}

/** Checks keys and values against the declaration; `extra` keys are allowed and left to the caller. */
export function checkOptions(
  op: string,
  opts: unknown,
  specs: OptionSpecs,
  extra: readonly string[] = [],
): void {
  checkOptionKeys(op, opts, [...Object.keys(specs), ...extra]);
  const given = (opts ?? {}) as Record<string, unknown>;
  for (const [k, s] of Object.entries(specs))
    if (s.required === true && given[k] === undefined) fail(op, `${k}: required option missing`);
  for (const [k, v] of Object.entries(given)) {
    const spec = specs[k];
    if (spec === undefined || v === undefined) continue;
    const p = optionProblem(spec, v);
    if (p !== null) fail(op, `${k}: ${p}`);
  }
}

/** The declared defaults, for constructors: `{ ...defaultsOf<O>(SPECS), ...opts }` (the caller names the type). */
export function defaultsOf<O = Record<string, unknown>>(specs: OptionSpecs): O {
  const out: Record<string, unknown> = {};
  for (const [k, s] of Object.entries(specs)) if (s.default !== undefined) out[k] = s.default;
  return out as O;
}

/**
 * The keys of an options interface as a list, checked by the compiler both ways: `optionKeys<LinearOptions>({
 * bias: true, dtype: true, generator: true })` fails to compile when a key is missing or not in the interface.
 */
export function optionKeys<T>(keys: { [K in keyof Required<T>]: true }): readonly string[] {
  return Object.keys(keys);
}

/**
 * The options object of an op (docs/decisions/registries.md, "Optional op arguments"): refuses a bare value where
 * the options go, or arguments past them — an older positional call such as `layerNorm(x, shape, w, b, 1e-5)`
 * or `dropout(x, 0.3)` — naming the op's form, then refuses unknown keys with a suggestion.
 */
export function checkOpOptions(
  op: string,
  opts: unknown,
  known: readonly string[],
  form: string,
  extraArgs = 0,
): void {
  const proto = opts !== null && typeof opts === 'object' ? Object.getPrototypeOf(opts) : undefined;
  const plain = opts === undefined || proto === Object.prototype || proto === null;
  if (!plain || extraArgs > 0) fail(op, `the optional arguments go in one options object: ${form}`);
  checkOptionKeys(op, opts, known);
}
