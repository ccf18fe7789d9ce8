export { type FeederSeries, FeederSum, type FeederTotals, onCoarserGrid } from './feeder-sum.js';
export {
  formatMergeSummary,
  listProfiles,
  type MergeOptions,
  type MergeSummary,
  merge,
} from './merge.js';
