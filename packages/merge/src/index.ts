export {
  formatMergeSummary,
  listProfiles,
  type MergeOptions,
  type MergeSummary,
  merge,
} from './merge.js';
