/**
 * Loading a saved model: the v1 layout (saved-model.json pointing at a version directory) and the v0 layout
 * that `tensorscript train` wrote before it (run.json, labels.json, preprocess.json, config.json and
 * model.safetensors side by side). Every file is checked against its schema before anything is built.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { TensorScriptError } from '../core/errors.ts';
import { type PreprocessJSON, type Preprocessor, preprocessorFromJSON } from '../data/preprocess/records.ts';
import { parseSafetensors } from '../io/safetensors.ts';
import { type AnyModule, type JsonValue, type ModuleConfig, moduleFromConfig } from '../nn/module.ts';
import { type EncryptionOptions, isSealed, open, resolveKey } from '../privacy/encryption.ts';
import { TRAINING_STATE_FILES } from '../train/checkpoint.ts';
import type { ModelCard } from './card.ts';
import {
  checkPointer,
  checkWeightsHeader,
  JsonCheck,
  POINTER_FILE,
  parseJson,
  SAVED_MODEL_FORMAT,
} from './format.ts';
import { nodeFs, type SaveFs } from './fs-layer.ts';
import { cleanLeftovers } from './save.ts';
import { SavedModel, type TaskInfo } from './saved-model.ts';

const OP = 'load';

export interface LoadOptions {
  /** Load weights holding NaN or infinity (default false: refused with the tensor names). */
  allowNonFinite?: boolean;
  /** Remove leftovers of an interrupted save (default true; best effort, a read-only directory is fine). */
  clean?: boolean;
  fs?: SaveFs;
  /** The key of a model saved with `encryption` (every file is decrypted and authenticated before parsing). */
  encryption?: EncryptionOptions;
}

/** Reads one file of the version directory: from disk, or from the decrypted set of an encrypted bundle. */
type Read = (file: string) => Buffer;

function readDisk(file: string): Buffer {
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (e) {
    throw new TensorScriptError(
      OP,
      `cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
    );
  }
  if (isSealed(bytes))
    throw new TensorScriptError(
      OP,
      `${file} is encrypted; load it with { encryption: { keyFile } } (or keyEnv, key)`,
    );
  return bytes;
}

/**
 * Decrypts every file of an encrypted version directory up front: a wrong key or any modified, truncated or
 * swapped file fails here, before anything is parsed or built, so nothing half-loads.
 */
function decryptAll(dir: string, version: string, opts: EncryptionOptions): Map<string, Buffer> {
  const key = resolveKey(opts);
  const out = new Map<string, Buffer>();
  for (const name of readdirSync(dir).sort()) {
    const f = join(dir, name);
    out.set(name, open(readFileSync(f), `${version}/${name}`, key, f));
  }
  return out;
}

export type ResolvedSavedModel =
  | { layout: 'v1'; root: string; dir: string; version: string }
  | { layout: 'v0'; root: string; dir: string; version: '0' };

/** A v0 checkpoint whose swap was interrupted survives only as `.checkpoint.tmp-*.old` beside where it was. */
function recoverV0(path: string): string | null {
  const parent = dirname(path);
  if (!existsSync(parent)) return null;
  const base = path.slice(parent.length + 1);
  const olds = readdirSync(parent)
    .filter(
      (n) => n.startsWith(`.${base}.tmp-`) && n.endsWith('.old') && existsSync(join(parent, n, 'run.json')),
    )
    .sort();
  return olds.length > 0 ? join(parent, olds[olds.length - 1]!) : null;
}

/** Which files a path means: a saved-model directory, a run output directory holding `checkpoint/`, or v0. */
export function resolveSavedModel(path: string): ResolvedSavedModel {
  for (const root of [path, join(path, 'checkpoint')]) {
    const pf = join(root, POINTER_FILE);
    if (existsSync(pf)) {
      const p = checkPointer(OP, pf, parseJson(OP, pf, readText(pf)));
      const dir = join(root, p.current);
      if (!existsSync(join(dir, 'config.json')))
        throw new TensorScriptError(OP, `${pf}: key "current" names ${dir}, which holds no config.json`);
      return { layout: 'v1', root, dir, version: p.version };
    }
    if (existsSync(join(root, 'run.json')) || existsSync(join(root, 'labels.json')))
      return { layout: 'v0', root, dir: root, version: '0' };
  }
  const recovered = recoverV0(join(path, 'checkpoint')) ?? recoverV0(path);
  if (recovered !== null) return { layout: 'v0', root: recovered, dir: recovered, version: '0' };
  throw new TensorScriptError(
    OP,
    `${path} is not a saved model (expected ${POINTER_FILE}, or a v0 run.json, in it or in ${join(path, 'checkpoint')})`,
  );
}

function readText(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (e) {
    throw new TensorScriptError(
      OP,
      `cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
    );
  }
}

