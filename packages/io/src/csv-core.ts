import { LptError } from '@lptool/core';
import { parse } from 'csv-parse/sync';

/**
 * The one CSV parser of lptool, push-based in the shape of csv-parse's own core: `push` text as it
 * comes (a whole file, or 4 MB chunks of one), `flush` at the end, `counters` as it goes. SPEC §2's
 * rules are handled here once: a UTF-8 BOM, CRLF line ends, quoted fields (with commas and line
 * breaks in them), blank and whitespace-only lines (skipped), the header trimmed, every record as
 * wide as the header (else LPT_PARSE naming the line), NUL bytes (LPT_PARSE: binary data).
 *
 * What it gives is exactly what csv-parse (`skip_empty_lines`, `relax_column_count`) gives for the
 * whole text, less the whitespace-only records. Lines without a quote or a bare CR — nearly every line
 * lptool reads — are split directly on commas (4–5× faster, and only the fields a reader wants are
 * cut; a property test holds this equal to csv-parse). A line with a quote or a bare CR, and the
 * lines after it while a quoted field is open or more such lines follow, go to csv-parse as one run,
 * with the file's record delimiter and line count carried over, so its records, line numbers and
 * messages are csv-parse's for the whole text.
 */

/** The reader behind a core: it takes the header once, then each data record. */
export interface CsvSink {
  /**
   * The header (fields trimmed) and its line. Returns how many leading fields of each quote-free record
   * to cut out (the rest are only counted); records csv-parse reads come whole.
   */
  header(fields: string[], line: number): number;
  /**
   * A data record, as wide as the header: `fields` holds at least its first `want` fields (an array the
   * core may reuse: copy what you keep).
   */
  record(fields: string[], line: number): void;
}

/**
 * A reader that also takes records as bytes (`CsvCore.pushBytes`): a quote-free line's fields are handed over as
 * byte ranges of the pushed buffer — no string per field. Lines with quotes or bare CRs are decoded and read as
 * text, as `push` reads them, and come through `record` as strings.
 */
export interface CsvByteSink extends CsvSink {
  /**
   * A quote-free data record, as wide as the header: field k is `bytes[starts[k], ends[k])` (a CRLF line's CR not
   * included). The arrays are the core's and are reused for the next record: copy what you keep.
   */
  recordBytes(bytes: Buffer, starts: Int32Array, ends: Int32Array, line: number): void;
}

export interface CsvCoreOptions {
  /**
   * The line that names a record spanning several lines: the one it ends on (csv-parse's `info.lines`, the
   * default), or the one it starts on (the streamed readers).
   */
  recordLine?: 'start' | 'end';
  /** Stop after this many data records (0: after the header) — a peek at a file's head. */
  limit?: number;
}

/** A record delimiter as csv-parse finds it: the first CR/LF outside quotes (`\r\n`, `\n` or `\r`). */
function firstDelimiter(text: string): string | null {
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 34) quoted = !quoted;
    else if (!quoted && (c === 13 || c === 10))
      return c === 13 ? (text.charCodeAt(i + 1) === 10 ? '\r\n' : '\r') : '\n';
  }
  return null;
}

/** Index of the first `"` or bare CR (one not followed by LF) at or after `from`, or Infinity. */
function nextSpecial(text: string, from: number): number {
  const q = text.indexOf('"', from);
  let cr = text.indexOf('\r', from);
  while (cr >= 0 && text.charCodeAt(cr + 1) === 10) cr = text.indexOf('\r', cr + 2);
  return Math.min(q < 0 ? Number.POSITIVE_INFINITY : q, cr < 0 ? Number.POSITIVE_INFINITY : cr);
}

/** Line `k` (0-based) of `text`, without its line end. */
function firstLineOf(text: string, k: number): string {
  return (text.split('\n')[Math.max(0, k)] ?? '').replace(/\r$/, '');
}

const BOM = Buffer.from([0xef, 0xbb, 0xbf]);

const countQuotes = (s: string) => {
  let n = 0;
  for (let i = s.indexOf('"'); i >= 0; i = s.indexOf('"', i + 1)) n++;
  return n;
};

