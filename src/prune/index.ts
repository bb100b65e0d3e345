// Public API of pruning (ts.prune): unstructured magnitude pruning with masks kept through training, gradual
// sparsity schedules, the fit callback, compact storage of pruned weights, and structured pruning that shrinks
// layers. Portable: nothing here reaches a Node-only module (files are written with io.saveSafetensors).
export { PruningCallback } from './callback.ts';
export {
  COMPACT_FORMAT,
  COMPACT_VERSION,
  type CompactContents,
  compactStateDict,
  expandStateDict,
  isCompact,
} from './compact.ts';
export {
  applyMask,
  applyMasks,
  getMasks,
  globalUnstructured,
  isPruned,
  l1Unstructured,
  maskOf,
  remove,
  setMask,
  setMasks,
  sparsityOf,
} from './masks.ts';
export { defaultPruneTargets, Pruner, type PrunerOptions } from './pruner.ts';
export {
  ConstantSparsity,
  type ConstantSparsityOptions,
  PolynomialDecay,
  type PolynomialDecayOptions,
  type SparsitySchedule,
} from './schedule.ts';
export {
  pruneStructured as structured,
  type StructuredOptions,
  type StructuredResult,
} from './structured.ts';
