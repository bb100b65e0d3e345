/**
 * Crash-safe save: each save writes a new version subdirectory `v-<n>-<tag>` (via a hidden `.tmp-` directory
 * renamed into place once every file is fsynced), then switches `saved-model.json`, the pointer, with one atomic
 * rename. A crash before that rename leaves the previous pointer and its version whole; one after leaves the
 * new one. Old versions and leftovers are removed after the switch and cleaned at the next load or save.
 */
import { readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { TensorScriptError } from '../core/errors.ts';
import { serializeSafetensors } from '../io/safetensors.ts';
import { moduleToConfig } from '../nn/module.ts';
import { type EncryptionOptions, resolveKey, seal } from '../privacy/encryption.ts';
import { POINTER_FILE, type Pointer, SAVED_MODEL_FORMAT, SAVED_MODEL_VERSION } from './format.ts';
import { fsStep, nodeFs, type SaveFs } from './fs-layer.ts';
import type { SavedModel } from './saved-model.ts';

export interface SaveOptions {
  /** The filesystem layer (tests inject faults through it). */
  fs?: SaveFs;
  /** Save even when some weights are NaN or infinite (default false: such a save is refused). */
  allowNonFinite?: boolean;
  /** Encrypt every file of the version with AES-256-GCM (docs/privacy.md); the pointer stays plain. */
  encryption?: EncryptionOptions;
}

/** Files of the legacy (v0) layout that a save into the same directory supersedes. */
export const V0_FILES = [
  'config.json',
  'model.safetensors',
  'optimizer.json',
  'optimizer.safetensors',
  'trainer.json',
  'run.json',
  'preprocess.json',
  'labels.json',
  'tokenizer.json',
  'history.json',
];

const VERSION_DIR = /^v-(\d{6,})-[A-Za-z0-9]+$/;

function json(v: unknown): string {
  return `${JSON.stringify(v, null, 1)}\n`;
}

/** The files of one version directory, produced lazily so a failure leaves no half-written file behind. */
function versionFiles(m: SavedModel): [string, () => Uint8Array | string][] {
  const files: [string, () => Uint8Array | string][] = [
    [
      'config.json',
      () =>
        json({ format: SAVED_MODEL_FORMAT, version: SAVED_MODEL_VERSION, model: moduleToConfig(m.model) }),
    ],
    ['model.safetensors', () => serializeSafetensors(m.model.stateDict(), { format: 'pt' })],
    ['preprocess.json', () => json(m.preprocessor.toJSON())],
    ['labels.json', () => json(m.task)],
    ['card.json', () => json(m.card)],
  ];
  if (m.runConfig !== null) files.push(['run.json', () => json(m.runConfig)]);
  if (m.history !== null) files.push(['history.json', () => json(m.history)]);
  for (const [name, data] of Object.entries(m.trainingState ?? {})) files.push([name, () => data]);
  return files;
}

/** Removes what an interrupted save left: temporary directories, superseded versions and v0 files. */
export function cleanLeftovers(dir: string, current: string | null, fs: SaveFs, minAgeMs = 0): string[] {
  const removed: string[] = [];
  const now = Date.now();
  let names: string[];
  try {
    names = fs.readdir(dir);
  } catch {
    return removed;
  }
  for (const n of names) {
    const stale = n.startsWith('.tmp-') || (VERSION_DIR.test(n) && n !== current);
    const v0 = current !== null && V0_FILES.includes(n);
    if (!stale && !v0) continue;
    const p = join(dir, n);
    const t = fs.mtime(p);
    // A recent temporary directory may belong to a save running now in another process.
    if (n.startsWith('.tmp-') && t !== null && now - t < minAgeMs) continue;
    try {
      fs.rm(p);
      removed.push(n);
    } catch {
      // Read-only or vanished: the leftover is harmless, the pointer decides what loads.
    }
  }
  return removed;
}

function nextNumber(names: string[]): number {
  let last = 0;
  for (const n of names) {
    const m = VERSION_DIR.exec(n);
    if (m !== null) last = Math.max(last, Number(m[1]));
  }
  return last + 1;
}

/** Writes `m` to `dir` (see the file comment for the steps). Returns the version directory written. */
export function saveModel(m: SavedModel, dir: string, opts: SaveOptions = {}): string {
  const op = 'save';
  const fs = opts.fs ?? nodeFs;
  if (opts.allowNonFinite !== true) {
    const bad = m.nonFiniteWeights();
    if (bad.length > 0)
      throw new TensorScriptError(
        op,
        `refusing to save ${dir}: weights ${bad.slice(0, 5).join(', ')}${bad.length > 5 ? ', ...' : ''} hold NaN or infinite values (training diverged?); the saved model already there is kept. Pass { allowNonFinite: true } to save anyway`,
      );
  }
  // Resolved before anything is written, so a missing or bad key leaves the directory untouched.
  const key = opts.encryption === undefined ? null : resolveKey(opts.encryption);
  fsStep(op, 'create directory', dir, () => fs.mkdir(dir));
  cleanLeftovers(dir, readCurrent(dir), fs);
  const names = fsStep(op, 'list', dir, () => fs.readdir(dir));
  const tag = `${process.pid.toString(36)}${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
  const name = `v-${String(nextNumber(names)).padStart(6, '0')}-${tag}`;
  const tmp = join(dir, `.tmp-${name}`);
  const pointerTmp = join(dir, `.tmp-pointer-${tag}`);
  try {
    fsStep(op, 'create directory', tmp, () => fs.mkdir(tmp));
    for (const [file, make] of versionFiles(m)) {
      const p = join(tmp, file);
      // Sealed with its final place (version/file) as associated data: files cannot be swapped unnoticed.
      const data = key === null ? make() : seal(make(), `${name}/${file}`, key);
      fsStep(op, 'write', p, () => fs.writeFile(p, data));
    }
    fs.syncDir(tmp);
    fsStep(op, 'rename', tmp, () => fs.rename(tmp, join(dir, name)));
    const pointer: Pointer = { format: SAVED_MODEL_FORMAT, version: SAVED_MODEL_VERSION, current: name };
    fsStep(op, 'write', pointerTmp, () => fs.writeFile(pointerTmp, json(pointer)));
    fsStep(op, 'rename', pointerTmp, () => fs.rename(pointerTmp, join(dir, POINTER_FILE)));
    fs.syncDir(dir);
  } catch (e) {
    try {
      fs.rm(tmp);
      fs.rm(pointerTmp);
    } catch {
      // cleaned at the next load or save
    }
    throw e;
  }
  cleanLeftovers(dir, name, fs);
  return join(dir, name);
}

/** The current version named by `dir`'s pointer, or null (no pointer, or one that cannot be read). */
export function readCurrent(dir: string): string | null {
  try {
    // Read through node:fs: the fault-injection layer covers the steps that change the disk.
    const p = JSON.parse(readFileSync(join(dir, POINTER_FILE), 'utf8')) as Partial<Pointer>;
    return typeof p.current === 'string' ? basename(p.current) : null;
  } catch {
    return null;
  }
}
