export { type BessTables, bessSection } from './bess.js';
export { countPerColumn, type DayGrid, dayGrid, expectedPerColumn } from './completeness.js';
export { decodeSeries, type EncodedSeries, encodeSeries, offsetTransitions } from './encode.js';
export { writeReportFolder } from './folder.js';
export { esc, indexHtml, summaryCards } from './html.js';
export type * from './model.js';
export {
  ConflictCollector,
  type ConflictRow,
  type Duplicate,
  type Reject,
  rejectFromSidecar,
  SortLogCollector,
  type SortRun,
} from './outcomes.js';
export { buildReport, LIMITS, OVERVIEW_POINTS, type ProfileInput, type ReportInput } from './page.js';
export { type ReportOptions, type ReportSummary, report } from './report.js';
export { formatReportSummary } from './summary.js';
