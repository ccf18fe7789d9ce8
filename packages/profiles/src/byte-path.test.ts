import { type CheckedExport, checkExport, decodeExport, EXPORT_FIELDS, ExportRejected, FIELD } from '@lptool/archive';
import { type ClockMode, SiteClock } from '@lptool/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ProfileAssembler } from './assembler.js';

/**
 * The byte path (`decodeExport`: a file's bytes split by the CSV core without a string per field, labels,
 * meter ids and values read from the bytes, rows written as bytes) against the string path (`checkExport` on
 * the decoded text: every field a string, every label and value through the text grammars): on random exports —
 * CRLF, a BOM, quoted fields, blank lines, odd spellings, bad values and labels, bytes that are not UTF-8 —
 * over the DST nights of zones with odd transitions, in both clocks, the same check (or the same reject), and
 * the same rows of lp/<name>.csv from the engine.
 */

const ZONES = ['America/Los_Angeles', 'America/St_Johns', 'Australia/Lord_Howe', 'Europe/Berlin', 'Asia/Kolkata'];
const STEP = 900_000;
const p2 = (n: number) => String(n).padStart(2, '0');
const wallParts = (w: number) => {
  const d = new Date(w);
  return {
    y: d.getUTCFullYear(),
    mo: p2(d.getUTCMonth() + 1),
    d: p2(d.getUTCDate()),
    h: p2(d.getUTCHours()),
    mi: p2(d.getUTCMinutes()),
    s: p2(d.getUTCSeconds()),
  };
};

/** The label of an instant on a meter's clock, in one of the spellings exports use. */
function label(clock: SiteClock, mode: ClockMode, t: number, spelling: number): string {
  const wall = mode === 'standard' ? t + clock.standardOffset(clock.wallOf(t)) : clock.wallOf(t);
  const p = wallParts(wall);
  switch (spelling) {
    case 0:
      return `${p.mo}/${p.d}/${String(p.y).slice(2)} ${p.h}:${p.mi}:${p.s}`;
    case 1:
      return `${p.mo}/${p.d}/${p.y} ${p.h}:${p.mi}`;
    case 2:
      return `${new Date(wall).toISOString().slice(0, 19)}${clock.format(t).slice(19)}`;
    default:
      return ` ${Number(p.mo)}/${p.d}/${String(p.y).slice(2)} ${p.h}:${p.mi}:${p.s}`;
  }
}

/** The first transition of 2024 in a zone (where its offset changes), or mid-2024 in a zone without one. */
function transition(clock: SiteClock): number {
  let t = Date.UTC(2024, 0, 1);
  const o = clock.offsetAt(t);
  while (t < Date.UTC(2025, 0, 1) && clock.offsetAt(t) === o) t += STEP;
  return t < Date.UTC(2025, 0, 1) ? t : Date.UTC(2024, 6, 1);
}

const VALUES = ['12.5', '0', '007.10', '3', '1e3', '+5', ' 3.2 ', '-1', 'x', '12345678901234567', '0.000001', '99.999'];
const TEXTS = ['Normal', '', 'Edited', ' padded ', 'é', '"quoted, with comma"', 'x\u00a0', '\uFEFFbom'];

const exportArb = fc.record({
  zone: fc.constantFrom(...ZONES),
  mode: fc.constantFrom<ClockMode>('legal', 'standard'),
  from: fc.integer({ min: -12, max: 8 }),
  rows: fc.integer({ min: 1, max: 16 }),
  startSpelling: fc.integer({ min: 0, max: 4 }),
  endSpelling: fc.integer({ min: 0, max: 4 }),
  endByLabel: fc.boolean(),
  values: fc.array(fc.tuple(fc.nat(VALUES.length - 1), fc.nat(VALUES.length - 1)), { minLength: 16, maxLength: 16 }),
  texts: fc.array(fc.nat(TEXTS.length - 1), { minLength: 16, maxLength: 16 }),
  crlf: fc.boolean(),
  bom: fc.boolean(),
  blankAt: fc.option(fc.nat(16)),
  quoteRow: fc.option(fc.nat(16)),
  dropRow: fc.option(fc.nat(16)),
  badByteRow: fc.option(fc.nat(16)),
  otherMeterRow: fc.option(fc.nat(16)),
  upperHeader: fc.boolean(),
  extraColumn: fc.boolean(),
});