export class CsvCore {
  /** Lines consumed (as csv-parse counts them) and data records handed to the sink. */
  readonly counters = { lines: 0, records: 0 };
  header: string[] | null = null;
  headerLine = 1;
  /** The header's line as written (its first line, if a quoted field spans lines), for messages. */
  headerText = '';
  private width = 0;
  private want = 0;
  private started = false;
  private stopped = false;
  private carry = '';
  /** The file's record delimiter once known (csv-parse's autodiscovery: the first CR/LF outside quotes). */
  private eol: string | null = null;
  /** A run of lines for csv-parse: its text, first line and quote count (odd: a quoted field is open). */
  private run = '';
  private runStart = 0;
  private runQuotes = 0;
  private readonly cut: string[] = [];
  /** pushBytes: the last line while its LF has not come, and each record's field ranges. */
  private carryBytes: Buffer = Buffer.alloc(0);
  private starts = new Int32Array(0);
  private ends = new Int32Array(0);
  private readonly byStart: boolean;
  private readonly limit: number;

  constructor(
    readonly file: string,
    private readonly sink: CsvSink,
    options: CsvCoreOptions = {},
  ) {
    this.byStart = options.recordLine === 'start';
    this.limit = options.limit ?? Number.POSITIVE_INFINITY;
  }

  /** Whether reading stopped at the limit. */
  get done(): boolean {
    return this.stopped;
  }

  /** More text: every complete line in it is read now; a last line without its LF waits for more. */
  push(text: string): void {
    if (this.stopped || text.length === 0) return;
    if (text.indexOf('\u0000') >= 0)
      throw new LptError('LPT_PARSE', 'content — expected CSV text, got binary data (NUL bytes)', { file: this.file });
    let buf = this.carry ? this.carry + text : text;
    if (!this.started) {
      this.started = true;
      if (buf.charCodeAt(0) === 0xfeff) buf = buf.slice(1);
    }
    const last = buf.lastIndexOf('\n');
    if (last < 0) {
      this.carry = buf;
      return;
    }
    this.carry = buf.slice(last + 1);
    this.readLines(buf, last + 1);
    // a run closed at the chunk's end is parsed now: a run never holds more than one chunk of quoted lines
    if (this.run && this.runQuotes % 2 === 0 && this.eol !== '\r') this.endRun();
  }

  /**
   * More bytes (UTF-8) — for a `CsvByteSink`: every complete quote-free line is split into field ranges and
   * handed over as bytes (`recordBytes`); the header, lines with a quote or a bare CR, and the lines a quoted
   * field spans are decoded and read as `push` reads text. The same records, lines and errors as `push` of the
   * decoded text (a property test holds them equal). Push bytes or text into one core, not both.
   */
  pushBytes(bytes: Buffer): void {
    if (this.stopped || bytes.length === 0) return;
    if (bytes.indexOf(0) >= 0)
      throw new LptError('LPT_PARSE', 'content — expected CSV text, got binary data (NUL bytes)', { file: this.file });
    let buf = this.carryBytes.length ? Buffer.concat([this.carryBytes, bytes]) : bytes;
    if (!this.started) {
      if (buf.length < 3 && BOM.subarray(0, buf.length).equals(buf)) {
        this.carryBytes = Buffer.from(buf); // (what may be a BOM, cut: wait for the rest)
        return;
      }
      this.started = true;
      if (buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf) buf = buf.subarray(3);
    }
    const last = buf.lastIndexOf(10);
    if (last < 0) {
      this.carryBytes = Buffer.from(buf);
      return;
    }
    this.carryBytes = Buffer.from(buf.subarray(last + 1));
    this.readByteLines(buf, last + 1);
    if (this.run && this.runQuotes % 2 === 0 && this.eol !== '\r') this.endRun();
  }

