export { type CoincidentPeak, coincidentPeak, spanOf, type TotalSeries } from './coincident.js';
export { formatResampleSummary, type ResampleOptions, type ResampleSummary, resample } from './resample.js';
export { formatStats, formatTable, type StatsOptions, type StatsSummary, stats } from './stats.js';
