import { checkExport } from '@lptool/archive';
import { SiteClock } from '@lptool/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type AssemblerOptions, type ExportInput, ProfileAssembler } from './assembler.js';
import { PROFILE_HEADER } from './writer.js';

/**
 * The build engine on its own: exports in, rows out. The trust properties of the build — any order of the
 * archived files, and any split of an export into several, give the same profile — hold here, on the
 * engine, against a model of SPEC §4's rule for overlaps (the export whose data ends latest wins, then the
 * later delivery, then the later path).
 */

const clock = new SiteClock('America/Los_Angeles');
const HEADER = 'meter,Record No.,Event Type,Start Time,End Time,kw_del,kw_rec,kva_del,kva_rec';
/** The timeline of the properties: 15-minute intervals from the evening before the 2024 fall-back night. */
const T0 = Date.parse('2024-11-02T20:00:00-07:00');
const STEP = 900_000;

/** A checked export of intervals [a, b) of the timeline, its kW a function of the interval and `version`. */
function exportOf(
  a: number,
  b: number,
  version: number,
  label = (t: number) => clock.format(t),
): ExportInput['export'] {
  const rows = [HEADER];
  for (let i = a; i < b; i++) {
    const t = T0 + i * STEP;
    rows.push(
      `144800052,${1000 + i},Normal,${label(t)},${label(t + STEP)},${kw(i, version)},0.04,${kw(i, version) + 3},0.01`,
    );
  }
  return checkExport(`${rows.join('\n')}\n`, 'x.csv', clock, STEP);
}
const kw = (i: number, version: number) => ((i * 7 + version * 13) % 90) + 0.25;

const options = (o: Partial<AssemblerOptions> = {}): AssemblerOptions => ({
  meter: '144800052',
  multiplierText: '28.8',
  legacyNet: false,
  clock,
  intervalMs: STEP,
  onBadRow: 'skip',
  ...o,
});

/** Push the inputs as the build does — in the order of their first starts, each flush up to the next one. */
function streamed(inputs: ExportInput[], o?: Partial<AssemblerOptions>) {
  const engine = new ProfileAssembler(options(o));
  const order = [...inputs].sort(
    (x, y) => x.export.intervals.start[0]! - y.export.intervals.start[0]! || x.rank - y.rank,
  );
  const lines: string[] = [];
  const conflicts: string[] = [];
  order.forEach((input, k) => {
    engine.push(input);
    const out = engine.flush(order[k + 1]?.export.intervals.start[0] ?? Number.POSITIVE_INFINITY);
    lines.push(...out.lines);
    conflicts.push(...out.conflicts.map((c) => `${c.start} ${c.kept.file} ${c.dropped.file}`));
  });
  return { lines, conflicts: conflicts.sort(), engine };
}

/** Push the inputs in the given order and flush once at the end (nothing is written before all are in). */
function atOnce(inputs: ExportInput[]) {
  const engine = new ProfileAssembler(options());
  for (const input of inputs) engine.push(input);
  const out = engine.flush();
  return {
    lines: out.lines,
    conflicts: out.conflicts.map((c) => `${c.start} ${c.kept.file} ${c.dropped.file}`).sort(),
  };
}

const column = (lines: string[], name: string) => {
  const k = PROFILE_HEADER.trim().split(',').indexOf(name);
  return lines.map((l) => l.trim().split(',')[k]);
};