function readJsonWith(file: string, read: Read): unknown {
  return parseJson(OP, file, read(file).toString('utf8'));
}

function checkModelConfig(file: string, raw: unknown, v0: boolean): ModuleConfig {
  const c = new JsonCheck(OP, file);
  const o = c.object(raw, '');
  const format = c.string(o.format, 'format');
  const want = v0 ? 'tensorscript-checkpoint' : SAVED_MODEL_FORMAT;
  if (format !== want) c.fail('format', `must be "${want}", got "${format}"`);
  const m = c.object(o.model, 'model');
  c.string(m.className, 'model.className');
  if (m.config !== undefined) c.object(m.config, 'model.config');
  return m as unknown as ModuleConfig;
}

function checkTask(file: string, raw: unknown): TaskInfo {
  const c = new JsonCheck(OP, file);
  const o = c.object(raw, '');
  const task = c.oneOf(o.task, 'task', ['classification', 'regression'] as const);
  let classes: string[] | null = null;
  if (task === 'classification') {
    classes = c.strings(o.classes, 'classes');
    if (classes.length < 2) c.fail('classes', `must name at least two classes, got ${classes.length}`);
  } else if (o.classes !== null && o.classes !== undefined) c.fail('classes', 'must be null for regression');
  const info: TaskInfo = {
    task,
    classes,
    targetKind: c.oneOf(o.targetKind, 'targetKind', ['index', 'float', 'onehot'] as const),
    outputTransform: c.oneOf(o.outputTransform, 'outputTransform', [
      'sigmoid',
      'softmax',
      'exp',
      'none',
    ] as const),
    threshold: c.number(o.threshold, 'threshold'),
  };
  if (o.multiLabel !== undefined) {
    if (typeof o.multiLabel !== 'boolean') c.fail('multiLabel', 'must be true or false');
    info.multiLabel = o.multiLabel === true;
  }
  if (o.targetScaling !== undefined && o.targetScaling !== null) {
    const s = c.object(o.targetScaling, 'targetScaling');
    info.targetScaling = {
      mean: c.numbers(s.mean, 'targetScaling.mean'),
      std: c.numbers(s.std, 'targetScaling.std'),
    };
  }
  return info;
}

function checkPreprocess(file: string, raw: unknown): Preprocessor {
  const c = new JsonCheck(OP, file);
  const o = c.object(raw, '');
  const kind = c.oneOf(o.kind, 'kind', ['tabular', 'image', 'text'] as const);
  if (kind === 'tabular') {
    c.object(o.pipeline, 'pipeline');
    c.strings(o.numeric, 'numeric');
    c.strings(o.categorical, 'categorical');
  } else if (kind === 'image') {
    for (const k of ['channels', 'height', 'width']) c.number(o[k], k);
    if (typeof o.flatten !== 'boolean') c.fail('flatten', 'must be true or false');
    if (o.resize !== undefined && typeof o.resize !== 'boolean') c.fail('resize', 'must be true or false');
    if (o.normalize !== null) {
      const n = c.object(o.normalize, 'normalize');
      c.numbers(n.mean, 'normalize.mean');
      c.numbers(n.std, 'normalize.std');
    }
  } else {
    c.object(o.tokenizer, 'tokenizer');
    c.number(o.maxLength, 'maxLength');
    c.oneOf(o.padding, 'padding', ['post', 'pre'] as const);
    c.oneOf(o.truncation, 'truncation', ['post', 'pre'] as const);
  }
  try {
    return preprocessorFromJSON(o as unknown as PreprocessJSON);
  } catch (e) {
    throw new TensorScriptError(OP, `${file}: ${(e as Error).message}`);
  }
}

