// Public API of the compression area: comparing a saved model with its compressed copy, and the report of it.
// The chart spec (comparisonChart) stays internal, as src/report's do: its vega-lite type would pull vega's
// DOM typings into every strict TypeScript consumer (test/package/pack-install).
export {
  type CompareOptions,
  type Comparison,
  compareSavedModels,
  type DiskSize,
  diskSize,
  type Latency,
  type ModelMeasures,
} from './compare.ts';
export {
  type CompareReportOptions,
  type CompareReportResult,
  comparisonRows,
  writeComparisonReport,
} from './report.ts';
export { rowsHash, type TestSplit, testSplitOf } from './test-split.ts';
