export { formatGapsSummary, gapsProblems, GAP_COLUMNS, type GapsOptions, type GapsSummary, gaps, type ProfileGaps } from './gaps.js';
