import fs from 'node:fs';
import { LptError } from '@lptool/core';
import { writeFileAtomic } from '@lptool/io';
import { z } from 'zod';
import { DATASET_SCHEMA_VERSION, type DatasetTable, PROFILES_TABLE, SYSTEM_TOTAL_TABLE } from './columns.js';

/**
 * `DIR/_lptool.json`, the dataset's manifest: its schema version and tables, and per source (a profile by
 * its name, the system total as `all`) the CSV it came from with its SHA-256 and the partition files made from it
 * with their rows and content hashes. Several exporters (shards) share one: each rewrites only its own sources,
 * under the dataset's lock.
 */
const PartitionSchema = z.object({ rows: z.number(), hash: z.string(), bytes: z.number() });
const SourceSchema = z.object({
  table: z.enum(['profiles', 'system_total']),
  file: z.string(),
  meter: z.string().optional(),
  sha256: z.string(),
  size: z.number(),
  mtimeMs: z.number(),
  rows: z.number(),
  first: z.string().nullable(),
  last: z.string().nullable(),
  exportedAt: z.string(),
  partitions: z.record(PartitionSchema),
});
const ManifestSchema = z.object({
  format: z.literal('lptool-parquet-dataset'),
  schemaVersion: z.number(),
  writer: z.string(),
  tables: z.record(z.unknown()),
  sources: z.record(SourceSchema),
});
export type DatasetSource = z.infer<typeof SourceSchema>;
export type DatasetManifest = z.infer<typeof ManifestSchema>;

export const MANIFEST_NAME = '_lptool.json';

/** The tables' columns and types as the manifest states them (for readers that want to check). */
function describe(table: DatasetTable) {
  return {
    partitioning: table.name === 'profiles' ? ['name', 'year'] : ['year'],
    columns: table.fields.map((f) => ({ name: f.name, type: f.type, nullable: f.nullable, from: f.source })),
  };
}

export function emptyManifest(writer: string): DatasetManifest {
  return {
    format: 'lptool-parquet-dataset',
    schemaVersion: DATASET_SCHEMA_VERSION,
    writer,
    tables: { profiles: describe(PROFILES_TABLE), system_total: describe(SYSTEM_TOTAL_TABLE) },
    sources: {},
  };
}

/** Read a dataset's manifest (none yet: empty). One of another schema version is read as empty: all is rewritten. */
export function readDatasetManifest(file: string, writer: string): DatasetManifest {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return emptyManifest(writer);
  }
  let parsed: DatasetManifest;
  try {
    parsed = ManifestSchema.parse(JSON.parse(text));
  } catch (e) {
    throw new LptError(
      'LPT_CONFIG',
      `dataset manifest — expected lptool's ${MANIFEST_NAME}, got something else (${(e as Error).message.split('\n')[0]}); move it away to start a new dataset`,
      { file },
    );
  }
  if (parsed.schemaVersion !== DATASET_SCHEMA_VERSION) return { ...emptyManifest(writer), sources: parsed.sources };
  return { ...parsed, writer };
}

export function writeDatasetManifest(file: string, manifest: DatasetManifest): void {
  writeFileAtomic(file, `${JSON.stringify(manifest, null, 1)}\n`);
}
