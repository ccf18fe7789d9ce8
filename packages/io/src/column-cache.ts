import fs from 'node:fs';
import path from 'node:path';
import { writeFileAtomic } from './atomic.js';

/**
 * A columnar sidecar of a CSV lptool wrote: `lp/.cache/<name>.bin` holds some
 * of its columns as Float64 (start/end instants, MW_net, …), so merge and gaps
 * need not parse 16-column text again. It is used only while the CSV still has
 * the size and mtime recorded in it (as make and git do); any edit of the CSV
 * makes readers fall back to the CSV itself.
 *
 * Layout: `LPTC1\n`, one JSON line {size, mtimeMs, rows, columns}, zero padding
 * to a multiple of 8 bytes, then each column's rows × 8 bytes (little endian).
 */
const MAGIC = 'LPTC1\n';

export function cachePathFor(csvPath: string): string {
  return path.join(path.dirname(csvPath), '.cache', `${path.basename(csvPath, '.csv')}.bin`);
}

/** Write the sidecar for a CSV that has just been committed. Failures are ignored (it is only a cache). */
export function writeColumnCache(csvPath: string, columns: Record<string, Float64Array>): void {
  try {
    const st = fs.statSync(csvPath);
    const names = Object.keys(columns);
    const rows = names.length ? columns[names[0]!]!.length : 0;
    let head = `${MAGIC}${JSON.stringify({ size: st.size, mtimeMs: st.mtimeMs, rows, columns: names })}\n`;
    while (head.length % 8) head += ' ';
    const out = Buffer.alloc(head.length + names.length * rows * 8);
    out.write(head, 0, 'latin1');
    names.forEach((n, k) => {
      const col = columns[n]!;
      Buffer.from(col.buffer, col.byteOffset, rows * 8).copy(out, head.length + k * rows * 8);
    });
    writeFileAtomic(cachePathFor(csvPath), out);
  } catch {
    /* a missing cache only costs speed */
  }
}

/** The named columns from a CSV's sidecar, or null when there is none or the CSV changed since. */
export function readColumnCache<K extends string>(
  csvPath: string,
  names: readonly K[],
): Record<K, Float64Array> | null {
  try {
    const st = fs.statSync(csvPath);
    const buf = fs.readFileSync(cachePathFor(csvPath));
    if (buf.toString('latin1', 0, MAGIC.length) !== MAGIC) return null;
    const nl = buf.indexOf(10, MAGIC.length);
    const meta = JSON.parse(buf.toString('latin1', MAGIC.length, nl)) as {
      size: number;
      mtimeMs: number;
      rows: number;
      columns: string[];
    };
    if (meta.size !== st.size || meta.mtimeMs !== st.mtimeMs) return null;
    let start = nl + 1;
    while (start % 8) start++;
    if (buf.length !== start + meta.columns.length * meta.rows * 8) return null;
    const out = {} as Record<K, Float64Array>;
    for (const n of names) {
      const k = meta.columns.indexOf(n);
      if (k < 0) return null;
      const col = new Float64Array(meta.rows);
      Buffer.from(col.buffer).set(buf.subarray(start + k * meta.rows * 8, start + (k + 1) * meta.rows * 8));
      out[n] = col;
    }
    return out;
  } catch {
    return null;
  }
}
