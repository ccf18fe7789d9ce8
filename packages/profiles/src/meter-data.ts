import fs from 'node:fs';
import { decimalProblem, emptyDecimal, isLptError, LptError } from '@lptool/core';
import { type CsvTable, derivedKindOfName, findColumns, isPlainFileName, readCsvFile } from '@lptool/io';

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
 * meter-data.csv as a table with its three columns. It is the site's configuration, so whatever keeps it from
 * being read — a folder in its place, text that is not CSV, no header or a header without one of the columns
 * (an empty file) — is LPT_BAD_METER_DATA (exit 2: nothing is done), never a data problem of a run.
 */
function readMeterTable(file: string): { table: CsvTable; cols: Record<'meter' | 'name' | 'multiplier', number> } {
  if (fs.statSync(file, { throwIfNoEntry: false })?.isDirectory())
    throw new LptError(
      'LPT_BAD_METER_DATA',
      'meter-data.csv — expected a file of meter,name,multiplier lines, got a folder',
      { file: 'meter-data.csv' },
    );
  try {
    const table = readCsvFile(file, 'meter-data.csv');
    return { table, cols: findColumns(table, ['meter', 'name', 'multiplier'] as const) };
  } catch (e) {
    if (isLptError(e) && e.code === 'LPT_PARSE')
      throw new LptError('LPT_BAD_METER_DATA', e.message, e.where, e.details);
    throw e;
  }
}

/** Why a meter name cannot be a profile's name, or null (SPEC §9; lptool's own outputs are told by name too). */
function nameProblem(name: string): string | null {
  if (!isPlainFileName(name) || name.startsWith('.') || name.toLowerCase() === 'all')
    return 'a plain file name ([A-Za-z0-9_.-]+, not starting with ".", not "all")';
  // lp/<name>.csv must not look like one of lptool's outputs (`NORTH_GAPS.csv` is a gap list, in any case)
  const kind = derivedKindOfName(`${name}.csv`);
  if (kind) return `a name not ending in "_gaps" in any case (lp/${name}.csv would be taken for lptool's ${kind})`;
  return null;
}

/**
 * `meter-data.csv` → meters by id. Names become file names (SPEC §9), so a bad
 * name, a duplicate id or a duplicate name is a configuration error (exit 2)
 * naming the line. A bad multiplier only stops that meter (reported, exit 1).
 */
export function readMeterData(file: string): Map<string, MeterInfo> {
  const { table, cols } = readMeterTable(file);
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
    const bad = nameProblem(name);
    if (bad)
      throw new LptError('LPT_BAD_METER_DATA', `name — expected ${bad}, got ${JSON.stringify(name)}`, where('name'));
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
