import {
  type CheckedExport,
  type CheckOptions,
  decodeExport,
  ExportRejected,
  FIELD,
  monthFolderOf,
} from '@lptool/archive';
import type { SiteClock } from '@lptool/core';
import type { AcceptedExport, Rejection } from './plan.js';

/**
 * sort's check of one candidate (SPEC §3 step 2), on the bytes it has read once for its SHA-256: archive's
 * `decodeExport` (quote-free lines split as bytes, labels and meter ids read from the bytes, anything odd
 * through the text grammars — the same verdict as `checkExport` on the text), then what the plan needs of a
 * good export, its `Record No.` jumps read from the bytes too. check.test.ts holds it equal to the text path
 * (`checkExport` on the decoded text, `CheckedExport.recordJumps`) on hostile exports.
 */
export function checkCandidate(
  bytes: Buffer,
  name: string,
  clock: SiteClock,
  intervalMs: number,
  options: CheckOptions = {},
): { accepted: AcceptedExport } | { rejected: Rejection } {
  try {
    const ex = decodeExport(bytes, name, clock, intervalMs, options);
    const first = ex.intervals.start[0]!;
    const last = ex.intervals.end[ex.intervals.end.length - 1]!;
    return {
      accepted: {
        meter: ex.meter,
        rows: ex.rows.count,
        first: clock.format(first),
        last: clock.format(last),
        month: monthFolderOf(clock, first),
        recordJumps: recordJumps(ex),
      },
    };
  } catch (e) {
    if (!(e instanceof ExportRejected)) throw e;
    return { rejected: { reason: e.reason, code: e.code, message: e.message, rows: e.rows } };
  }
}

/**
 * `CheckedExport.recordJumps` without a string per row: a `Record No.` of plain digits (nearly all) is read
 * from the bytes; any other field as the getter reads it (`Number` of its text). Strings only for the jumps.
 */
export function recordJumps(ex: CheckedExport): AcceptedExport['recordJumps'] {
  const jumps: AcceptedExport['recordJumps'] = [];
  if (ex.columns['Record No.'] < 0) return jumps;
  const { rows } = ex;
  const b = rows.bytes;
  const value = (i: number): number => {
    if (b !== null && rows.isBytes(i)) {
      const v = digits(b, rows.start(i, FIELD.record), rows.end(i, FIELD.record));
      if (v >= 0) return v;
    }
    return Number(rows.field(i, FIELD.record));
  };
  let previous = value(0);
  for (let i = 1; i < rows.count; i++) {
    const got = value(i);
    if (Number.isFinite(previous) && Number.isFinite(got) && got !== previous + 1)
      jumps.push({ line: rows.lines[i]!, previous: rows.field(i - 1, FIELD.record), got: rows.field(i, FIELD.record) });
    previous = got;
  }
  return jumps;
}

/** The value of bytes [from, to) when they are 1 to 15 ASCII digits (exact as a double), else −1. */
function digits(b: Buffer, from: number, to: number): number {
  if (to <= from || to - from > 15) return -1;
  let v = 0;
  for (let k = from; k < to; k++) {
    const c = b[k]! - 48;
    if (c < 0 || c > 9) return -1;
    v = v * 10 + c;
  }
  return v;
}
