export { formatResampleSummary, type ResampleOptions, type ResampleSummary, resample } from './resample.js';
export {
  type CoincidentPeak,
  formatStats,
  type PeriodStats,
  periodStats,
  type StatsOptions,
  type StatsSummary,
  stats,
} from './stats.js';
