import { type ColumnBatch, yearRanges } from './batch.js';
import { contentHash, encodeParquet, type ParquetCodec } from './parquet-encode.js';

/** One partition file of a source: encoded when its content changed, else `bytes` is null (keep the file). */
export interface PartitionOut {
  /** Relative, '/'-separated: `profiles/name=north/year=2024/part-0.parquet`. */
  path: string;
  year: number;
  rows: number;
  hash: string;
  bytes: Uint8Array | null;
}

/** The partition folder of a table's rows of one year (`name` for profiles). */
export function partitionPath(table: ColumnBatch['table']['name'], year: number, name?: string): string {
  const base = table === 'profiles' ? `profiles/name=${name}` : 'system_total';
  return `${base}/year=${year}/part-0.parquet`;
}

/**
 * The Parquet dataset as a push engine: push one source's rows (a whole profile or all.csv, in time order) and
 * get its partitions back — one per local year — each encoded only when its content hash differs from the one
 * `known` reports for that path. Pure: no fs, no clock; the command writes what comes out.
 */
export class ParquetDatasetEngine {
  readonly counters = { sources: 0, rows: 0, partitions: 0, encoded: 0, unchanged: 0, bytes: 0 };

  constructor(
    private readonly codec: ParquetCodec,
    private readonly known: (path: string) => string | undefined,
  ) {}

  push(batch: ColumnBatch, name?: string): PartitionOut[] {
    this.counters.sources++;
    this.counters.rows += batch.rows;
    return yearRanges(batch).map(({ year, from, to }) => {
      const path = partitionPath(batch.table.name, year, name);
      const hash = contentHash(batch, from, to, this.codec);
      this.counters.partitions++;
      if (this.known(path) === hash) {
        this.counters.unchanged++;
        return { path, year, rows: to - from, hash, bytes: null };
      }
      const bytes = encodeParquet(batch, from, to, this.codec);
      this.counters.encoded++;
      this.counters.bytes += bytes.length;
      return { path, year, rows: to - from, hash, bytes };
    });
  }
}
