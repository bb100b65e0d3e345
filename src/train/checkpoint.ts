/**
 * Training checkpoints: one directory per checkpoint holding
 *
 *   config.json            format version, the model's layer config (nn registry) and the training config
 *   model.safetensors      the model's state dict (PyTorch-compatible keys)
 *   optimizer.json         optimizer name, parameter groups (options, lr) and the numeric per-parameter state
 *   optimizer.safetensors  the optimizer's state tensors, named `<paramIndex>.<stateKey>`
 *   trainer.json           completed epochs, RNG states, history, callback states
 *   callbacks.safetensors  tensors callbacks keep (EarlyStopping's best weights), named `<callbackIndex>.<key>`
 *
 * A checkpoint directory is written whole into a temporary sibling directory (every file fsynced), then renamed
 * into place, so a crash mid-save leaves the previous checkpoint untouched. Under a checkpoint root (what `fit`'s
 * `checkpointDir` is) each save is a new `ckpt-NNNNNN` directory and `latest.json`, replaced atomically after
 * the directory is complete, names the newest; older ones are pruned.
 */
import {
  closeSync,
  existsSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeSync,
} from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { check, fail } from '../core/errors.ts';
import { parseSafetensors, serializeSafetensors, writeFileAtomic } from '../io/safetensors.ts';
import {
  type AnyModule,
  type JsonValue,
  type ModuleConfig,
  moduleFromConfig,
  moduleToConfig,
} from '../nn/module.ts';
import type { GroupValue, Optimizer, OptimizerStateDict } from '../optim/optimizer.ts';
import type { History as HistoryRecord } from '../report/history.ts';
import type { Tensor } from '../tensor/tensor.ts';

export const CHECKPOINT_FORMAT = 'tensorscript-checkpoint';
export const CHECKPOINT_VERSION = 1;
/**
 * A saved model's version directory (src/saving) holds the same model.safetensors and, when it was trained by
 * saving.fit or `tensorscript train`, the same optimizer/trainer/callbacks files: fit resumes from it too.
 */
const SAVED_MODEL_FORMAT = 'tensorscript-saved-model';

/** What a model must offer to be checkpointed (any nn.Module does). */
export interface CheckpointModule {
  stateDict(): Record<string, Tensor>;
}

export interface CheckpointConfig {
  format: string;
  version: number;
  /** The model's `{className, config}` from the layer registry, or null for a model class that is not registered. */
  model: ModuleConfig | null;
  /** Training configuration (optimizer, loss, metrics), for the record. */
  training: JsonValue;
}

/** The trainer's own state: what makes a resumed run continue exactly. */
export interface TrainerState {
  /** Epochs completed. */
  epoch: number;
  /** Generator states: the default generator (dropout, init), the trainer's shuffle generator, a data loader's. */
  rng: Record<string, number[]>;
  /** The History so far, as `History.toJSON()` writes it (non-finite values as null). */
  history: HistoryRecord;
  callbacks: { name: string; state: JsonValue }[];
}

export interface CheckpointContents {
  config: CheckpointConfig;
  model: Record<string, Tensor>;
  optimizer: (OptimizerStateDict & { name: string }) | null;
  trainer: TrainerState | null;
  /** Tensors of callbacks (`<callbackIndex>.<key>`); empty when the checkpoint has none. */
  callbackTensors: Record<string, Tensor>;
}

export interface SaveInput {
  model: CheckpointModule;
  optimizer?: Optimizer | null;
  trainer?: TrainerState | null;
  training?: JsonValue;
  /** Tensors callbacks keep across epochs, named `<callbackIndex>.<key>` (written only when non-empty). */
  callbackTensors?: Record<string, Tensor>;
}

function modelConfig(model: CheckpointModule): ModuleConfig | null {
  try {
    return moduleToConfig(model as unknown as AnyModule);
  } catch {
    // A custom model class without registerLayer/getConfig: weights are saved, the caller rebuilds the model.
    return null;
  }
}

/** The optimizer state dict split into JSON (options, step counts) and tensors. */
function optimizerFiles(opt: Optimizer): { json: string; tensors: () => Uint8Array } {
  const sd = opt.stateDict();
  const numbers: Record<string, Record<string, number>> = {};
  const tensors: Record<string, Tensor> = {};
  for (const [i, entry] of Object.entries(sd.state)) {
    numbers[i] = {};
    for (const [k, v] of Object.entries(entry)) {
      if (typeof v === 'number') numbers[i]![k] = v;
      else tensors[`${i}.${k}`] = v;
    }
  }
  const json = JSON.stringify(
    { name: opt.name, paramGroups: sd.paramGroups, state: numbers, tensors: Object.keys(tensors) },
    null,
    1,
  );
  return { json, tensors: () => serializeSafetensors(tensors) };
}

