import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SiteClock } from '@lptool/core';
import { siteLayout } from '@lptool/io';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { checkExport, ExportRejected } from './export-rules.js';
import { sha256File } from './hash.js';
import {
  archiveDest,
  archiveMonthFolders,
  duplicateDest,
  listArchive,
  listRejected,
  monthFolderOf,
  peekExport,
  rejectDest,
  rejectSidecarOf,
} from './layout.js';

let root: string;
beforeEach(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'lpt-archive-'));
});
afterEach(() => fs.rmSync(root, { recursive: true, force: true }));
const clock = new SiteClock('America/Los_Angeles');
const HEADER = 'meter,Record No.,Event Type,Start Time,End Time,kw_del,kw_rec,kva_del,kva_rec';
const put = (rel: string, text: string | Buffer) => {
  const full = path.join(root, rel);
  fs.mkdirSync(path.dirname(full), { recursive: true });
  fs.writeFileSync(full, text);
  return full;
};

describe('the archive layout: data/KW/YYYY-MM/, ERROR/, DUPLICATE/', () => {
  it("an export's month is the legal local month of its first interval's start", () => {
    // 2024-07-31T23:45 in Los Angeles is already August in UTC
    expect(monthFolderOf(clock, Date.parse('2024-08-01T06:45:00Z'))).toBe('2024-07');
    expect(monthFolderOf(new SiteClock('America/Los_Angeles', 'standard'), Date.parse('2024-08-01T07:30:00Z'))).toBe(
      '2024-08',
    );
  });

  it('names are never overwritten: .2, .3 …; a reject is <stem>_<REASON>.csv with its .json beside it', () => {
    const layout = siteLayout(root);
    const taken = new Set([
      path.join(layout.archive, '2024-07', 'north.csv'),
      path.join(layout.archive, '2024-07', 'north.2.csv'),
    ]);
    const has = (p: string) => taken.has(p);
    expect(archiveDest(layout, '2024-07', 'north.csv', has)).toBe(path.join(layout.archive, '2024-07', 'north.3.csv'));
    expect(duplicateDest(layout, 'north.csv', has)).toBe(path.join(layout.duplicate, 'north.csv'));
    const reject = rejectDest(layout, 'north.CSV', 'SEQUENCE-ERROR', has);
    expect(reject).toBe(path.join(layout.error, 'north_SEQUENCE-ERROR.csv'));
    expect(rejectSidecarOf(reject)).toBe(path.join(layout.error, 'north_SEQUENCE-ERROR.json'));
    // a long name keeps its start, a hash of the whole, and the suffix; its sidecar fits too
    const long = `${'n'.repeat(250)}.csv`;
    const name = path.basename(rejectDest(layout, long, 'PARSE-ERROR', has));
    expect(name).toMatch(/^n+~[0-9a-f]{10}_PARSE-ERROR\.csv$/);
    expect(Buffer.byteLength(name)).toBe(254);
  });

  it('lists the month folders, the archived files in order (names not UTF-8 apart) and the rejects', () => {
    const layout = siteLayout(root);
    put('data/KW/2024-08/b.csv', 'x');
    put('data/KW/2024-07/z.csv', 'x');
    put('data/KW/2024-07/a.CSV', 'x');
    put('data/KW/2024-07/.hidden.csv', 'x');
    put('data/KW/2024-07/notes.txt', 'x');
    put('data/KW/ERROR/bad_EMPTY.csv', '');
    put('data/KW/ERROR/bad_EMPTY.json', '{}');
    put('data/KW/not-a-month/c.csv', 'x');
    fs.writeFileSync(
      Buffer.concat([Buffer.from(`${root}/data/KW/2024-08/n-`), Buffer.from([0xff]), Buffer.from('.csv')]),
      'x',
    );
    expect(archiveMonthFolders(layout)).toEqual(['data/KW/2024-07', 'data/KW/2024-08']);
    const listed = listArchive(layout);
    expect(listed.files.map((f) => f.rel)).toEqual([
      'data/KW/2024-07/a.CSV',
      'data/KW/2024-07/z.csv',
      'data/KW/2024-08/b.csv',
    ]);
    expect(listed.badNames).toEqual(['data/KW/2024-08/n-\\xFF.csv']);
    expect(listArchive(layout, { csvOnly: false }).files.map((f) => f.rel)).toContain('data/KW/2024-07/notes.txt');
    expect(listRejected(layout).map((f) => f.rel)).toEqual(['data/KW/ERROR/bad_EMPTY.csv']);
  });

  it('a name that holds U+FFFD itself is valid UTF-8: listed, beside a name that is not UTF-8, and alone', () => {
    const layout = siteLayout(root);
    put('data/KW/2024-07/a-\uFFFD.csv', 'x');
    put('data/KW/2024-07/b.csv', 'x');
    fs.writeFileSync(
      Buffer.concat([Buffer.from(`${root}/data/KW/2024-07/c-`), Buffer.from([0xef, 0xbf]), Buffer.from('.csv')]),
      'x',
    );
    put('data/KW/2024-08/d-\uFFFD.csv', 'x');
    const listed = listArchive(layout);
    expect(listed.files.map((f) => f.rel)).toEqual([
      'data/KW/2024-07/a-\uFFFD.csv',
      'data/KW/2024-07/b.csv',
      'data/KW/2024-08/d-\uFFFD.csv',
    ]);
    expect(listed.badNames).toEqual(['data/KW/2024-07/c-\\xEF\\xBF.csv']);
  });

  it('peeks at the meter and first Start Time from the first lines only', () => {
    const f = put(
      'x.csv',
      `\uFEFF${HEADER}\r\n\r\n144800052,1,Normal,07/12/24 11:00:00,07/12/24 11:15:00,1,0,2,0\r\n\u0000`,
    );
    expect(peekExport(f)).toEqual({ meter: '144800052', first: '07/12/24 11:00:00' });
    expect(peekExport(put('h.csv', `${HEADER}\n`))).toEqual({ meter: '', first: '' });
    expect(peekExport(put('b.csv', Buffer.from([0, 1, 2, 10, 3])))).toEqual({ meter: '', first: '' });
  });

  it('hashes a file as sha256sum does', () => {
    const big = Buffer.alloc(3 << 20, 7); // more than one 1 MB read
    const f = put('big.bin', big);
    expect(sha256File(f)).toBe(createHash('sha256').update(big).digest('hex'));
  });
});

