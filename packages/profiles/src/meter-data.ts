import { decimalProblem, emptyDecimal, LptError } from '@lptool/core';
import { findColumns, isPlainFileName, readCsvFile } from '@lptool/io';

/** The longest meter name: it becomes file names with lptool's suffixes and temp names around it. */
export const MAX_METER_NAME = 100;

export interface MeterInfo {
  meter: string;
  name: string;
  /** NaN when the line's multiplier is bad (then `problem` says why). */
  multiplier: number;
  /** The multiplier as written (the power maths use this, exactly); else the shortest decimal of `multiplier`. */
  multiplierText?: string;
  line: number;
  problem?: string;
}

/**
 * `meter-data.csv` → meters by id. Names become file names (SPEC §9), so a bad
 * name, a duplicate id or a duplicate name is a configuration error (exit 2)
 * naming the line. A bad multiplier only stops that meter (reported, exit 1).
 */
export function readMeterData(file: string): Map<string, MeterInfo> {
  const table = readCsvFile(file, 'meter-data.csv');
  const cols = findColumns(table, ['meter', 'name', 'multiplier'] as const);
  const byId = new Map<string, MeterInfo>();
  const byName = new Map<string, MeterInfo>();
  table.rows.forEach((r, i) => {
    const line = table.lines[i]!;
    const meter = r[cols.meter]!.trim();
    const name = r[cols.name]!.trim();
    const multText = r[cols.multiplier]!.trim();
    const where = (column: string) => ({ file: 'meter-data.csv', line, column });
    if (!meter)
      throw new LptError('LPT_BAD_METER_DATA', 'meter — expected a meter id, got an empty field', where('meter'));
    if (!isPlainFileName(name) || name.toLowerCase() === 'all' || name.endsWith('_gaps')) {
      throw new LptError(
        'LPT_BAD_METER_DATA',
        `name — expected a plain file name ([A-Za-z0-9_.-]+, not "all", not ending in "_gaps"), got ${JSON.stringify(name)}`,
        where('name'),
      );
    }
    // a name becomes lp/<name>.csv, lp/.cache/<name>.csv.shadow and their temp names: all must fit 255 bytes
    if (name.length > MAX_METER_NAME) {
      throw new LptError(
        'LPT_BAD_METER_DATA',
        `name — expected at most ${MAX_METER_NAME} characters, got ${name.length} (${JSON.stringify(`${name.slice(0, 40)}…`)})`,
        where('name'),
      );
    }
    const prevId = byId.get(meter);
    if (prevId)
      throw new LptError(
        'LPT_BAD_METER_DATA',
        `meter — expected each id once, got ${meter} again (first on line ${prevId.line})`,
        where('meter'),
      );
    const prevName = byName.get(name.toLowerCase());
    if (prevName)
      throw new LptError(
        'LPT_BAD_METER_DATA',
        `name — expected each name once, got ${name} again (first on line ${prevName.line})`,
        where('name'),
      );
    // a decimal number only (not 0x10, Infinity or 1e999), > 0
    const mult = emptyDecimal();
    const problem = decimalProblem(multText, mult, true);
    const info: MeterInfo = { meter, name, multiplier: mult.value, multiplierText: multText, line };
    if (problem) {
      info.multiplier = Number.NaN;
      info.problem = `multiplier — expected ${problem}, got ${JSON.stringify(multText)} (meter-data.csv:${line}, column multiplier)`;
    }
    byId.set(meter, info);
    byName.set(name.toLowerCase(), info);
  });
  return byId;
}
