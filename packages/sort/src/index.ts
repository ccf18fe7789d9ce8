export { type HashEntry, HashStore, type Outcome } from './hash-store.js';
export { formatSortSummary, type SortedFile, type SortOptions, type SortSummary, sort } from './sort.js';