describe('ProfileAssembler — the trust properties, on the engine', () => {
  const exportsArb = fc
    .array(
      fc.record({
        a: fc.integer({ min: 0, max: 40 }),
        n: fc.integer({ min: 1, max: 24 }),
        version: fc.integer({ min: 0, max: 2 }),
      }),
      { minLength: 1, maxLength: 6 },
    )
    .chain((specs) =>
      fc.record({
        specs: fc.constant(specs),
        mtimes: fc.uniqueArray(fc.integer({ min: 0, max: 1000 }), { minLength: specs.length, maxLength: specs.length }),
        ranks: fc.shuffledSubarray(
          specs.map((_, i) => i),
          { minLength: specs.length, maxLength: specs.length },
        ),
        order: fc.shuffledSubarray(
          specs.map((_, i) => i),
          { minLength: specs.length, maxLength: specs.length },
        ),
      }),
    );

  it('any order of the exports gives the model’s rows: for each interval the export ending latest (then delivered later, then named later) wins', () => {
    fc.assert(
      fc.property(exportsArb, ({ specs, mtimes, ranks, order }) => {
        const inputs: ExportInput[] = specs.map((s, i) => ({
          rel: `f${ranks[i]}.csv`,
          export: exportOf(s.a, s.a + s.n, s.version),
          mtimeMs: mtimes[i]!,
          rank: ranks[i]!,
        }));
        // the model: per interval, the covering export with the greatest (end, mtime, rank)
        const winner = new Map<number, number>();
        const key = (j: number) => [specs[j]!.a + specs[j]!.n, mtimes[j]!, ranks[j]!];
        const later = (i: number, j: number) => {
          const [x, y] = [key(i), key(j)];
          const k = x.findIndex((v, m) => v !== y[m]);
          return k >= 0 && x[k]! > y[k]!;
        };
        specs.forEach((s, i) => {
          for (let t = s.a; t < s.a + s.n; t++) {
            const w = winner.get(t);
            if (w === undefined || later(i, w)) winner.set(t, i);
          }
        });
        const model = [...winner].sort((x, y) => x[0] - y[0]).map(([t, i]) => String(kw(t, specs[i]!.version)));
        const shuffled = order.map((i) => inputs[i]!);
        const one = streamed(inputs);
        expect(column(one.lines, 'kw_del')).toEqual(model);
        expect(atOnce(shuffled)).toEqual({ lines: one.lines, conflicts: one.conflicts });
        expect(streamed(shuffled)).toMatchObject({ lines: one.lines, conflicts: one.conflicts });
      }),
      { numRuns: 300 },
    );
  });

  it('splitting an export into several at any points gives the same rows (across the fall-back night)', () => {
    const whole = streamed([{ rel: 'w.csv', export: exportOf(0, 40, 0), mtimeMs: 0, rank: 0 }]).lines;
    expect(whole).toHaveLength(40);
    fc.assert(
      fc.property(fc.uniqueArray(fc.integer({ min: 1, max: 39 }), { maxLength: 6 }), (cuts) => {
        const points = [0, ...cuts.sort((x, y) => x - y), 40];
        const parts = points.slice(1).map((b, k) => ({
          rel: `p${k}.csv`,
          export: exportOf(points[k]!, b, 0),
          mtimeMs: k,
          rank: k,
        }));
        const split = streamed(parts);
        expect(split.lines).toEqual(whole);
        expect(split.conflicts).toEqual([]);
      }),
      { numRuns: 200 },
    );
  });
});