type ExportSpec = typeof exportArb extends fc.Arbitrary<infer T> ? T : never;

/** An export's bytes, as the record describes it. */
function exportBytes(x: ExportSpec, clock: SiteClock): Buffer {
  const header: readonly string[] = EXPORT_FIELDS;
  const cols = x.extraColumn ? [...header, 'note'] : header;
  const lines: Buffer[] = [Buffer.from((x.upperHeader ? cols.map((c) => c.toUpperCase()) : cols).join(','))];
  const t0 = transition(clock) + x.from * STEP;
  for (let i = 0; i < x.rows; i++) {
    if (i === x.dropRow) continue;
    const t = t0 + i * STEP;
    const start = label(clock, x.mode, t, x.startSpelling);
    const end = x.endByLabel
      ? label(clock, x.mode, t, x.endSpelling) // (a label + interval, as some meters write it — fixed below)
      : label(clock, x.mode, t + STEP, x.endSpelling);
    const [a, b] = x.values[i]!;
    const text = TEXTS[x.texts[i]!]!;
    const fields = [
      i === x.otherMeterRow ? '144800053' : '144800052',
      String(157594 + i),
      text.includes(',') ? `"${text}"` : text,
      start,
      x.endByLabel ? endByLabel(end, x.endSpelling) : end,
      VALUES[a]!,
      '0.04',
      VALUES[b]!,
      '0.01',
    ];
    if (x.extraColumn) fields.push('n');
    if (i === x.quoteRow) fields[5] = `"${fields[5]}"`;
    let line = Buffer.from(fields.join(','));
    if (i === x.badByteRow) line = Buffer.concat([line.subarray(0, 12), Buffer.from([0xff]), line.subarray(12)]);
    lines.push(line);
    if (i === x.blankAt) lines.push(Buffer.alloc(0));
  }
  const eol = Buffer.from(x.crlf ? '\r\n' : '\n');
  const parts: Buffer[] = x.bom ? [Buffer.from([0xef, 0xbb, 0xbf])] : [];
  for (const l of lines) parts.push(l, eol);
  return Buffer.concat(parts);
}

/** A start label + 15 minutes, spelled like the label (the "Start label + interval" End convention). */
function endByLabel(startLabel: string, spelling: number): string {
  const m = /(\d+)\/(\d+)\/(\d+) (\d+):(\d+)(?::(\d+))?/.exec(startLabel.trim());
  if (!m) return startLabel;
  const y = m[3]!.length === 2 ? 2000 + Number(m[3]) : Number(m[3]);
  const w = Date.UTC(y, Number(m[1]) - 1, Number(m[2]), Number(m[4]), Number(m[5]), Number(m[6] ?? 0)) + STEP;
  const p = wallParts(w);
  return spelling === 1
    ? `${p.mo}/${p.d}/${p.y} ${p.h}:${p.mi}`
    : `${p.mo}/${p.d}/${String(p.y).slice(2)} ${p.h}:${p.mi}:${p.s}`;
}

/** What a check gives, comparable: the export's parts, or the reject. */
function outcome(f: () => CheckedExport) {
  try {
    const ex = f();
    const fields = Array.from({ length: ex.rows.count }, (_, i) =>
      Array.from({ length: 9 }, (_, k) => ex.rows.field(i, k)),
    );
    return {
      meter: ex.meter,
      columns: ex.columns,
      start: [...ex.intervals.start],
      end: [...ex.intervals.end],
      problems: ex.intervals.problems,
      lines: [...ex.rows.lines.subarray(0, ex.rows.count)],
      fields,
      recordJumps: ex.recordJumps,
      ex,
    };
  } catch (e) {
    if (!(e instanceof ExportRejected)) throw e;
    return { rejected: { reason: e.reason, code: e.code, message: e.message, rows: e.rows, problems: e.problems } };
  }
}

