import path from 'node:path';
import type { SiteClock } from '@lptool/core';
import type { SiteLayout } from '@lptool/io';
import { inShard, type MeterInfo, type Profile, readMeterData, readProfile, type Shard } from '@lptool/profiles';
import { batchFromProfile, type ColumnBatch, textColumnsFor } from './batch.js';
import type { DatasetTable } from './columns.js';
import { PROFILES_TABLE, SYSTEM_TOTAL_TABLE } from './columns.js';

/** A CSV an export reads: a meter's profile or the system total. */
export interface ExportSource {
  /** The profile's name, or `all` for lp/all.csv. */
  key: string;
  table: DatasetTable;
  file: string;
  /** Relative to the site root, '/'-separated. */
  display: string;
  meter?: string;
}

/** What an export covers: the meters of meter-data.csv (of one shard), and the system total unless sharded. */
export function exportSources(
  layout: SiteLayout,
  shard: Shard | undefined,
): { sources: ExportSource[]; names: Set<string> } {
  const meters: MeterInfo[] = [...readMeterData(layout.meterData).values()];
  const rel = (f: string) => path.relative(layout.root, f).split(path.sep).join('/');
  const sources: ExportSource[] = meters
    .filter((m) => inShard(m.meter, shard))
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    .map((m) => {
      const file = path.join(layout.lp, `${m.name}.csv`);
      return { key: m.name, table: PROFILES_TABLE, file, display: rel(file), meter: m.meter };
    });
  if (!shard) {
    const file = path.join(layout.lp, 'all.csv');
    sources.push({ key: 'all', table: SYSTEM_TOTAL_TABLE, file, display: rel(file) });
  }
  return { sources, names: new Set(meters.map((m) => m.name)) };
}

/** SHA-256 of a source's bytes: the archive's hashing (one implementation for every file lptool hashes). */
export { sha256File as sha256OfFile } from '@lptool/archive';

/**
 * A source's rows through the one profile reader (time order; the text columns its table needs), as a batch
 * (`local: false`: without local labels and years, see batchFromProfile).
 */
export function readSourceBatch(
  source: ExportSource,
  clock: SiteClock,
  options: { local?: boolean } = {},
): { profile: Profile; batch: ColumnBatch } {
  const profile = readProfile(source.file, source.display, clock, {
    columns: [], // the numbers come as text, parsed and checked once by batchFromProfile
    text: textColumnsFor(source.table),
  });
  return { profile, batch: batchFromProfile(profile, source.table, clock, options) };
}
