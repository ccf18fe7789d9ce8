import path from 'node:path';
import { siteLayout } from '@lptool/io';
import { describe, expect, it } from 'vitest';
import type { HashEntry } from './hash-store.js';
import { type AcceptedExport, type Inspection, type Listing, planSort, type SortAction } from './plan.js';

/** The planner on its own: listings in, actions out — no files anywhere. */
const layout = siteLayout('/site');
const NOW = Date.parse('2024-07-20T12:00:00Z');
const accepted = (month: string, meter = '144800052'): Inspection => ({
  hash: `h-${month}-${Math.random()}`,
  accepted: {
    meter,
    rows: 4,
    first: `${month}-12T00:00:00-07:00`,
    last: 'x',
    month,
    recordJumps: [],
  } as AcceptedExport,
});
const listing = (o: Partial<Listing>): Listing => ({
  layout,
  now: NOW,
  settleMs: 5000,
  entries: [],
  badNames: [],
  inspected: new Map(),
  existing: new Set(),
  ...o,
});
const file = (name: string, ageMs = 60_000) => ({ name, kind: 'file' as const, mtimeMs: NOW - ageMs });
const noStore = { get: (): HashEntry | undefined => undefined };
const brief = (actions: SortAction[]) =>
  actions.map((a) => `${a.kind} ${a.name}${'dest' in a ? ` → ${path.relative('/site', a.dest)}` : ''}: ${a.why}`);

describe('planSort — what is taken in, and what is left where it is (SPEC §9)', () => {
  it('leaves names that are not UTF-8, hidden files, symlinks, folders, other names and files still being written, saying why', () => {
    const plan = planSort(
      listing({
        badNames: [{ name: 'n-\\xFF.csv', safe: 'n-%FF.csv' }],
        entries: [
          { name: '.hidden.csv', kind: 'file', mtimeMs: 0 },
          { name: '.north.csv.tmp-123-0badc0de', kind: 'file', mtimeMs: 0 }, // lptool's own temp: not even named
          { name: 'folder.csv', kind: 'folder', mtimeMs: 0 },
          { name: 'link.csv', kind: 'symlink', mtimeMs: 0 },
          { name: 'notes.txt', kind: 'file', mtimeMs: 0 },
          { name: 'pipe.csv', kind: 'other', mtimeMs: 0 },
          file('writing.csv', 1000),
        ],
      }),
      noStore,
    );
    expect(brief(plan)).toEqual([
      'leave n-\\xFF.csv: name is not valid UTF-8 — left in the dropbox; rename it, e.g. to n-%FF.csv',
      'leave .hidden.csv: hidden file',
      'leave folder.csv: folder',
      'leave link.csv: symlink (never followed)',
      'leave notes.txt: not a .csv file',
      'leave pipe.csv: not a regular file',
      'leave writing.csv: still being written (modified in the last few seconds); next run',
    ]);
  });

  it('takes candidates oldest first: archive by month, never onto a name taken on disk or earlier in the plan', () => {
    const a = accepted('2024-07');
    const b = accepted('2024-07');
    const c = accepted('2024-08');
    const plan = planSort(
      listing({
        entries: [file('b.csv', 50_000), file('a.CSV', 90_000), { ...file('x.csv', 50_000), name: 'a.csv' }],
        inspected: new Map([
          ['a.CSV', a],
          ['b.csv', b],
          ['a.csv', c],
        ]),
        existing: new Set(['/site/data/KW/2024-07/b.csv']),
      }),
      noStore,
    );
    expect(plan.map((x) => [x.kind, x.name, 'dest' in x ? path.relative('/site', x.dest) : ''])).toEqual([
      ['archive', 'a.CSV', 'data/KW/2024-07/a.CSV'],
      ['archive', 'a.csv', 'data/KW/2024-08/a.csv'],
      ['archive', 'b.csv', 'data/KW/2024-07/b.2.csv'],
    ]);
    expect(plan[2]!.why).toBe(
      'an export of meter 144800052 from 2024-07-12T00:00:00-07:00: month 2024-07, its name taken there',
    );
  });

  it('a duplicate of what the store has, or of what this plan takes in; rejects by reason; a file that could not be read is left', () => {
    const known = { hash: 'k', known: true as const };
    const first = accepted('2024-07');
    const again = {
      hash: (first as { hash: string }).hash,
      accepted: (first as { accepted: AcceptedExport }).accepted,
    };
    const bad: Inspection = {
      hash: 'r',
      rejected: {
        reason: 'SEQUENCE-ERROR',
        code: 'LPT_SEQUENCE_BREAK',
        message: 'line 6: time break',
        rows: [{ line: 6, message: 'x' }],
      },
    };
    const store = { get: (h: string) => (h === 'k' ? ({ dest: 'data/KW/2024-06/old.csv' } as HashEntry) : undefined) };
    const plan = planSort(
      listing({
        entries: [file('1.csv', 50), file('2.csv', 40), file('3.csv', 30), file('4.csv', 20), file('5.csv', 10)].map(
          (e, i) => ({
            ...e,
            mtimeMs: i,
          }),
        ),
        inspected: new Map<string, Inspection>([
          ['1.csv', known],
          ['2.csv', first],
          ['3.csv', again],
          ['4.csv', bad],
          [
            '5.csv',
            { failed: 'vanished during the run (moved or deleted by another process); nothing of it was filed' },
          ],
        ]),
        existing: new Set(['/site/data/KW/DUPLICATE/3.csv']),
      }),
      store,
    );
    expect(brief(plan)).toEqual([
      'duplicate 1.csv → data/KW/DUPLICATE/1.csv: same bytes as data/KW/2024-06/old.csv',
      'archive 2.csv → data/KW/2024-07/2.csv: an export of meter 144800052 from 2024-07-12T00:00:00-07:00: month 2024-07',
      'duplicate 3.csv → data/KW/DUPLICATE/3.2.csv: same bytes as data/KW/2024-07/2.csv',
      'reject 4.csv → data/KW/ERROR/4_SEQUENCE-ERROR.csv: line 6: time break',
      'leave 5.csv: vanished during the run (moved or deleted by another process); nothing of it was filed',
    ]);
  });
});
