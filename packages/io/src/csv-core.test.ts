import { LptError } from '@lptool/core';
import { parse } from 'csv-parse/sync';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type CsvByteSink, CsvCore, type CsvCoreOptions } from './csv-core.js';

/** Everything a core gives for `pieces` pushed one after another. */
function run(pieces: string[], options: CsvCoreOptions = {}) {
  const rows: string[][] = [];
  const lines: number[] = [];
  const core = new CsvCore(
    'f.csv',
    {
      header: () => Number.POSITIVE_INFINITY,
      record(fields, line) {
        rows.push([...fields]);
        lines.push(line);
      },
    },
    options,
  );
  for (const p of pieces) core.push(p);
  core.flush();
  return { header: core.header, headerLine: core.headerLine, rows, lines, counters: core.counters };
}

/** What csv-parse gives for the whole text (the core's contract): records less whitespace-only ones, header trimmed. */
function reference(text: string) {
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  const out = (
    parse(body, { skip_empty_lines: true, relax_column_count: true, info: true }) as unknown as {
      record: string[];
      info: { lines: number };
    }[]
  ).filter((r) => r.record.length > 1 || r.record[0]!.trim() !== '');
  if (!out.length) return { header: null, headerLine: 1, rows: [], lines: [] };
  return {
    header: out[0]!.record.map((h) => h.trim()),
    headerLine: out[0]!.info.lines,
    rows: out.slice(1).map((r) => r.record),
    lines: out.slice(1).map((r) => r.info.lines),
  };
}

/** Cut a text into pieces at the given fractions of its length. */
const cutAt = (text: string, cuts: number[]) => {
  const at = [...new Set(cuts.map((c) => Math.floor(c * text.length)))].sort((a, b) => a - b);
  const out: string[] = [];
  let from = 0;
  for (const a of at) {
    out.push(text.slice(from, a));
    from = a;
  }
  out.push(text.slice(from));
  return out;
};

/** Any CSV text csv-parse reads: fields with commas, quotes, line breaks and spaces, quoted or not. */
const csvText = (width: number) => {
  const plain = fc.stringMatching(/^[a-z0-9 .:/-]{0,5}$/);
  const tricky = fc.stringMatching(/^[a-z ,"\n]{0,5}$/);
  const field = fc.oneof(
    plain.map((f) => ({ text: f, quoted: false })),
    fc.oneof(plain, tricky).map((f) => ({ text: f, quoted: true })),
  );
  return fc.record({
    records: fc.array(fc.array(field, { minLength: width, maxLength: width }), { minLength: 1, maxLength: 12 }),
    eol: fc.constantFrom('\n', '\r\n'),
    bom: fc.boolean(),
    blanks: fc.array(fc.nat(12), { maxLength: 3 }),
    trailing: fc.nat(2),
  });
};

const encode = (c: {
  records: { text: string; quoted: boolean }[][];
  eol: string;
  bom: boolean;
  blanks: number[];
  trailing: number;
}) => {
  const lines = c.records.map((r) =>
    r.map((f) => (f.quoted ? `"${f.text.replaceAll('"', '""').replaceAll('\n', c.eol)}"` : f.text)).join(','),
  );
  for (const b of c.blanks) lines.splice(Math.min(b, lines.length), 0, '');
  return (c.bom ? '\uFEFF' : '') + lines.join(c.eol) + c.eol.repeat(c.trailing);
};

describe('the CSV core equals csv-parse on the whole text', () => {
  it('property: any CSV, pushed whole or in any pieces — same header, rows and lines', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 4 }).chain(csvText),
        fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 6 }),
        (c, cuts) => {
          const text = encode(c);
          const want = reference(text);
          const whole = run([text]);
          expect({ header: whole.header, headerLine: whole.headerLine, rows: whole.rows, lines: whole.lines }).toEqual(
            want,
          );
          const pieces = run(cutAt(text, cuts));
          expect(pieces.rows).toEqual(want.rows);
          expect(pieces.lines).toEqual(want.lines);
        },
      ),
      { numRuns: 400 },
    );
  });

  it('a record over several lines is named by its last line (csv-parse) or, streamed, by its first', () => {
    const text = 'a,b\n\n1,"two\nlines"\n3,4\n';
    expect(run([text]).lines).toEqual([4, 5]);
    expect(run([text], { recordLine: 'start' }).lines).toEqual([3, 5]);
  });

  it("csv-parse's messages name the file's line, as for the whole text, after any number of quote-free lines", () => {
    for (const text of [
      'a,b\n1,2\n3,4\n5,x"y\n6,7\n',
      'a,b\r\n1,2\r\n3,"4"x\r\n',
      'a,b\n1,2\n3,"4\n5,6\n',
      '"a",b\n1,2\n\n3,"4\n',
    ]) {
      let want = '';
      try {
        parse(text, { skip_empty_lines: true, relax_column_count: true });
      } catch (e) {
        want = (e as Error).message.replace(/^Invalid [^:]*: /, '');
      }
      expect(want, text).not.toBe('');
      let got: LptError | null = null;
      try {
        run([text]);
      } catch (e) {
        got = e as LptError;
      }
      expect(got).toBeInstanceOf(LptError);
      expect(got!.message, JSON.stringify(text)).toBe(`CSV — ${want}`);
      expect(got!.code).toBe('LPT_PARSE');
    }
  });

  it('a row of another width is LPT_PARSE naming its line; NUL bytes are binary', () => {
    expect(() => run(['a,b\n1,2\n\n3\n'])).toThrow(/^row — expected 2 fields like the header, got 1$/);
    try {
      run(['a,b\n1,2\n\n3\n']);
    } catch (e) {
      expect((e as LptError).where.line).toBe(4);
    }
    expect(() => run(['a,b\n1,\u00002\n'])).toThrow(/binary data \(NUL bytes\)/);
  });

  it('counts lines and records, and stops at a limit (a peek reads no further)', () => {
    const r = run(['h,i\r\n1,2\r\n\r\n3,4\r\n']);
    expect(r.counters).toEqual({ lines: 4, records: 2 });
    const head = run(['h,i\n1,2\n3\n'], { limit: 1 }); // the short third row is never read
    expect(head.rows).toEqual([['1', '2']]);
    expect(run(['h,i\n1\n'], { limit: 0 }).header).toEqual(['h', 'i']);
  });

  it('a quote-free line after quoted ones is read directly, with csv-parse’s line count carried on', () => {
    const text = '"a","b"\r\n"x\r\ny",1\r\n2,3\r\n';
    expect(run([text])).toMatchObject(reference(text));
    expect(run([text]).lines).toEqual(reference(text).lines);
  });
});