describe('the raw-export rules (SPEC §3 step 2)', () => {
  const row = (i: number, start: string, end: string) => `144800052,${100 + i},Normal,${start},${end},1.5,0,2,0`;
  it('a good export: one meter, resolved instants, continuous', () => {
    const text = `${HEADER}\n${row(0, '07/12/24 11:00:00', '07/12/24 11:15:00')}\n${row(1, '07/12/24 11:15:00', '07/12/24 11:30:00')}\n`;
    const ex = checkExport(text, 'n.csv', clock, 900_000);
    expect(ex.meter).toBe('144800052');
    expect(ex.intervals.start[0]).toBe(Date.parse('2024-07-12T11:00:00-07:00'));
  });

  it('rejects with the reason, code and rows a sidecar names', () => {
    const reject = (text: string) => {
      try {
        checkExport(text, 'n.csv', clock, 900_000);
      } catch (e) {
        return e as ExportRejected;
      }
      throw new Error('expected a reject');
    };
    expect(reject('').reason).toBe('EMPTY');
    expect(reject(`${HEADER}\n`).reason).toBe('EMPTY');
    expect(reject('hello\n')).toMatchObject({ reason: 'PARSE-ERROR', code: 'LPT_PARSE' });
    const gap = reject(
      `${HEADER}\n${row(0, '07/12/24 11:00:00', '07/12/24 11:15:00')}\n${row(1, '07/12/24 11:30:00', '07/12/24 11:45:00')}\n`,
    );
    expect(gap).toBeInstanceOf(ExportRejected);
    expect(gap).toMatchObject({ reason: 'SEQUENCE-ERROR', code: 'LPT_SEQUENCE_BREAK' });
    expect(gap.rows.map((r) => r.line)).toEqual([3]);
  });
});
