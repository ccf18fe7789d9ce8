import { type CsvByteSink, CsvCore } from '@lptool/io';

/**
 * A raw export's rows as the export rules read them: columnar, only the columns lptool reads, and — for rows read
 * from bytes (`CsvCore.pushBytes`: every quote-free line) — no string at all, only each field's byte range in the
 * file's bytes. Rows csv-parse reads (a quoted field) and every row of a text read (`checkExport` on a string)
 * keep their fields as strings. Strings are made only on demand (`field`): for messages, and for a value
 * the byte readers leave to the text grammar.
 */

/** The fields of a row lptool reads, in this order (`FIELD.x` is the index of x). */
export const EXPORT_FIELDS = [
  'meter',
  'Record No.',
  'Event Type',
  'Start Time',
  'End Time',
  'kw_del',
  'kw_rec',
  'kva_del',
  'kva_rec',
] as const;
export const FIELD = {
  meter: 0,
  record: 1,
  event: 2,
  start: 3,
  end: 4,
  /** kw_del; kw_rec, kva_del and kva_rec follow (READING_COLUMNS order). */
  readings: 5,
} as const;
const WIDTH = EXPORT_FIELDS.length;

export class ExportRows {
  /** Data rows read. */
  count = 0;
  /** Each row's file line (the line it ends on, as csv-parse counts). */
  lines: Int32Array;
  /** The file's bytes, for rows read from bytes (null for a text read). */
  bytes: Buffer | null = null;
  /** Field k of row i is bytes[from[i·9 + k], to[i·9 + k]) — for a row read from bytes (`text[i]` undefined). */
  from: Int32Array;
  to: Int32Array;
  /** The fields of rows read as text, by row (every row of a text read; the quoted rows of a byte read). */
  readonly text: (string[] | undefined)[] = [];
  /** The header, trimmed, its line, and the header column of each field (−1: the export has no such column). */
  header: string[] = [];
  headerLine = 1;
  readonly column = new Int32Array(WIDTH).fill(-1);

  /** Room for `expected` rows to begin with (it grows). */
  constructor(expected = 64) {
    const n = Math.max(16, expected);
    this.lines = new Int32Array(n);
    this.from = new Int32Array(n * WIDTH);
    this.to = new Int32Array(n * WIDTH);
  }

  /** Field k of row i as written (untrimmed; '' for a column the export does not have). */
  field(i: number, k: number): string {
    const c = this.column[k]!;
    if (c < 0) return '';
    const t = this.text[i];
    if (t) return t[c]!;
    return this.bytes!.toString('utf8', this.from[i * WIDTH + k]!, this.to[i * WIDTH + k]!);
  }

  /** Was row i read from bytes (its fields are ranges of `bytes`)? */
  isBytes(i: number): boolean {
    return this.text[i] === undefined && this.bytes !== null;
  }

  /** The start of field k of row i in `bytes` (a byte row). */
  start(i: number, k: number): number {
    return this.from[i * WIDTH + k]!;
  }

  /** The end of field k of row i in `bytes` (a byte row). */
  end(i: number, k: number): number {
    return this.to[i * WIDTH + k]!;
  }

  /** Room for one more row. */
  private grow(): void {
    if (this.count < this.lines.length) return;
    const lines = new Int32Array(this.lines.length * 2);
    lines.set(this.lines);
    this.lines = lines;
    for (const key of ['from', 'to'] as const) {
      const next = new Int32Array(this.lines.length * WIDTH);
      next.set(this[key]);
      this[key] = next;
    }
  }

  /** The CSV core's sink that fills these rows. */
  sink(): CsvByteSink {
    return {
      header: (fields, line) => {
        this.header = fields;
        this.headerLine = line;
        // each field's column: the first header cell of its name (as the export rules find them; a name found
        // twice is rejected by them, once the whole file is read)
        const lower = fields.map((h) => h.toLowerCase());
        EXPORT_FIELDS.forEach((name, k) => {
          this.column[k] = lower.indexOf(name.toLowerCase());
        });
        return Number.POSITIVE_INFINITY;
      },
      record: (fields, line) => {
        this.grow();
        this.text[this.count] = fields;
        this.lines[this.count++] = line;
      },
      recordBytes: (bytes, starts, ends, line) => {
        this.grow();
        const at = this.count * WIDTH;
        const { column, from, to } = this;
        for (let k = 0; k < WIDTH; k++) {
          const c = column[k]!;
          if (c < 0) continue;
          from[at + k] = starts[c]!;
          to[at + k] = ends[c]!;
        }
        this.bytes = bytes;
        this.lines[this.count++] = line;
      },
    };
  }
}

/** Read an export's rows from its bytes (quote-free lines as byte ranges) or its text. Throws the CSV core's LptError. */
export function readExportRows(content: Buffer | string, file: string): ExportRows {
  const rows = new ExportRows(content.length >> 6);
  const core = new CsvCore(file, rows.sink());
  if (typeof content === 'string') core.push(content);
  else core.pushBytes(content);
  core.flush();
  if (!core.header) rows.header = [];
  return rows;
}