/** The training-state files of a checkpoint (optimizer state, trainer state, callback tensors), produced lazily. */
export function trainingStateFiles(input: {
  optimizer?: Optimizer | null;
  trainer?: TrainerState | null;
  callbackTensors?: Record<string, Tensor>;
}): [string, () => Uint8Array | string][] {
  const files: [string, () => Uint8Array | string][] = [];
  if (input.optimizer) {
    const opt = input.optimizer;
    let parts: ReturnType<typeof optimizerFiles> | null = null;
    const get = () => {
      parts ??= optimizerFiles(opt);
      return parts;
    };
    files.push(['optimizer.json', () => get().json]);
    files.push(['optimizer.safetensors', () => get().tensors()]);
  }
  if (input.trainer) {
    const st = input.trainer;
    files.push(['trainer.json', () => JSON.stringify(st, null, 1)]);
  }
  const cbt = input.callbackTensors;
  if (cbt !== undefined && Object.keys(cbt).length > 0)
    files.push(['callbacks.safetensors', () => serializeSafetensors(cbt)]);
  return files;
}

/** The training-state file names, in the order trainingStateFiles writes them. */
export const TRAINING_STATE_FILES = [
  'optimizer.json',
  'optimizer.safetensors',
  'trainer.json',
  'callbacks.safetensors',
] as const;