describe('ProfileAssembler — SPEC §4 one rule at a time', () => {
  const input = (rel: string, text: string, mtimeMs = 0, rank = 0): ExportInput => ({
    rel,
    export: checkExport(`${HEADER}\n${text}`, rel, clock, STEP),
    mtimeMs,
    rank,
  });

  it('the golden row: MW and MVA from the readings and the multiplier exactly, the signed net, PF', () => {
    const { lines } = streamed([
      input('n.csv', '144800052,157594,Normal,07/12/24 11:00:00,07/12/24 11:15:00,0.84,55.79,15.02,228.51\n'),
    ]);
    expect(lines).toEqual([
      '2024-07-12T11:00:00-07:00,2024-07-12T11:15:00-07:00,144800052,157594,Normal,0.84,55.79,15.02,228.51,0.024192,1.606752,0.432576,6.581088,-1.58256,7.013664,-0.22564\n',
    ]);
    const exact = streamed([input('n.csv', '144800052,1,Normal,07/12/24 11:00:00,07/12/24 11:15:00,2.97,0,3.68,0\n')], {
      multiplierText: '0.75',
    });
    expect(column(exact.lines, 'MW_del')).toEqual(['0.002228']); // 2.97 × 0.75 / 1000 = 0.0022275, half-up
  });

  it('identical rows collapse (2.50 is 2.5); differing ones: the export ending latest wins, the other is a conflict', () => {
    const a = input(
      'a.csv',
      '1,1,Normal,07/12/24 11:00:00,07/12/24 11:15:00,2.50,0,3,0\n1,2,Normal,07/12/24 11:15:00,07/12/24 11:30:00,4,0,5,0\n',
    );
    const same = input('b.csv', '1,1,Normal,07/12/24 11:00:00,07/12/24 11:15:00,2.5,0,3.0,0\n', 5, 1);
    expect(streamed([a, same], { meter: '1' })).toMatchObject({ conflicts: [] });
    const later = input(
      'c.csv',
      '1,9,Normal,07/12/24 11:15:00,07/12/24 11:30:00,4.5,0,5,0\n1,10,Normal,07/12/24 11:30:00,07/12/24 11:45:00,1,0,2,0\n',
      0,
      2,
    );
    const r = streamed([a, later], { meter: '1' });
    expect(column(r.lines, 'kw_del')).toEqual(['2.50', '4.5', '1']);
    expect(r.conflicts).toEqual(['2024-07-12T11:15:00-07:00 c.csv a.csv']);
    expect(r.engine.counters).toMatchObject({ rows: 3, conflicts: 1, rowsRead: 4 });
  });

  it('rows that differ only in Event Type or Record No. are a conflict naming what differs (review L8)', () => {
    const row = (rec: string, evt: string) => `1,${rec},${evt},07/12/24 11:00:00,07/12/24 11:15:00,2.5,0,3,0\n`;
    const engine = new ProfileAssembler(options({ meter: '1' }));
    engine.push(input('a.csv', row('1', 'Normal'), 5, 0));
    engine.push(input('b.csv', row('1', 'V1'), 10, 1));
    engine.push(input('c.csv', row('7', 'V1'), 15, 2));
    const out = engine.flush();
    expect(column(out.lines, 'Event Type')).toEqual(['V1']);
    expect(column(out.lines, 'Record No.')).toEqual(['7']);
    const same = 'kw_del=2.5 kw_rec=0 kva_del=3 kva_rec=0';
    expect(out.conflicts.map((c) => [c.kept.file, c.dropped.file, c.kept.values, c.dropped.values]).sort()).toEqual([
      ['c.csv', 'a.csv', `${same} Record No.=7 Event Type=V1`, `${same} Record No.=1 Event Type=Normal`],
      ['c.csv', 'b.csv', `${same} Record No.=7`, `${same} Record No.=1`],
    ]);
  });

  it('two exports that end at the same instant: the later delivery wins, then the later path', () => {
    const row = (kwDel: string) => `1,1,Normal,07/12/24 11:00:00,07/12/24 11:15:00,${kwDel},0,9,0\n`;
    expect(
      column(
        streamed([input('a.csv', row('1'), 10, 0), input('b.csv', row('2'), 5, 1)], { meter: '1' }).lines,
        'kw_del',
      ),
    ).toEqual(['1']);
    expect(
      column(
        streamed([input('a.csv', row('1'), 5, 0), input('b.csv', row('2'), 5, 1)], { meter: '1' }).lines,
        'kw_del',
      ),
    ).toEqual(['2']);
  });

  it('bad rows are named by file, line and column and left out; with onBadRow fail the flush says failed and writes nothing', () => {
    const text =
      '1,1,Normal,07/12/24 11:00:00,07/12/24 11:15:00,0x1F,0,3,0\n1,2,Normal,07/12/24 11:15:00,07/12/24 11:30:00,4,0,1,0\n1,3,Normal,07/12/24 11:30:00,07/12/24 11:45:00,4,0,5,0\n';
    const engine = new ProfileAssembler(options({ meter: '1' }));
    engine.push(input('v.csv', text));
    const out = engine.flush();
    expect(out.badRows).toEqual([
      { file: 'v.csv', line: 2, column: 'kw_del', message: 'kw_del — expected a decimal number, got "0x1F"' },
      { file: 'v.csv', line: 3, column: 'kva_del', message: 'kva_del — expected ≥ kw_del (4), got 1' },
    ]);
    expect(out.lines).toHaveLength(1);
    const failing = new ProfileAssembler(options({ meter: '1', onBadRow: 'fail' }));
    failing.push(input('v.csv', text));
    expect(failing.flush()).toMatchObject({ failed: true, lines: [] });
  });

  it('a range keeps only its rows; an append whose rows reach back into the profile says overlap', () => {
    const text = [0, 1, 2, 3]
      .map((i) => `1,${i},Normal,${clock.format(T0 + i * STEP)},${clock.format(T0 + (i + 1) * STEP)},1,0,2,0`)
      .join('\n');
    const ranged = streamed([input('r.csv', `${text}\n`)], { meter: '1', from: T0 + STEP, to: T0 + 3 * STEP });
    expect(ranged.lines).toHaveLength(2);
    const append = new ProfileAssembler(options({ meter: '1', after: { end: T0 + 2 * STEP, lastDay: null } }));
    append.push(input('r.csv', `${text}\n`));
    expect(append.flush()).toMatchObject({ overlap: true });
  });

  it('day counts: the 25-hour fall-back day is a DST day, a short day is incomplete; an append continues the last day', () => {
    const engine = new ProfileAssembler(options());
    const day = Date.parse('2024-11-03T00:00:00-07:00');
    engine.push({ rel: 'd.csv', export: exportOf((day - T0) / STEP, (day - T0) / STEP + 100, 0), mtimeMs: 0, rank: 0 });
    const out = engine.flush();
    const local = Math.floor(clock.wallOf(day) / 86_400_000);
    expect(out.days.get(local)).toBe(100);
    expect(engine.finish()).toEqual({
      incompleteDays: [],
      dstDays: [{ date: '2024-11-03', intervals: 100 }],
      lastDay: { day: local, count: 100 },
    });
    const appended = new ProfileAssembler(options({ after: { end: day, lastDay: { day: local - 1, count: 90 } } }));
    appended.push({ rel: 'e.csv', export: exportOf((day - T0) / STEP - 6, (day - T0) / STEP, 0), mtimeMs: 0, rank: 0 });
    expect(appended.flush()).toMatchObject({ overlap: true }); // (these rows are before the profile's end)
    const later = new ProfileAssembler(
      options({ after: { end: day - 6 * STEP, lastDay: { day: local - 1, count: 90 } } }),
    );
    later.push({ rel: 'e.csv', export: exportOf((day - T0) / STEP - 6, (day - T0) / STEP, 0), mtimeMs: 0, rank: 0 });
    later.flush();
    expect(later.finish().incompleteDays).toEqual([]); // 90 + 6 = the day's 96
  });
});
