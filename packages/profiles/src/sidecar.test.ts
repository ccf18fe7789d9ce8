import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { appendColumnCache, cachePathFor, readColumnCache, sealColumnCache, writeColumnCache } from './sidecar.js';

let dir: string;
let csv: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lpt-cache-'));
  csv = path.join(dir, 'north.csv');
  fs.writeFileSync(csv, 'a\n1\n');
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

const cols = (from: number, n: number) => ({
  start: Float64Array.from({ length: n }, (_, i) => (from + i) * 900_000),
  MW_net: Float64Array.from({ length: n }, (_, i) => Math.sin(from + i) * 1e3),
});
const NAMES = ['start', 'MW_net'] as const;
const stat = () => {
  const st = fs.statSync(csv);
  return { size: st.size, mtimeMs: st.mtimeMs };
};
/** The CSV gets rows (size and mtime change), as an append to a profile does. */
const growCsv = () => {
  fs.appendFileSync(csv, '2\n');
  const t = new Date(Date.now() + 5000);
  fs.utimesSync(csv, t, t);
};

describe('the columnar sidecar (lp/.cache)', () => {
  it('reads back what was written, any subset of columns', () => {
    writeColumnCache(csv, cols(0, 100));
    expect(readColumnCache(csv, NAMES)).toEqual(cols(0, 100));
    expect(readColumnCache(csv, ['MW_net'] as const)).toEqual({ MW_net: cols(0, 100).MW_net });
    expect(readColumnCache(csv, ['kw_del'] as const)).toBeNull();
    expect(fs.readdirSync(path.dirname(cachePathFor(csv)))).toEqual(['north.bin']); // no temp left
  });

  it('an append (written beside the CSV, then swapped in and sealed) reads back as one whole write of all rows', () => {
    writeColumnCache(csv, cols(0, 100));
    const before = stat();
    const grown = path.join(dir, 'north.csv.next');
    fs.copyFileSync(csv, grown);
    fs.appendFileSync(grown, '2\n');
    expect(appendColumnCache(csv, before, cols(100, 96), grown)).toBe(true);
    expect(readColumnCache(csv, NAMES)).toBeNull(); // not yet: it describes the CSV that is not in place yet
    fs.renameSync(grown, csv);
    expect(sealColumnCache(csv)).toBe(true);
    const appended = fs.readFileSync(cachePathFor(csv));
    expect(readColumnCache(csv, NAMES)).toEqual(cols(0, 196));
    writeColumnCache(csv, cols(0, 196));
    expect(fs.readFileSync(cachePathFor(csv))).toEqual(appended);
  });

  it('is not used once the CSV was edited to the same length with its mtime put back (review L9)', () => {
    const T = new Date('2024-01-01T00:00:00Z');
    fs.utimesSync(csv, T, T);
    writeColumnCache(csv, cols(0, 10));
    expect(readColumnCache(csv, NAMES)).toEqual(cols(0, 10));
    const before = stat();
    fs.writeFileSync(csv, 'a\n7\n'); // one digit changed: the same length
    fs.utimesSync(csv, T, T); // the mtime put back, as `touch -r` does
    expect(stat()).toEqual(before);
    expect(readColumnCache(csv, NAMES)).toBeNull();
  });

  it('is not used once the CSV changed, and an append onto a sidecar of another state of the CSV drops it', () => {
    writeColumnCache(csv, cols(0, 10));
    const before = stat();
    growCsv();
    expect(readColumnCache(csv, NAMES)).toBeNull(); // the CSV is not what the sidecar describes
    const stale = { ...before, size: before.size + 1 };
    expect(appendColumnCache(csv, stale, cols(10, 5))).toBe(false);
    expect(fs.existsSync(cachePathFor(csv))).toBe(false);
    expect(appendColumnCache(csv, before, cols(10, 5))).toBe(false); // nothing to append to
  });

  it('any damaged byte, a torn append or a cut file makes it unusable — never wrong numbers', () => {
    writeColumnCache(csv, cols(0, 50));
    const good = fs.readFileSync(cachePathFor(csv));
    const file = cachePathFor(csv);
    for (const at of [0, 10, 511, 512, 700, good.length - 1]) {
      const bad = Buffer.from(good);
      bad[at] = bad[at]! ^ 0x10;
      fs.writeFileSync(file, bad);
      expect(readColumnCache(csv, NAMES), `byte ${at}`).toBeNull();
    }
    fs.writeFileSync(file, good.subarray(0, good.length - 8));
    expect(readColumnCache(csv, NAMES)).toBeNull();
    // killed between the data and the header of an append: the header does not describe the file
    fs.writeFileSync(file, Buffer.concat([good, Buffer.alloc(16)]));
    expect(readColumnCache(csv, NAMES)).toBeNull();
    expect(appendColumnCache(csv, stat(), cols(50, 1))).toBe(false);
    // zeros where the data should be (a power cut before write-back) fail the CRC
    fs.writeFileSync(file, Buffer.concat([good.subarray(0, 512), Buffer.alloc(good.length - 512)]));
    expect(readColumnCache(csv, NAMES)).toBeNull();
  });

  it('never holds a value that is not a finite number (issue 13.3: a blank cell is not 0)', () => {
    writeColumnCache(csv, cols(0, 10));
    growCsv();
    const blank = cols(0, 11);
    blank.MW_net[10] = Number.NaN; // a cell that is not a number (build once cached a blank one as Number('') = 0)
    writeColumnCache(csv, blank);
    expect(readColumnCache(csv, NAMES)).toBeNull(); // none written (the earlier one describes the earlier CSV) …
    expect(fs.readdirSync(path.dirname(cachePathFor(csv)))).toEqual(['north.bin']); // … and no temp left
    writeColumnCache(csv, cols(0, 11));
    const before = stat();
    growCsv();
    expect(appendColumnCache(csv, before, { start: Float64Array.of(1), MW_net: Float64Array.of(Infinity) })).toBe(
      false,
    );
    expect(fs.existsSync(cachePathFor(csv))).toBe(false);
  });
});