function writeSynced(path: string, data: Uint8Array | string): void {
  const fd = openSync(path, 'w', 0o644);
  try {
    const buf = typeof data === 'string' ? new TextEncoder().encode(data) : data;
    let off = 0;
    while (off < buf.length) off += writeSync(fd, buf, off, buf.length - off);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

function fsyncDir(dir: string): void {
  try {
    const fd = openSync(dir, 'r');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch {
    // Not every platform can fsync a directory; the renames are still atomic.
  }
}

/**
 * Writes one checkpoint directory atomically: files go into a temporary sibling directory, each fsynced, which is
 * then renamed to `dir` (replacing an existing checkpoint there only once the new one is complete). Files are
 * produced one at a time, so an error while producing one (or a crash) leaves no partial checkpoint behind.
 */
export function writeCheckpoint(dir: string, input: SaveInput): void {
  const parent = dirname(dir);
  mkdirSync(parent, { recursive: true });
  const tag = `${process.pid}-${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}`;
  const tmp = join(parent, `.${basename(dir)}.tmp-${tag}`);
  const files: [string, () => Uint8Array | string][] = [
    [
      'config.json',
      () =>
        JSON.stringify(
          {
            format: CHECKPOINT_FORMAT,
            version: CHECKPOINT_VERSION,
            model: modelConfig(input.model),
            training: input.training ?? null,
          } satisfies CheckpointConfig,
          null,
          1,
        ),
    ],
    ['model.safetensors', () => serializeSafetensors(input.model.stateDict(), { format: 'pt' })],
    ...trainingStateFiles(input),
  ];
  mkdirSync(tmp);
  try {
    for (const [name, make] of files) writeSynced(join(tmp, name), make());
    fsyncDir(tmp);
    if (existsSync(dir)) {
      const old = join(parent, `.${basename(dir)}.old-${tag}`);
      renameSync(dir, old);
      renameSync(tmp, dir);
      rmSync(old, { recursive: true, force: true });
    } else renameSync(tmp, dir);
    fsyncDir(parent);
  } catch (e) {
    rmSync(tmp, { recursive: true, force: true });
    throw e;
  }
}

interface Latest {
  checkpoint: string;
  epoch: number | null;
}

/** Checkpoint directories under a root, oldest first. */
function listCheckpoints(root: string): string[] {
  if (!existsSync(root)) return [];
  return readdirSync(root)
    .filter((n) => /^ckpt-\d{6,}$/.test(n))
    .sort();
}

/**
 * Saves a new checkpoint under `root` (`root/ckpt-NNNNNN`), then points `root/latest.json` at it and prunes all
 * but the newest `keep`. Leftovers of an interrupted save are removed first. Returns the checkpoint's path.
 */
export function saveCheckpoint(root: string, input: SaveInput, opts: { keep?: number } = {}): string {
  const keepN = opts.keep ?? 2;
  check(
    Number.isInteger(keepN) && keepN >= 1,
    'saveCheckpoint',
    () => `keep must be an integer >= 1, got ${keepN}`,
  );
  mkdirSync(root, { recursive: true });
  for (const n of readdirSync(root))
    if (/^\.ckpt-\d+\.(tmp|old)-/.test(n)) rmSync(join(root, n), { recursive: true, force: true });
  const existing = listCheckpoints(root);
  const last = existing.length > 0 ? Number(existing[existing.length - 1]!.slice(5)) : 0;
  const name = `ckpt-${String(last + 1).padStart(6, '0')}`;
  writeCheckpoint(join(root, name), input);
  const latest: Latest = { checkpoint: name, epoch: input.trainer?.epoch ?? null };
  writeFileAtomic(join(root, 'latest.json'), JSON.stringify(latest));
  const all = listCheckpoints(root);
  for (const n of all.slice(0, Math.max(0, all.length - keepN)))
    if (n !== name) rmSync(join(root, n), { recursive: true, force: true });
  return join(root, name);
}

/** The checkpoint directory a path means: a checkpoint root (via latest.json) or a checkpoint directory itself. */
export function resolveCheckpoint(path: string): string {
  const latest = join(path, 'latest.json');
  if (existsSync(latest)) {
    let l: Latest;
    try {
      l = JSON.parse(readFileSync(latest, 'utf8')) as Latest;
    } catch (e) {
      fail('loadCheckpoint', `${latest} is not valid JSON: ${(e as Error).message}`);
    }
    return join(path, l.checkpoint);
  }
  if (existsSync(join(path, 'config.json'))) return path;
  fail('loadCheckpoint', `${path} holds no checkpoint (expected latest.json or config.json)`);
}

function readJson<T>(path: string): T {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    fail('loadCheckpoint', `cannot read ${path}: ${(e as Error).message}`);
  }
  try {
    return JSON.parse(text) as T;
  } catch (e) {
    fail('loadCheckpoint', `${path} is not valid JSON: ${(e as Error).message}`);
  }
}

function readTensors(path: string): Record<string, Tensor> {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    fail('loadCheckpoint', `cannot read ${path}: ${(e as Error).message}`);
  }
  return parseSafetensors(bytes, path).tensors;
}

/** Reads a checkpoint (a root or a checkpoint directory). Tensors are fresh and owned by the caller. */
export function loadCheckpoint(path: string): CheckpointContents {
  const dir = resolveCheckpoint(path);
  const config = readJson<CheckpointConfig>(join(dir, 'config.json'));
  check(
    config.format === CHECKPOINT_FORMAT || config.format === SAVED_MODEL_FORMAT,
    'loadCheckpoint',
    () => `${dir}/config.json: expected format "${CHECKPOINT_FORMAT}", got ${JSON.stringify(config.format)}`,
  );
  // A saved model's version ("1.0") is checked by saving.load; a checkpoint's here.
  check(
    config.format === SAVED_MODEL_FORMAT || config.version <= CHECKPOINT_VERSION,
    'loadCheckpoint',
    () => `${dir} was written by a newer version (format version ${config.version} > ${CHECKPOINT_VERSION})`,
  );
  const model = readTensors(join(dir, 'model.safetensors'));
  let optimizer: CheckpointContents['optimizer'] = null;
  if (existsSync(join(dir, 'optimizer.json'))) {
    const oj = readJson<{
      name: string;
      paramGroups: (Record<string, GroupValue> & { params: number[] })[];
      state: Record<string, Record<string, number>>;
      tensors: string[];
    }>(join(dir, 'optimizer.json'));
    const tensors = readTensors(join(dir, 'optimizer.safetensors'));
    const state: OptimizerStateDict['state'] = {};
    for (const [i, nums] of Object.entries(oj.state)) state[i] = { ...nums };
    for (const key of oj.tensors) {
      const dot = key.indexOf('.');
      const i = key.slice(0, dot);
      const t = tensors[key];
      if (t === undefined) fail('loadCheckpoint', `${dir}/optimizer.safetensors lacks tensor "${key}"`);
      state[i] ??= {};
      state[i][key.slice(dot + 1)] = t;
    }
    optimizer = { name: oj.name, paramGroups: oj.paramGroups, state };
  }
  const trainer = existsSync(join(dir, 'trainer.json'))
    ? readJson<TrainerState>(join(dir, 'trainer.json'))
    : null;
  const callbackTensors = existsSync(join(dir, 'callbacks.safetensors'))
    ? readTensors(join(dir, 'callbacks.safetensors'))
    : {};
  return { config, model, optimizer, trainer, callbackTensors };
}

/** Rebuilds a model from a checkpoint's config (its class must be registered) and loads its weights. */
export function loadModelFromCheckpoint<M extends AnyModule = AnyModule>(path: string): M {
  const c = loadCheckpoint(path);
  if (c.config.model === null)
    fail(
      'loadModelFromCheckpoint',
      `${path} has no model config (the model class was not registered); build the model and load model.safetensors into it`,
    );
  const m = moduleFromConfig<M>(c.config.model);
  m.loadStateDict(c.model);
  for (const t of Object.values(c.model)) t.dispose();
  return m;
}

/** Disposes the tensors of loaded checkpoint contents once they have been copied into a model/optimizer. */
export function disposeCheckpoint(c: CheckpointContents): void {
  for (const t of Object.values(c.model)) t.dispose();
  for (const t of Object.values(c.callbackTensors)) t.dispose();
  if (c.optimizer)
    for (const e of Object.values(c.optimizer.state))
      for (const v of Object.values(e)) if (typeof v !== 'number') v.dispose();
}