  /**
   * Read the lines of `buf[0, end)` (each ends with LF): quote-free ones as byte ranges, the others as text.
   * One pass over each line finds its end, its commas and whether it holds a quote or a CR.
   */
  private readByteLines(buf: Buffer, end: number): void {
    for (let pos = 0; pos < end && !this.stopped; ) {
      const width = this.width;
      if (this.starts.length < width) {
        this.starts = new Int32Array(width);
        this.ends = new Int32Array(width);
      }
      const { starts, ends } = this;
      starts[0] = pos;
      let count = 0;
      let cr = -1;
      let quote = false;
      let nl = pos;
      for (; ; nl++) {
        const c = buf[nl]!;
        if (c === 10) break;
        if (c === 44) {
          if (count < width) ends[count] = nl;
          count++;
          if (count < width) starts[count] = nl + 1;
        } else if (c === 34) quote = true;
        else if (c === 13 && cr < 0) cr = nl;
      }
      const next = nl + 1;
      const bareCr = cr >= 0 && cr !== nl - 1; // (the first CR; right before the LF it is the only one)
      if (quote || bareCr || (this.run && (this.runQuotes % 2 === 1 || this.eol === '\r'))) {
        this.addToRun(buf.toString('utf8', pos, next));
      } else {
        if (this.run) this.endRun();
        if (this.stopped) return;
        const stop = cr >= 0 ? nl - 1 : nl;
        if (this.header === null) {
          const text = buf.toString('utf8', pos, next);
          this.fastLine(text, 0, text.length - 1);
        } else if (width === this.width) this.byteRecord(buf, pos, stop, count);
        else this.byteRecord(buf, pos, stop, this.cutFields(buf, pos, stop)); // (the header came just now, from a run)
      }
      pos = next;
    }
  }

  /** Cut a line's fields at its commas into `starts`/`ends` (as wide as the header); returns the commas counted. */
  private cutFields(buf: Buffer, pos: number, stop: number): number {
    const width = this.width;
    if (this.starts.length < width) {
      this.starts = new Int32Array(width);
      this.ends = new Int32Array(width);
    }
    this.starts[0] = pos;
    let count = 0;
    for (let i = pos; i < stop; i++) {
      if (buf[i] !== 44) continue;
      if (count < width) this.ends[count] = i;
      count++;
      if (count < width) this.starts[count] = i + 1;
    }
    return count;
  }

  /** A quote-free line after the header, its commas counted and cut (`count` of them): a record, or skipped when blank. */
  private byteRecord(buf: Buffer, pos: number, stop: number, commas: number): void {
    const line = ++this.counters.lines;
    if (stop === pos) return;
    const count = commas + 1;
    if (commas < this.width) this.ends[commas] = stop;
    if (count === 1 && buf.toString('utf8', pos, stop).trim() === '') return;
    if (count !== this.width)
      throw new LptError('LPT_PARSE', `row — expected ${this.width} fields like the header, got ${count}`, {
        file: this.file,
        line,
      });
    (this.sink as CsvByteSink).recordBytes(buf, this.starts, this.ends, line);
    if (++this.counters.records >= this.limit) this.stopped = true;
  }

  /** The end of the input: the last line, and any run still open (csv-parse names an unclosed quote). */
  flush(): void {
    if (this.stopped) return;
    if (this.carryBytes.length) {
      // the last line without its LF (or a lone BOM): read as text
      let rest = this.carryBytes;
      this.carryBytes = Buffer.alloc(0);
      if (!this.started) {
        this.started = true;
        if (rest.equals(BOM)) rest = Buffer.alloc(0);
      }
      const text = rest.toString('utf8');
      if (text) this.readLines(text, text.length);
    }
    const rest = this.carry;
    this.carry = '';
    if (rest) this.readLines(rest, rest.length);
    if (this.run) this.endRun();
  }

  /** Read the lines of `buf[0, end)`: quote-free ones directly, the others through csv-parse runs. */
  private readLines(buf: string, end: number): void {
    let special = nextSpecial(buf, 0);
    for (let pos = 0; pos < end && !this.stopped; ) {
      let nl = buf.indexOf('\n', pos);
      if (nl < 0 || nl >= end) nl = end;
      const next = nl + 1;
      if (special < nl || (this.run && (this.runQuotes % 2 === 1 || this.eol === '\r'))) {
        this.addToRun(buf.slice(pos, Math.min(next, end)));
      } else {
        if (this.run) this.endRun();
        if (this.stopped) return;
        this.fastLine(buf, pos, nl);
      }
      if (special < next) special = nextSpecial(buf, next);
      pos = next;
    }
  }

