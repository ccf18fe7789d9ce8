import { type ClockMode, isLptError, SiteClock } from '@lptool/core';
import type { ParquetCodec } from './parquet-encode.js';
import { ParquetDatasetEngine, type PartitionOut } from './parquet-engine.js';
import { copyBinary, PG_PROFILES, PG_SYSTEM_TOTAL } from './pg-sql.js';
import { type ExportSource, readSourceBatch } from './sources.js';
import { zstdCodec } from './zstd.js';

/** One source to read and turn into what an export sends: Parquet partitions, or COPY binary chunks. */
export interface PrepJob {
  kind: 'parquet' | 'postgres';
  source: ExportSource;
  zone: string;
  clock: ClockMode;
  /** Parquet: the content hash of each partition file already in place (those are not encoded again). */
  known?: Record<string, string>;
}

export type Prepared =
  | {
      ok: true;
      rows: number;
      first: string | null;
      last: string | null;
      partitions?: PartitionOut[];
      /** PostgreSQL: the rows in COPY's binary format, in chunks. */
      copy?: Uint8Array[];
      /** The engine's counters (Parquet). */
      counters?: ParquetDatasetEngine['counters'];
    }
  | { ok: false; error: string };

/** Rows per COPY chunk. */
const COPY_CHUNK = 16_384;

/**
 * Read one source through the profile reader and run it through its engine. A bad profile is a result naming
 * file, line and column (the export goes on with the others); anything else is thrown.
 */
export async function prepareJob(job: PrepJob, codec?: ParquetCodec): Promise<Prepared> {
  const clock = new SiteClock(job.zone, job.clock);
  try {
    const { batch, profile } = readSourceBatch(job.source, clock, { local: job.kind === 'parquet' });
    const labels = profile.text?.get('Start Time') ?? [];
    const base = {
      ok: true as const,
      rows: batch.rows,
      first: labels[0] ?? null,
      last: labels[labels.length - 1] ?? null,
    };
    if (job.kind === 'parquet') {
      const known = job.known ?? {};
      const engine = new ParquetDatasetEngine(codec ?? (await zstdCodec()), (p) => known[p]);
      const partitions = engine.push(batch, job.source.meter !== undefined ? job.source.key : undefined);
      return { ...base, partitions, counters: engine.counters };
    }
    const t = job.source.meter !== undefined ? PG_PROFILES : PG_SYSTEM_TOTAL;
    const copy: Uint8Array[] = [];
    for (let at = 0; at < batch.rows || at === 0; at += COPY_CHUNK)
      copy.push(copyBinary(t, batch, at, Math.min(batch.rows, at + COPY_CHUNK)));
    return { ...base, copy };
  } catch (e) {
    if (!isLptError(e)) throw e;
    return { ok: false, error: e.toLine() };
  }
}

/** The buffers a result can hand over to another thread without a copy. */
export function transferables(p: Prepared): ArrayBuffer[] {
  if (!p.ok) return [];
  const views = [...(p.partitions ?? []).flatMap((x) => (x.bytes ? [x.bytes] : [])), ...(p.copy ?? [])];
  return [...new Set(views.map((v) => v.buffer as ArrayBuffer))];
}
