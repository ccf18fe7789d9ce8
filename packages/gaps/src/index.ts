export {
  formatGapsSummary,
  GAP_COLUMNS,
  type GapsOptions,
  type GapsSummary,
  gaps,
  gapsProblems,
  type ProfileGaps,
} from './gaps.js';
