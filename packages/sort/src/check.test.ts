import { checkExport, EXPORT_FIELDS, ExportRejected, monthFolderOf } from '@lptool/archive';
import { type ClockMode, SiteClock } from '@lptool/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkCandidate } from './check.js';

/**
 * sort's check on bytes (`checkCandidate`: decodeExport, record jumps from the bytes) against the text path it
 * replaced (`checkExport` on the file read as UTF-8 text, `CheckedExport.recordJumps`): on exports broken the
 * way sort-fuzz.test.ts breaks them (rows lost, swapped, doubled; bad times and values; columns renamed,
 * missing, doubled, extra; a second meter; BOM, CRLF, quotes, blank lines; cut short, binary, empty, `hello`,
 * bytes that are not UTF-8), with odd `Record No.` fields, over the DST nights of odd zones in both clocks —
 * the same verdict, field for field.
 */

const ZONES = ['America/Los_Angeles', 'America/St_Johns', 'Australia/Lord_Howe', 'Europe/Berlin', 'Asia/Kolkata'];
const METERS = ['144800052', '144800053'];
const HEADER: readonly string[] = EXPORT_FIELDS;
const RECORDS = ['', ' 7 ', '007', '1e3', '0x1F', '-1', '+4', '1.5', 'abc', 'Infinity', '123456789012345678', '"9"'];
const NOW = Date.UTC(2025, 5, 1);
const STEP = 900_000;