/** The engine's rows, bad rows, days and conflicts for some checked exports pushed in order. */
function assembled(exports: CheckedExport[], clock: SiteClock, legacyNet: boolean) {
  const engine = new ProfileAssembler({
    meter: '144800052',
    multiplierText: '28.8',
    legacyNet,
    clock,
    intervalMs: STEP,
    onBadRow: 'skip',
  });
  const lines: string[] = [];
  const badRows: unknown[] = [];
  const conflicts: unknown[] = [];
  const sidecar: number[] = [];
  exports.forEach((ex, k) => {
    engine.push({ rel: `f${k}.csv`, export: ex, mtimeMs: k, rank: k });
    const next = exports[k + 1]?.intervals.start[0] ?? Number.POSITIVE_INFINITY;
    const out = engine.flush(next);
    lines.push(...out.lines);
    badRows.push(...out.badRows);
    conflicts.push(...out.conflicts);
    for (let i = 0; i < out.count; i++) sidecar.push(out.start[i]!, out.end[i]!, out.mwNet[i]!, out.mvaNet[i]!);
  });
  return { lines, badRows, conflicts, sidecar, days: [...engine.finish().incompleteDays] };
}

describe('the byte path equals the string path', () => {
  it('property: random exports over DST nights of odd zones, both clocks — the same check or reject, field for field', () => {
    fc.assert(
      fc.property(exportArb, (x) => {
        const clock = new SiteClock(x.zone, x.mode);
        const bytes = exportBytes(x, clock);
        const text = bytes.toString('utf8');
        const byText = outcome(() => checkExport(text, 'x.csv', clock, STEP));
        const byBytes = outcome(() => decodeExport(bytes, 'x.csv', clock, STEP));
        const { ex: _a, ...want } = byText as { ex?: CheckedExport };
        const { ex: _b, ...got } = byBytes as { ex?: CheckedExport };
        expect(got).toEqual(want);
      }),
      { numRuns: 600 },
    );
  });

  it('property: the engine writes the same rows of lp/<name>.csv (bad rows, conflicts, days, sidecar) from either', () => {
    fc.assert(
      fc.property(fc.array(exportArb, { minLength: 1, maxLength: 3 }), fc.boolean(), (xs, legacyNet) => {
        const clock = new SiteClock(xs[0]!.zone, xs[0]!.mode);
        const byText: CheckedExport[] = [];
        const byBytes: CheckedExport[] = [];
        for (const x of xs) {
          const bytes = exportBytes({ ...x, zone: xs[0]!.zone, mode: xs[0]!.mode, otherMeterRow: null }, clock);
          const t = outcome(() => checkExport(bytes.toString('utf8'), 'x.csv', clock, STEP));
          const b = outcome(() => decodeExport(bytes, 'x.csv', clock, STEP));
          if (t.ex && b.ex) {
            byText.push(t.ex);
            byBytes.push(b.ex);
          }
        }
        const order = (a: CheckedExport, b: CheckedExport) => a.intervals.start[0]! - b.intervals.start[0]!;
        byText.sort(order);
        byBytes.sort(order);
        expect(assembled(byBytes, clock, legacyNet)).toEqual(assembled(byText, clock, legacyNet));
      }),
      { numRuns: 300 },
    );
  });

  it('reads the usual export without a string per field, and the odd rows as text', () => {
    const clock = new SiteClock('America/Los_Angeles');
    const text =
      'meter,Record No.,Event Type,Start Time,End Time,kw_del,kw_rec,kva_del,kva_rec\r\n' +
      '144800052,1,Normal,07/12/24 11:00:00,07/12/24 11:15:00,0.84,55.79,15.02,228.51\r\n' +
      '144800052,2,"Edited, by hand",07/12/24 11:15:00,07/12/24 11:30:00,1,0,2,0\r\n';
    const ex = decodeExport(Buffer.from(text), 'n.csv', clock, STEP);
    expect([ex.rows.isBytes(0), ex.rows.isBytes(1)]).toEqual([true, false]);
    expect(ex.rows.field(1, FIELD.event)).toBe('Edited, by hand');
    const engine = new ProfileAssembler({
      meter: '144800052',
      multiplierText: '28.8',
      legacyNet: false,
      clock,
      intervalMs: STEP,
      onBadRow: 'skip',
    });
    engine.push({ rel: 'n.csv', export: ex, mtimeMs: 0, rank: 0 });
    expect(engine.flush().lines).toEqual([
      '2024-07-12T11:00:00-07:00,2024-07-12T11:15:00-07:00,144800052,1,Normal,0.84,55.79,15.02,228.51,0.024192,1.606752,0.432576,6.581088,-1.58256,7.013664,-0.22564\n',
      '2024-07-12T11:15:00-07:00,2024-07-12T11:30:00-07:00,144800052,2,"Edited, by hand",1,0,2,0,0.0288,0,0.0576,0,0.0288,0.0576,0.5\n',
    ]);
  });
});