/** Everything a core gives for `pieces` of bytes pushed with pushBytes (quote-free records as ranges, turned to text here). */
function runBytes(pieces: Buffer[], options: CsvCoreOptions = {}) {
  const rows: string[][] = [];
  const lines: number[] = [];
  const kinds: ('bytes' | 'text')[] = [];
  const sink: CsvByteSink = {
    header: () => Number.POSITIVE_INFINITY,
    record(fields, line) {
      rows.push([...fields]);
      lines.push(line);
      kinds.push('text');
    },
    recordBytes(bytes, starts, ends, line) {
      rows.push(Array.from({ length: core.header!.length }, (_, k) => bytes.toString('utf8', starts[k]!, ends[k]!)));
      lines.push(line);
      kinds.push('bytes');
    },
  };
  const core = new CsvCore('f.csv', sink, options);
  for (const p of pieces) core.pushBytes(p);
  core.flush();
  return { header: core.header, headerLine: core.headerLine, rows, lines, counters: core.counters, kinds };
}

/** What a run (text or bytes) threw, as message, code and line; null when it did not. */
const thrown = (f: () => unknown) => {
  try {
    f();
    return null;
  } catch (e) {
    const err = e as LptError;
    return { message: err.message, code: err.code, line: err.where?.line };
  }
};

/** Cut bytes into pieces at the given fractions of their length. */
const cutBytes = (bytes: Buffer, cuts: number[]) => {
  const at = [...new Set(cuts.map((c) => Math.floor(c * bytes.length)))].sort((a, b) => a - b);
  const out: Buffer[] = [];
  let from = 0;
  for (const a of at) {
    out.push(bytes.subarray(from, a));
    from = a;
  }
  out.push(bytes.subarray(from));
  return out;
};

describe('the CSV core on bytes (pushBytes) equals the core on the decoded text', () => {
  it('property: any CSV — BOM, CRLF, quotes, blank lines, other widths, bytes that are not UTF-8 — pushed whole or in any pieces: same header, rows, lines, counters and errors', () => {
    const junk = fc.constantFrom(
      Buffer.from([0xff]),
      Buffer.from([0xc3]),
      Buffer.from('é'),
      Buffer.from('\r'),
      Buffer.from(' '),
      Buffer.from(','),
      Buffer.from('"'),
    );
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 4 }).chain(csvText),
        fc.array(fc.tuple(fc.double({ min: 0, max: 1, noNaN: true }), junk), { maxLength: 3 }),
        fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 6 }),
        (c, inserts, cuts) => {
          let bytes = Buffer.from(encode(c));
          for (const [at, j] of inserts) {
            const k = Math.floor(at * bytes.length);
            bytes = Buffer.concat([bytes.subarray(0, k), j, bytes.subarray(k)]);
          }
          const text = bytes.toString('utf8');
          const want = thrown(() => run([text])) ?? run([text]);
          const whole = thrown(() => runBytes([bytes])) ?? runBytes([bytes]);
          const pieces = thrown(() => runBytes(cutBytes(bytes, cuts))) ?? runBytes(cutBytes(bytes, cuts));
          for (const got of [whole, pieces]) {
            if ('message' in want) expect(got).toEqual(want);
            else
              expect(got).toMatchObject({
                header: want.header,
                headerLine: want.headerLine,
                rows: want.rows,
                lines: want.lines,
                counters: want.counters,
              });
          }
        },
      ),
      { numRuns: 400 },
    );
  });

  it('reads quote-free records as byte ranges and the others as text', () => {
    const r = runBytes([Buffer.from('\uFEFFa,b\r\n1,2\r\n"x",3\r\n4,5\r\n')]);
    expect(r.header).toEqual(['a', 'b']);
    expect(r.rows).toEqual([
      ['1', '2'],
      ['x', '3'],
      ['4', '5'],
    ]);
    expect(r.kinds).toEqual(['bytes', 'text', 'bytes']);
    expect(r.lines).toEqual([2, 3, 4]);
  });

  it('stops at a limit, and NUL bytes are binary', () => {
    expect(runBytes([Buffer.from('h,i\n1,2\n3\n')], { limit: 1 }).rows).toEqual([['1', '2']]);
    expect(() => runBytes([Buffer.from('a,b\n1,\u00002\n')])).toThrow(/binary data \(NUL bytes\)/);
  });
});
