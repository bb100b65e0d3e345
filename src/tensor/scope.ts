/**
 * Scopes free the intermediates of a block deterministically (the trainer wraps each step in one), so
 * users never call dispose in ordinary code. Anything returned from the block, marked with `keep`,
 * stored as a `.grad`, or created outside any scope (parameters, optimizer state) survives.
 */
import { trackEscaped } from './step-release.ts';

export interface Disposable {
  dispose(): void;
  readonly kept: boolean;
}

const stack: Set<Disposable>[] = [];

export function track(t: Disposable): void {
  const top = stack[stack.length - 1];
  if (top !== undefined) top.add(t);
}

export function untrack(t: Disposable): void {
  for (const s of stack) s.delete(t);
}

export function inScope(): boolean {
  return stack.length > 0;
}

/** Runs fn; disposes every tensor created inside it except the result(s) and kept ones. */
export function scope<T>(fn: () => T): T {
  const set = new Set<Disposable>();
  stack.push(set);
  let result: T;
  try {
    result = fn();
  } finally {
    stack.pop();
  }
  const survivors = new Set<unknown>();
  collect(result, survivors, 0);
  const parent = stack[stack.length - 1];
  for (const t of set) {
    if (survivors.has(t)) {
      // Leaving the outermost scope, a result is owned by user code like a tensor made outside any scope.
      if (parent === undefined) trackEscaped(t);
      else parent.add(t);
    } else if (!t.kept) {
      t.dispose();
    }
  }
  return result;
}

function collect(v: unknown, out: Set<unknown>, depth: number): void {
  if (v === null || typeof v !== 'object' || depth > 4) return;
  if ('dispose' in v && 'kept' in v) {
    out.add(v);
    return;
  }
  if (Array.isArray(v)) for (const x of v) collect(x, out, depth + 1);
  else if (Object.getPrototypeOf(v) === Object.prototype)
    for (const x of Object.values(v)) collect(x, out, depth + 1);
}
