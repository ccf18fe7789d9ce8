export { batchFromProfile, type ColumnBatch, type FieldValues, textColumnsFor, yearRanges } from './batch.js';
export {
  DATASET_SCHEMA_VERSION,
  type DatasetField,
  type DatasetTable,
  type FieldType,
  PROFILES_TABLE,
  SYSTEM_TOTAL_TABLE,
} from './columns.js';
export { type DatasetManifest, type DatasetSource, MANIFEST_NAME, readDatasetManifest } from './dataset-manifest.js';
export { formatParquetSummary, formatPostgresSummary } from './format.js';
export { exportParquet, type ParquetExportOptions, type ParquetExportSummary, type SourceExport } from './parquet.js';
export { contentHash, encodeParquet, type ParquetCodec, ROW_GROUP_ROWS } from './parquet-encode.js';
export { ParquetDatasetEngine, type PartitionOut, partitionPath } from './parquet-engine.js';
export { connect, type PgTarget, parsePgUrl, redact } from './pg-connect.js';
export {
  copyBinary,
  createSchemaSql,
  PG_PROFILES,
  PG_SCHEMA,
  PG_SYSTEM_TOTAL,
  PG_TABLES,
  schemaProblems,
  upsertSql,
} from './pg-sql.js';
export { exportPostgres, type PostgresExportOptions, type PostgresExportSummary, type SourceLoad } from './postgres.js';
export { type ExportSource, exportSources, readSourceBatch, sha256OfFile } from './sources.js';
export { ZSTD_LABEL, ZSTD_LEVEL, zstdCodec } from './zstd.js';
