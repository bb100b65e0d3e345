import { fail } from '../core/errors.ts';
import type { Backend } from './backend.ts';

/**
 * Backends register themselves by name with a priority; the core never imports one. The highest
 * priority backend that loads becomes the default, and `setBackend` picks one by name.
 */
interface Entry {
  readonly factory: () => Backend;
  readonly priority: number;
  instance?: Backend;
}

const entries = new Map<string, Entry>();
let current: Backend | undefined;

export function registerBackend(name: string, factory: () => Backend, priority = 0): void {
  entries.set(name, { factory, priority });
  // A higher-priority backend registered later becomes the default unless the user chose one.
  if (current !== undefined && !chosenByUser) {
    const best = bestName();
    if (best !== current.name) current = undefined;
  }
}

let chosenByUser = false;

function instance(name: string): Backend {
  const e = entries.get(name);
  if (e === undefined)
    fail('setBackend', `unknown backend '${name}'; registered: ${[...entries.keys()].join(', ')}`);
  e.instance ??= e.factory();
  return e.instance;
}

function bestName(): string {
  let best: string | undefined;
  let bestP = -Infinity;
  for (const [n, e] of entries) {
    if (e.priority > bestP) {
      best = n;
      bestP = e.priority;
    }
  }
  if (best === undefined) fail('backend', 'no backend registered');
  return best;
}

export function setBackend(name: string): void {
  current = instance(name);
  chosenByUser = true;
}

export function getBackend(): Backend {
  current ??= instance(bestName());
  return current;
}

export function backendNames(): string[] {
  return [...entries.keys()];
}

/** The backend with this name, loading it if needed (tests compare two backends side by side). */
export function findBackend(name: string): Backend {
  return instance(name);
}
