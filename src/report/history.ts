import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { check, fail } from '../core/errors.ts';

/**
 * A Keras-like training history: `history[key][i]` is the value at `epoch[i]`; keys are metric names, validation
 * ones prefixed 'val_' ('loss', 'val_loss', 'accuracy', 'val_accuracy'). A value that was not finite (a diverged
 * loss) is stored as null, which JSON can hold.
 */
export interface History {
  epoch: number[];
  history: Record<string, (number | null)[]>;
}

/** Checks the structure and returns the same object, so reports fail early with a clear message. */
export function validateHistory(h: unknown, op = 'validateHistory'): History {
  check(
    typeof h === 'object' && h !== null,
    op,
    () => `history must be an object { epoch, history }, got ${h === null ? 'null' : typeof h}`,
  );
  const { epoch, history } = h as { epoch?: unknown; history?: unknown };
  check(
    Array.isArray(epoch) && epoch.every((e) => typeof e === 'number' && Number.isFinite(e)),
    op,
    () => 'history.epoch must be an array of finite numbers',
  );
  check(
    typeof history === 'object' && history !== null && !Array.isArray(history),
    op,
    () => 'history.history must be an object of number arrays keyed by metric name',
  );
  for (const [key, values] of Object.entries(history as Record<string, unknown>)) {
    check(
      Array.isArray(values),
      op,
      () => `history.history["${key}"] must be an array, got ${typeof values}`,
    );
    check(
      values.length === epoch.length,
      op,
      () => `history.history["${key}"] has ${values.length} values but there are ${epoch.length} epochs`,
    );
    values.forEach((v, i) => {
      if (!(v === null || typeof v === 'number'))
        fail(op, `history.history["${key}"][${i}] must be a number or null, got ${JSON.stringify(v)}`);
    });
  }
  return h as History;
}

/** Writes the History as JSON atomically (temp file + rename), so a crash mid-write never leaves half a file. */
export function saveHistory(path: string, h: History): void {
  validateHistory(h, 'saveHistory');
  const clean: History = {
    epoch: [...h.epoch],
    history: Object.fromEntries(
      Object.entries(h.history).map(([k, v]) => [
        k,
        v.map((x) => (x === null || !Number.isFinite(x) ? null : x)),
      ]),
    ),
  };
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, `${JSON.stringify(clean, null, 2)}\n`);
  renameSync(tmp, path);
}

/** Reads a History written by saveHistory (or by hand in the same shape). */
export function loadHistory(path: string): History {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    return fail('loadHistory', `cannot read ${path}: ${(e as Error).message}`);
  }
  return validateHistory(parsed, 'loadHistory');
}
