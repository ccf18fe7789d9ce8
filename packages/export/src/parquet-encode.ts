import { createHash } from 'node:crypto';
import { ByteWriter, type ColumnSource, ParquetWriter, type SchemaElement } from 'hyparquet-writer';
import type { ColumnBatch, FieldValues } from './batch.js';
import type { DatasetField } from './columns.js';
import { DATASET_SCHEMA_VERSION } from './columns.js';

/** How partitions are encoded: a codec and its compressor (the command loads zstd's; tests may pass none). */
export interface ParquetCodec {
  /** As Parquet names it: `ZSTD`, `SNAPPY` (built into the writer) or `UNCOMPRESSED`. */
  codec: 'ZSTD' | 'SNAPPY' | 'UNCOMPRESSED';
  compress?: (page: Uint8Array) => Uint8Array;
  /** Said in the manifest and the files' `created_by`. */
  label: string;
}

/** Rows per row group: a meter-year of 15-minute data (35,040 rows) or even 5-minute data is one row group. */
export const ROW_GROUP_ROWS = 1 << 20;

/** The Parquet schema element of a field. */
function schemaElement(field: DatasetField): SchemaElement {
  const repetition_type = field.nullable ? 'OPTIONAL' : 'REQUIRED';
  switch (field.type) {
    case 'instant':
      return {
        name: field.name,
        type: 'INT64',
        repetition_type,
        logical_type: { type: 'TIMESTAMP', isAdjustedToUTC: true, unit: 'MICROS' },
      };
    case 'label':
    case 'dict':
      return {
        name: field.name,
        type: 'BYTE_ARRAY',
        converted_type: 'UTF8',
        logical_type: { type: 'STRING' },
        repetition_type,
      };
    case 'int64':
      return { name: field.name, type: 'INT64', repetition_type };
    case 'int32':
      return { name: field.name, type: 'INT32', repetition_type };
    case 'double':
      return { name: field.name, type: 'DOUBLE', repetition_type };
  }
}

/** One field's rows [from, to) as the writer takes them: micros as bigints, nulls where the field allows them. */
function columnSource(field: DatasetField, values: FieldValues, from: number, to: number): ColumnSource {
  const name = field.name;
  if (field.type === 'instant') {
    const v = values as Float64Array;
    const micros = new BigInt64Array(to - from);
    for (let i = from; i < to; i++) micros[i - from] = BigInt(v[i]!) * 1000n;
    // regular steps: delta encoding stores a year of 15-minute starts in a few hundred bytes
    return { name, data: micros, encoding: 'DELTA_BINARY_PACKED' };
  }
  // min/max statistics where filters use them (instants, ids, integers); not on labels and measured values
  if (field.type === 'label')
    return { name, data: (values as string[]).slice(from, to), encoding: 'PLAIN', statistics: false };
  if (field.type === 'dict') return { name, data: (values as string[]).slice(from, to), encoding: 'RLE_DICTIONARY' };
  if (field.type === 'int32') return { name, data: (values as Int32Array).subarray(from, to), encoding: 'PLAIN' };
  const v = (values as Float64Array).subarray(from, to);
  if (field.type === 'int64') {
    const data = Array.from(v, (x) => (Number.isNaN(x) ? null : BigInt(x)));
    return { name, data, encoding: 'DELTA_BINARY_PACKED' };
  }
  // doubles: PLAIN (no dictionary attempt: measured values rarely repeat enough), nulls only where allowed
  const data = field.nullable ? Array.from(v, (x) => (Number.isNaN(x) ? null : x)) : v;
  return { name, data, encoding: 'PLAIN', statistics: false };
}

/**
 * Rows [from, to) of a batch as one Parquet file, in memory (pure: no fs). Deterministic: the same rows and
 * codec give the same bytes, so a re-export that changes nothing could rewrite nothing.
 */
export function encodeParquet(batch: ColumnBatch, from: number, to: number, codec: ParquetCodec): Uint8Array {
  const { fields } = batch.table;
  const schema: SchemaElement[] = [{ name: 'schema', num_children: fields.length }, ...fields.map(schemaElement)];
  const writer = new ByteWriter();
  const pq = new ParquetWriter({
    writer,
    schema,
    codec: codec.codec,
    compressors: codec.compress ? { [codec.codec]: codec.compress } : {},
    createdBy: `lptool (${codec.label})`,
    kvMetadata: [{ key: 'lptool.schema_version', value: String(DATASET_SCHEMA_VERSION) }],
  });
  for (let at = from; at < to; at += ROW_GROUP_ROWS) {
    const end = Math.min(to, at + ROW_GROUP_ROWS);
    pq.write({
      columnData: fields.map((field, k) => columnSource(field, batch.values[k]!, at, end)),
      rowGroupSize: end - at,
    });
  }
  pq.finish();
  return new Uint8Array(writer.getBuffer());
}

/**
 * SHA-256 of rows [from, to) of a batch and of everything that decides their encoding (schema version, codec):
 * equal hashes mean an equal partition, without encoding it.
 */
export function contentHash(batch: ColumnBatch, from: number, to: number, codec: ParquetCodec): string {
  const h = createHash('sha256');
  h.update(`lptool-dataset:${DATASET_SCHEMA_VERSION}:${batch.table.name}:${codec.label}\n`);
  batch.table.fields.forEach((field, k) => {
    const v = batch.values[k]!;
    h.update(`${field.name}\n`);
    if (Array.isArray(v)) h.update(v.slice(from, to).join('\u0000'));
    else {
      const part = (v as Float64Array | Int32Array).subarray(from, to);
      h.update(new Uint8Array(part.buffer, part.byteOffset, part.byteLength));
    }
  });
  return h.digest('hex');
}