function loadWeights(file: string, model: AnyModule, allowNonFinite: boolean, read: Read): void {
  const bytes: Uint8Array = read(file);
  const own = model.stateDict();
  checkWeightsHeader(OP, file, bytes, own);
  const { tensors } = parseSafetensors(bytes, file);
  try {
    if (!allowNonFinite)
      for (const [k, t] of Object.entries(tensors)) {
        if (t.dtype !== 'float32' && t.dtype !== 'float64') continue;
        const a = t.toTypedArray() as Float32Array;
        for (let i = 0; i < a.length; i++)
          if (!Number.isFinite(a[i]!))
            throw new TensorScriptError(
              OP,
              `${file}: tensor "${k}" holds ${a[i]} at element ${i}; refusing non-finite weights (pass { allowNonFinite: true } to load them)`,
            );
      }
    try {
      model.loadStateDict(tensors);
    } catch (e) {
      throw new TensorScriptError(OP, `${file}: ${(e as Error).message}`);
    }
  } finally {
    for (const t of Object.values(tensors)) t.dispose();
  }
}

function v0Card(run: JsonValue): ModelCard {
  return {
    libraryVersion: 'unknown (v0 checkpoint)',
    createdAt: '',
    data: { fingerprint: null, rows: 0, features: {} },
    metrics: {},
    config: run,
  };
}

/** Loads a saved model (v1 or the v0 checkpoint layout) in eval mode. */
export function loadModel(path: string, opts: LoadOptions = {}): SavedModel {
  const r = resolveSavedModel(path);
  const d = r.dir;
  const v0 = r.layout === 'v0';
  const plain =
    opts.encryption === undefined || v0 ? null : decryptAll(d, d.slice(r.root.length + 1), opts.encryption);
  const read: Read =
    plain === null
      ? readDisk
      : (f) => {
          const b = plain.get(f.slice(d.length + 1));
          if (b === undefined) throw new TensorScriptError(OP, `cannot read ${f}: ENOENT`);
          return b;
        };
  const has = (f: string) => (plain === null ? existsSync(join(d, f)) : plain.has(f));
  const readJson = (f: string) => readJsonWith(f, read);
  const modelConfig = checkModelConfig(join(d, 'config.json'), readJson(join(d, 'config.json')), v0);
  const task = checkTask(join(d, 'labels.json'), readJson(join(d, 'labels.json')));
  const preprocessor = checkPreprocess(join(d, 'preprocess.json'), readJson(join(d, 'preprocess.json')));
  const opt = (f: string): JsonValue => (has(f) ? (readJson(join(d, f)) as JsonValue) : null);
  const runConfig = opt('run.json');
  const history = opt('history.json');
  // The optimizer/trainer state a resumed fit reads (kept as bytes, so a re-save carries it along).
  let trainingState: Record<string, Uint8Array | string> | null = null;
  if (!v0)
    for (const f of TRAINING_STATE_FILES)
      if (has(f)) {
        trainingState ??= {};
        trainingState[f] = read(join(d, f));
      }
  let card: ModelCard;
  if (v0) card = v0Card(runConfig);
  else {
    const f = join(d, 'card.json');
    const c = new JsonCheck(OP, f);
    const o = c.object(readJson(f), '');
    c.string(o.libraryVersion, 'libraryVersion');
    c.object(o.data, 'data');
    c.object(o.metrics, 'metrics');
    card = o as unknown as ModelCard;
  }
  let model: AnyModule;
  try {
    model = moduleFromConfig(modelConfig);
  } catch (e) {
    throw new TensorScriptError(OP, `${join(d, 'config.json')}: key "model": ${(e as Error).message}`);
  }
  loadWeights(join(d, 'model.safetensors'), model, opts.allowNonFinite === true, read);
  model.train(false);
  if (r.layout === 'v1' && opts.clean !== false)
    cleanLeftovers(r.root, d.slice(r.root.length + 1), opts.fs ?? nodeFs, 60_000);
  return new SavedModel({ model, preprocessor, task, card, runConfig, history, trainingState });
}