  /** A line with no quote and no bare CR: fields cut on commas (blank and whitespace-only lines skipped). */
  private fastLine(buf: string, pos: number, nl: number): void {
    const crlf = nl > pos && buf.charCodeAt(nl - 1) === 13;
    if (this.eol === null && nl < buf.length) this.eol = crlf ? '\r\n' : '\n';
    const stop = crlf ? nl - 1 : nl;
    const line = ++this.counters.lines;
    if (stop === pos) return;
    if (this.header === null) {
      const text = buf.slice(pos, stop);
      const fields = text.split(',');
      if (fields.length > 1 || fields[0]!.trim() !== '') this.takeHeader(fields, line, text);
      return;
    }
    let fields: string[];
    let count: number;
    if (this.want >= this.width) {
      fields = buf.slice(pos, stop).split(',');
      count = fields.length;
    } else {
      // cut the first `want` fields; the rest are only counted (the field count is still checked)
      fields = this.cut;
      count = 0;
      for (let from = pos; ; count++) {
        let comma = buf.indexOf(',', from);
        if (comma < 0 || comma > stop) comma = stop;
        if (count < this.want) fields[count] = buf.slice(from, comma);
        if (comma === stop) {
          count++;
          break;
        }
        from = comma + 1;
      }
    }
    if (count === 1 && fields[0]!.trim() === '') return;
    this.takeRecord(fields, count, line);
  }

  /** A line for csv-parse (lines are counted when the run is parsed, as csv-parse counts them). */
  private addToRun(text: string): void {
    if (!this.run) this.runStart = this.counters.lines + 1;
    this.run += text;
    this.runQuotes += countQuotes(text);
    // the file's first lines are in this run: its delimiter is the file's (a bare CR makes the rest one run)
    if (this.eol === null) this.eol = firstDelimiter(this.run);
  }

  /** Parse the run with csv-parse, carrying the file's record delimiter and line count into it. */
  private endRun(): void {
    const text = this.run;
    const start = this.runStart;
    this.run = '';
    this.runQuotes = 0;
    const options = {
      skip_empty_lines: true,
      relax_column_count: true,
      info: true,
      ...(this.eol ? { record_delimiter: this.eol } : {}),
    };
    let out: { record: string[]; info: { lines: number } }[];
    try {
      out = parse(text, options) as unknown as typeof out;
    } catch (e) {
      throw this.csvError(text, start, options, e);
    }
    let previousEnd = start - 1;
    for (const { record, info } of out) {
      const endLine = start - 1 + info.lines;
      const line = this.byStart ? previousEnd + 1 : endLine;
      previousEnd = endLine;
      if (record.length > 1 || record[0]!.trim() !== '') {
        if (this.header === null) this.takeHeader(record, line, firstLineOf(text, line - start));
        else this.takeRecord(record, record.length, line);
      }
      if (this.stopped) return;
    }
    let newlines = 0;
    for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) newlines++;
    this.counters.lines = Math.max(previousEnd, start - 1 + newlines);
  }

  /**
   * csv-parse's error for the run, as it words it for the whole file: the run is parsed again behind as
   * many empty lines as came before it, so "at line N" is the file's line (only on this failure path).
   */
  private csvError(text: string, start: number, options: object, e: unknown): LptError {
    let err = e as { message: string; lines?: number; code?: string };
    if (start > 1 && this.eol) {
      try {
        parse(this.eol.repeat(start - 1) + text, options);
      } catch (again) {
        err = again as typeof err;
      }
    }
    return new LptError(
      'LPT_PARSE',
      `CSV — ${err.message.replace(/^Invalid [^:]*: /, '')}`,
      { file: this.file, line: err.lines },
      { csvCode: err.code },
    );
  }

  private takeHeader(fields: string[], line: number, text: string): void {
    this.header = fields.map((h) => h.trim());
    this.headerLine = line;
    this.headerText = text;
    this.width = fields.length;
    this.want = Math.min(this.width, this.sink.header(this.header, line));
    if (this.limit === 0) this.stopped = true;
  }

  private takeRecord(fields: string[], count: number, line: number): void {
    if (count !== this.width)
      throw new LptError('LPT_PARSE', `row — expected ${this.width} fields like the header, got ${count}`, {
        file: this.file,
        line,
      });
    this.sink.record(fields, line);
    if (++this.counters.records >= this.limit) this.stopped = true;
  }
}
