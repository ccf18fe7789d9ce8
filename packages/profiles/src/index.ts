export {
  type BadRow,
  type BuildOptions,
  type BuildSummary,
  build,
  type Conflict,
  type MeterBuild,
} from './build.js';
export * from './columns.js';
export { formatBuildSummary } from './format.js';
export { type FileRecord, loadManifest, type Manifest, type MeterRecord } from './manifest.js';
export { type MeterInfo, readMeterData } from './meter-data.js';
export { type MeterJob, type MeterOutcome, runMeterJob } from './meter-job.js';
export * from './reader.js';
export * from './shadow.js';
export { inShard, parseShard, type Shard, shardOf } from './shard.js';
export * from './sidecar.js';
