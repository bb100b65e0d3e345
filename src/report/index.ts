// Public API of the report area: evaluation reports (JSON + offline HTML + SVG/PNG charts) and History files.
export type { ClassCurve, PerClassRow, ReportMetrics, ReportTask } from './compute.ts';
export { downsampleCurve } from './downsample.ts';
export { type History, loadHistory, saveHistory, validateHistory } from './history.ts';
export { type ModelSummaryRow, modelSummary, type ReportExamples } from './sections.ts';
export { type ReportOptions, type ReportResult, writeReport } from './write-report.ts';
