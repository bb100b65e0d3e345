// Public API of the compression area: comparing a saved model with its compressed copy, and the report of it.
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
  comparisonChart,
  comparisonRows,
  writeComparisonReport,
} from './report.ts';
export { rowsHash, type TestSplit, testSplitOf } from './test-split.ts';
