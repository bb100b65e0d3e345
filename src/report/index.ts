// Public API of the report area: evaluation reports (JSON + offline HTML + SVG/PNG charts) and History files.
export type { ClassCurve, PerClassRow, ReportMetrics, ReportTask } from './compute.ts';
export { type History, loadHistory, saveHistory, validateHistory } from './history.ts';
export { type ReportOptions, type ReportResult, writeReport } from './write-report.ts';
