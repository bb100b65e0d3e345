// `tensorscript serve` targets: a saved model directory served through the library's servedModelFromSaved.
import { basename } from 'node:path';
import * as ts from '../index.ts';

/** What `tensorscript serve` is given: `dir`, `name=dir` or `name:version=dir`. */
export interface ServedCheckpointSpec {
  dir: string;
  name?: string;
  version?: string;
}

export function parseServeTarget(arg: string): ServedCheckpointSpec {
  const eq = arg.indexOf('=');
  if (eq < 0) return { dir: arg };
  const [name, version] = arg.slice(0, eq).split(':');
  return { dir: arg.slice(eq + 1), name: name || undefined, version: version || undefined };
}

export function servedModelFromCheckpoint(spec: ServedCheckpointSpec): ts.serving.ServedModel {
  const saved = ts.saving.load(spec.dir);
  const runName = (saved.runConfig as { name?: unknown } | null)?.name;
  const name = spec.name ?? (typeof runName === 'string' ? runName : basename(spec.dir));
  return ts.serving.servedModelFromSaved(saved, { name, version: spec.version ?? '1' });
}
