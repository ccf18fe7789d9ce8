export {
  ALL_COLUMNS,
  formatMergeSummary,
  listProfiles,
  type MergeOptions,
  type MergeSummary,
  merge,
  readProfile,
} from './merge.js';
