import { memoryStats, type Storage } from './storage.ts';

/**
 * Step-level release for hand-written training loops that do not use `scope`.
 *
 * FinalizationRegistry callbacks only run between event-loop tasks, so a synchronous PyTorch-style loop
 * (`zeroGrad(); loss = ...; loss.backward(); opt.step()`) never gets its dropped intermediates back and
 * the backend's memory grows by every intermediate of every step. Whether user code still holds a
 * tensor cannot be known synchronously, so nothing here frees a tensor: at each step boundary
 * (`optimizer.step()`) the storages created outside any scope during the step before the previous one
 * are spilled (data copied to an ordinary typed array, backend block returned for reuse). Tensors still
 * held keep their values; dropped ones are reclaimed by the JavaScript GC. Storages made before the first
 * boundary (datasets, models) and pinned ones (kept tensors) are never touched. One step of lag keeps
 * the common `loss.item()` after `step()` and last-step reads on backend memory.
 */

let armed = false;
let current: Storage[] = [];
let previous: Storage[] = [];

/** Called for every storage created outside a scope. */
export function trackStepStorage(s: Storage): void {
  if (armed) current.push(s);
}

/** Called for a tensor returned from an outermost scope: its storage is tracked like an unscoped one. */
export function trackEscaped(t: object): void {
  if (armed && 'storage' in t && t.storage instanceof Object) current.push(t.storage as Storage);
}

const GROWTH_STEPS = 200;
let lastLive = -1;
let growing = 0;
let warned = false;

/** A step boundary: spills the unpinned storages from the step before the previous one. */
export function endStep(): void {
  for (const s of previous) s.spill();
  previous = current;
  current = [];
  armed = true;
  watchGrowth();
}

/**
 * Warns once when live buffers grew at GROWTH_STEPS consecutive boundaries: something keeps engine
 * buffers across steps (tensors made inside scopes and returned each step, or `keep()` in the loop).
 */
function watchGrowth(): void {
  const live = memoryStats.live;
  growing = lastLive >= 0 && live > lastLive ? growing + 1 : 0;
  lastLive = live;
  if (growing >= GROWTH_STEPS && !warned) {
    warned = true;
    const msg =
      `[memory] live engine buffers grew at each of the last ${GROWTH_STEPS} optimizer steps (now ${live}): ` +
      'something keeps tensors across steps; wrap the step in ts.scope(() => ...) or dispose() what you keep';
    const proc = (globalThis as { process?: { emitWarning?: (m: string, t: string) => void } }).process;
    if (proc?.emitWarning !== undefined) proc.emitWarning(msg, 'TensorScriptMemoryWarning');
    else console.warn(msg);
  }
}

/** For tests: forget the boundary state (the next step() arms tracking again). */
export function resetStepRelease(): void {
  armed = false;
  current = [];
  previous = [];
  lastLive = -1;
  growing = 0;
  warned = false;
}