type Random = () => number;
const pick = <T>(r: Random, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
const int = (r: Random, lo: number, hi: number) => lo + Math.floor(r() * (hi - lo + 1));
const p2 = (n: number) => String(n).padStart(2, '0');

/** mulberry32: a small seeded generator, so fast-check shrinks a failing case to its seed. */
function seeded(seed: number): Random {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The first offset change of 2024 in a zone (mid-2024 in a zone without one). */
function transition(clock: SiteClock): number {
  let t = Date.UTC(2024, 0, 1);
  const o = clock.offsetAt(t);
  while (t < Date.UTC(2025, 0, 1) && clock.offsetAt(t) === o) t += STEP;
  return t < Date.UTC(2025, 0, 1) ? t : Date.UTC(2024, 6, 1);
}

/** The label of an instant on the meter's clock, in an accepted spelling (or, rarely, an odd year). */
function label(r: Random, clock: SiteClock, mode: ClockMode, t: number, style: number): string {
  const wall = mode === 'standard' ? t + clock.standardOffset(clock.wallOf(t)) : clock.wallOf(t);
  const d = new Date(wall);
  const [y, mo, da, h, mi] = [
    d.getUTCFullYear(),
    d.getUTCMonth() + 1,
    d.getUTCDate(),
    d.getUTCHours(),
    d.getUTCMinutes(),
  ];
  switch (style) {
    case 0:
      return `${p2(mo)}/${p2(da)}/${p2(y % 100)} ${p2(h)}:${p2(mi)}:00`;
    case 1:
      return `${p2(mo)}/${p2(da)}/${y} ${p2(h)}:${p2(mi)}`;
    case 2:
      return `${new Date(wall).toISOString().slice(0, 19)}${clock.format(t).slice(19)}`;
    case 3:
      return `${mo}/${da}/${y} ${h}:${p2(mi)}:00`;
    default:
      return `${String(pick(r, [24, 1969, 2099, 0])).padStart(4, '0')}-${p2(mo)}-${p2(da)} ${p2(h)}:${p2(mi)}`;
  }
}

/** One export's rows as fields (header first), valid before it is broken. */
function baseRows(r: Random, clock: SiteClock, mode: ClockMode): string[][] {
  const meter = pick(r, METERS);
  const start =
    r() < 0.5
      ? transition(clock) + int(r, -12, 8) * STEP
      : Date.UTC(int(r, 2023, 2024), int(r, 0, 11), int(r, 1, 28), int(r, 0, 23), pick(r, [0, 15, 30, 45]));
  const style = r() < 0.97 ? int(r, 0, 3) : 4;
  const rows = [[...HEADER]];
  const n = r() < 0.05 ? 0 : int(r, 1, 24);
  for (let i = 0; i < n; i++) {
    const t = start + i * STEP;
    const kw = (r() * 90).toFixed(int(r, 0, 3));
    const record = r() < 0.9 ? String(1000 + i) : pick(r, RECORDS);
    rows.push([meter, record, 'Normal', label(r, clock, mode, t, style), label(r, clock, mode, t + STEP, style)]);
    rows[rows.length - 1]!.push(kw, '0', (Number(kw) * 1.1).toFixed(2), '0');
  }
  return rows;
}

/** Break an export as sort-fuzz.test.ts does: each mutation with some probability. */
function mutate(r: Random, m: string[][]): string[][] {
  const row = () => 1 + Math.floor(r() * (m.length - 1));
  const field = () => Math.floor(r() * m[0]!.length);
  const times = r() < 0.35 ? 0 : int(r, 1, 3);
  for (let t = 0; t < times && m.length > 1 && m[0]!.length > 1; t++) {
    const k = int(r, 0, 11);
    if (k === 0) m.splice(row(), 1);
    else if (k === 1) {
      const [a, b] = [row(), row()];
      [m[a], m[b]] = [m[b]!, m[a]!];
    } else if (k === 2) m.splice(row(), 0, [...m[row()]!]);
    else if (k === 3) m[row()]![pick(r, [3, 4])] = pick(r, ['', 'garbage', '13/45/24 99:00:00', '02/30/24 00:00:00']);
    else if (k === 4) m[row()]![int(r, 5, 8)] = pick(r, ['', 'abc', '-1', '1e400', 'Infinity', '0x1F', 'NaN']);
    else if (k === 5)
      m[0]![field()] = pick(r, ['KW_DEL', ' Start Time ', 'start time', 'kw del', 'Meter', 'RECORD NO.']);
    else if (k === 6) {
      const f = field();
      for (const x of m) x.splice(f, 1);
    } else if (k === 7) {
      const f = field();
      for (const x of m) x.push(x[f]!);
    } else if (k === 8) m[row()]![0] = pick(r, METERS);
    else if (k === 9) for (const x of m) x.push(pick(r, ['extra', 'x']));
    else if (k === 10) m[row()]!.push('stray');
    else m[row()]![2] = 'x'.repeat(int(r, 10, 2000));
  }
  return m;
}

/** The bytes of one export, with the spelling quirks of real files. */
function encode(r: Random, rows: string[][]): Buffer {
  const eol = r() < 0.2 ? '\r\n' : '\n';
  const quote = r() < 0.1;
  let text = rows
    .map((x) =>
      x.map((f) => (quote || f.includes(',') || (r() < 0.02 && f) ? `"${f.replaceAll('"', '""')}"` : f)).join(','),
    )
    .join(eol);
  if (r() < 0.7) text += eol;
  if (r() < 0.1) text += eol.repeat(int(r, 1, 3));
  if (r() < 0.05) text = text.replace(eol, `${eol}${eol}`);
  if (r() < 0.15) text = `\uFEFF${text}`;
  let buf = Buffer.from(text);
  const odd = r();
  if (odd < 0.03) buf = buf.subarray(0, Math.floor(r() * buf.length));
  else if (odd < 0.05) buf = Buffer.from(Array.from({ length: int(r, 1, 500) }, () => int(r, 0, 255)));
  else if (odd < 0.06) buf = Buffer.alloc(0);
  else if (odd < 0.07) buf = Buffer.from('hello');
  else if (odd < 0.1) {
    const at = Math.floor(r() * buf.length);
    buf = Buffer.concat([buf.subarray(0, at), Buffer.from([0xff, 0xfe]), buf.subarray(at)]);
  }
  return buf;
}

/** The text path sort took before: `checkExport` of the file read as UTF-8 text, the getter's record jumps. */
function byText(bytes: Buffer, clock: SiteClock): ReturnType<typeof checkCandidate> {
  try {
    const ex = checkExport(bytes.toString('utf8'), 'x.csv', clock, STEP, { now: NOW });
    const first = ex.intervals.start[0]!;
    const last = ex.intervals.end[ex.intervals.end.length - 1]!;
    const { meter, recordJumps } = ex;
    const month = monthFolderOf(clock, first);
    return {
      accepted: {
        meter,
        rows: ex.rows.count,
        first: clock.format(first),
        last: clock.format(last),
        month,
        recordJumps,
      },
    };
  } catch (e) {
    if (!(e instanceof ExportRejected)) throw e;
    return { rejected: { reason: e.reason, code: e.code, message: e.message, rows: e.rows } };
  }
}

const clocks = new Map<string, SiteClock>();
const clockOf = (zone: string, mode: ClockMode) => {
  const key = `${zone} ${mode}`;
  if (!clocks.has(key)) clocks.set(key, new SiteClock(zone, mode));
  return clocks.get(key)!;
};

const verdicts = (bytes: Buffer, clock: SiteClock) => ({
  bytes: checkCandidate(bytes, 'x.csv', clock, STEP, { now: NOW }),
  text: byText(bytes, clock),
});

describe('sort checks each export on its bytes, as it did on its text', () => {
  it('property: exports broken as the fuzz corpus breaks them, odd Record No. fields, DST nights of odd zones, both clocks', () => {
    let accepted = 0;
    let jumps = 0;
    fc.assert(
      fc.property(
        fc.integer(),
        fc.constantFrom(...ZONES),
        fc.constantFrom<ClockMode>('legal', 'standard'),
        (seed, zone, mode) => {
          const r = seeded(seed);
          const clock = clockOf(zone, mode);
          const { bytes, text } = verdicts(encode(r, mutate(r, baseRows(r, clock, mode))), clock);
          expect(bytes).toEqual(text);
          if ('accepted' in bytes) {
            accepted++;
            if (bytes.accepted.recordJumps.length) jumps++;
          }
        },
      ),
      { numRuns: 800 },
    );
    console.log(`check on bytes ≡ on text: ${accepted} of 800 accepted, ${jumps} with record jumps`);
    // the corpus reaches both verdicts, and record jumps among the accepted
    expect(accepted).toBeGreaterThan(100);
    expect(jumps).toBeGreaterThan(10);
  });

  it('record jumps: every spelling of Record No. the bytes read or leave to Number(), quoted rows among byte rows', () => {
    const clock = new SiteClock('America/Los_Angeles');
    const head = HEADER.join(',');
    const rowOf = (i: number, record: string) =>
      `144800052,${record},Normal,07/12/24 ${p2(11 + Math.floor(i / 4))}:${p2((i % 4) * 15)}:00,07/12/24 ${p2(11 + Math.floor((i + 1) / 4))}:${p2(((i + 1) % 4) * 15)}:00,1,0,2,0`;
    for (const records of [
      ['1', '2', '4', '5', '5', '007', '8', '0x9', '10', '1e3', '1001', ' 1002 ', '"1003"', '', '0', 'abc', '7'],
      ['999999999999999', '1000000000000000', '1000000000000002', '12345678901234567', '12345678901234568'],
      ['"1"', '"2"', '4', '"5"', '6', 'Infinity', '-Infinity', '3', '-2', '-1', '+0', '1.0', '2.5'],
    ]) {
      const text = `${head}\n${records.map((x, i) => rowOf(i, x)).join('\n')}\n`;
      const { bytes, text: want } = verdicts(Buffer.from(text), clock);
      expect('accepted' in want && want.accepted.recordJumps.length).toBeGreaterThan(0);
      expect(bytes).toEqual(want);
    }
  });
});
