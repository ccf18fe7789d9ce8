export { type HashEntry, HashStore, type Outcome } from './hash-store.js';
export {
  type AcceptedExport,
  type Inspection,
  isCandidate,
  type Listing,
  planSort,
  type Rejection,
  type SortAction,
  type StoreView,
} from './plan.js';
export { type SortOptions, sort } from './sort.js';
export { emptySummary, formatSortSummary, type SortedFile, type SortSummary, sortProblems } from './summary.js';
