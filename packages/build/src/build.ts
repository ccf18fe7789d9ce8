import fs from 'node:fs';
import path from 'node:path';
import { computePower, formatDecimal, LptError, parseLabel, SiteClock } from '@lptool/core';
import {
  AtomicFile,
  acquireLock,
  type CheckedExport,
  checkExport,
  createLogger,
  csvField,
  ExportRejected,
  type Logger,
  loadSettings,
  parseCsvText,
  type SettingFlags,
  siteLayout,
} from '@lptool/io';
import { sha256File } from '@lptool/sort';
import { type FileRecord, inputsKey, loadManifest, saveManifest } from './manifest.js';
import { type MeterInfo, readMeterData } from './meter-data.js';

export const PROFILE_COLUMNS = [
  'Start Time',
  'End Time',
  'meter',
  'Record No.',
  'Event Type',
  'kw_del',
  'kw_rec',
  'kva_del',
  'kva_rec',
  'MW_del',
  'MW_rec',
  'MVA_del',
  'MVA_rec',
  'MW_net',
  'MVA_net',
  'PF_net',
] as const;

export interface BuildOptions extends SettingFlags {
  root: string;
  /** Build only this profile name. */
  meter?: string | undefined;
  /** Interval starts from (inclusive) / to (exclusive): local label or ISO. */
  from?: string | undefined;
  to?: string | undefined;
  legacyNet?: boolean;
  onBadRow?: 'skip' | 'fail';
  full?: boolean;
  lockWaitMs?: number;
  env?: NodeJS.ProcessEnv;
}

export interface BadRow {
  file: string;
  line: number;
  column: string;
  message: string;
}

export interface Conflict {
  start: string;
  kept: { file: string; line: number; values: string };
  dropped: { file: string; line: number; values: string };
}

export interface MeterBuild {
  name: string;
  meter: string;
  status: 'built' | 'up-to-date' | 'failed' | 'no-data';
  files: number;
  rows: number;
  first: string | null;
  last: string | null;
  conflicts: number;
  badRows: number;
  /** Local days whose interval count is not the day's length / interval (data missing or doubled). */
  incompleteDays: { date: string; intervals: number; expected: number }[];
  /** Complete DST days (92 or 100 intervals at 15 minutes): reported as such, not as errors. */
  dstDays: { date: string; intervals: number }[];
  error?: string;
  output?: string;
}

export interface BuildSummary {
  root: string;
  meters: MeterBuild[];
  unknownMeters: { meter: string; files: string[] }[];
  badFiles: { file: string; reason: string; message: string }[];
  badRows: BadRow[];
  conflicts: Conflict[];
  rowsRead: number;
  exitCode: 0 | 1;
}

const DAY = 86_400_000;
const VALUE_COLUMNS = ['kw_del', 'kw_rec', 'kva_del', 'kva_rec'] as const;

/** Parse a --from/--to bound: ISO with offset, or a local label/date in the site zone. */
export function parseBound(text: string | undefined, clock: SiteClock, flag: string): number | undefined {
  if (text === undefined || text === '') return undefined;
  const t = text.trim();
  const p = parseLabel(/^\d{4}-\d{2}-\d{2}$/.test(t) ? `${t}T00:00` : t);
  if (!p)
    throw new LptError(
      'LPT_USAGE',
      `${flag} — expected a date like 2024-07-01 or 2024-07-01T06:00, got ${JSON.stringify(text)}`,
      { key: flag },
    );
  return Number.isNaN(p.offsetMs) ? clock.instantAtOrAfter(p.wall) : p.wall - p.offsetMs;
}

/** One `lptool build` run (SPEC §4). */
export async function build(options: BuildOptions): Promise<BuildSummary> {
  const layout = siteLayout(options.root);
  const settings = loadSettings(layout.settings, options, options.env);
  const clock = new SiteClock(settings.timezone, settings.clock);
  const from = parseBound(options.from, clock, '--from');
  const to = parseBound(options.to, clock, '--to');
  const meters = readMeterData(layout.meterData);
  const byName = new Map([...meters.values()].map((m) => [m.name, m]));
  if (options.meter !== undefined && !byName.has(options.meter)) {
    throw new LptError(
      'LPT_USAGE',
      `--meter — expected a name from meter-data.csv (${[...byName.keys()].join(', ')}), got ${JSON.stringify(options.meter)}`,
      {
        key: '--meter',
      },
    );
  }
  const release = acquireLock(layout.lockFile, { waitMs: options.lockWaitMs ?? 30_000, command: 'lptool build' });
  const log = createLogger(layout.logs, 'build', { cmd: 'build' });
  const summary: BuildSummary = {
    root: layout.root,
    meters: [],
    unknownMeters: [],
    badFiles: [],
    badRows: [],
    conflicts: [],
    rowsRead: 0,
    exitCode: 0,
  };
  try {
    log.info(
      {
        event: 'start',
        timezone: settings.timezone,
        clock: settings.clock,
        intervalMs: settings.intervalMs,
        sources: settings.sources,
        options: {
          meter: options.meter,
          from: options.from,
          to: options.to,
          legacyNet: !!options.legacyNet,
          full: !!options.full,
        },
      },
      'build started',
    );
    const manifest = loadManifest(layout.buildManifest);
    const files = listArchive(layout.archive, layout.root, manifest);
    const byMeter = new Map<string, string[]>();
    for (const [rel, rec] of files) {
      const list = byMeter.get(rec.meter) ?? [];
      list.push(rel);
      byMeter.set(rec.meter, list);
    }
    for (const [id, list] of byMeter) {
      if (id === '' || meters.has(id)) continue;
      summary.unknownMeters.push({ meter: id, files: list });
      log.error({ event: 'unknown-meter', meter: id, files: list }, `meter ${id} is not in meter-data.csv`);
    }
    const unreadable = byMeter.get('') ?? [];
    for (const f of unreadable)
      summary.badFiles.push({
        file: f,
        reason: 'PARSE-ERROR',
        message: 'no meter id could be read from the first data row',
      });

    const wanted = [...meters.values()].filter((m) => options.meter === undefined || m.name === options.meter);
    for (const info of wanted) {
      const list = (byMeter.get(info.meter) ?? []).sort();
      const key = inputsKey(
        {
          tz: settings.timezone,
          clock: settings.clock,
          interval: settings.intervalMs,
          legacy: !!options.legacyNet,
          mult: info.multiplier,
          from,
          to,
          policy: options.onBadRow ?? 'skip',
          v: 1,
        },
        list.map((p) => ({ path: p, hash: files.get(p)!.hash })),
      );
      const output = path.join(layout.lp, `${info.name}.csv`);
      const result: MeterBuild = {
        name: info.name,
        meter: info.meter,
        status: 'built',
        files: list.length,
        rows: 0,
        first: null,
        last: null,
        conflicts: 0,
        badRows: 0,
        incompleteDays: [],
        dstDays: [],
      };
      if (info.problem) {
        result.status = 'failed';
        result.error = info.problem;
        log.error({ event: 'bad-multiplier', meter: info.meter, name: info.name, message: info.problem }, info.problem);
      } else if (list.length === 0) {
        result.status = 'no-data';
      } else if (!options.full && manifest.meters[info.name]?.inputsKey === key && fs.existsSync(output)) {
        result.status = 'up-to-date';
      } else {
        buildMeter(info, list, output, {
          layout,
          clock,
          intervalMs: settings.intervalMs,
          from,
          to,
          legacyNet: !!options.legacyNet,
          onBadRow: options.onBadRow ?? 'skip',
          log,
          summary,
          result,
        });
        if (result.status === 'built') {
          manifest.meters[info.name] = { inputsKey: key, builtAt: new Date().toISOString() };
          result.output = path.relative(layout.root, output);
        }
      }
      summary.meters.push(result);
    }
    saveManifest(layout.buildManifest, manifest);
    const flagged =
      summary.unknownMeters.length > 0 ||
      summary.badFiles.length > 0 ||
      summary.meters.some((m) => m.status === 'failed' || m.badRows > 0 || m.conflicts > 0);
    summary.exitCode = flagged ? 1 : 0;
    log.info(
      {
        event: 'end',
        built: summary.meters.filter((m) => m.status === 'built').length,
        rowsRead: summary.rowsRead,
        exitCode: summary.exitCode,
      },
      'build finished',
    );
    return summary;
  } finally {
    release();
  }
}

/**
 * Every archived export `data/KW/YYYY-MM/*.csv`, with size, mtime, hash and
 * meter id — taken from the manifest when size and mtime are unchanged.
 */
function listArchive(
  archive: string,
  root: string,
  manifest: { files: Record<string, FileRecord> },
): Map<string, FileRecord> {
  const out = new Map<string, FileRecord>();
  if (!fs.existsSync(archive)) return out;
  for (const month of fs.readdirSync(archive).sort()) {
    if (!/^\d{4}-\d{2}$/.test(month)) continue;
    const dir = path.join(archive, month);
    for (const name of fs.readdirSync(dir).sort()) {
      if (name.startsWith('.') || !/\.csv$/i.test(name)) continue;
      const full = path.join(dir, name);
      const st = fs.lstatSync(full);
      if (!st.isFile()) continue;
      const rel = path.relative(root, full).split(path.sep).join('/');
      const known = manifest.files[rel];
      const rec =
        known && known.size === st.size && known.mtimeMs === st.mtimeMs
          ? known
          : { size: st.size, mtimeMs: st.mtimeMs, hash: sha256File(full), meter: peekMeter(full) };
      out.set(rel, rec);
    }
  }
  manifest.files = Object.fromEntries(out);
  return out;
}

/** The meter id of a file's first data row, from its first 64 KB. */
function peekMeter(file: string): string {
  const fd = fs.openSync(file, 'r');
  try {
    const buf = Buffer.alloc(65536);
    const n = fs.readSync(fd, buf, 0, buf.length, 0);
    let text = buf.subarray(0, n).toString('utf8');
    if (n === buf.length) text = text.slice(0, text.lastIndexOf('\n') + 1);
    const t = parseCsvText(text, file);
    const col = t.header.findIndex((h) => h.toLowerCase() === 'meter');
    return col >= 0 && t.rows.length ? (t.rows[0]![col] ?? '').trim() : '';
  } catch {
    return '';
  } finally {
    fs.closeSync(fd);
  }
}

interface MeterContext {
  layout: ReturnType<typeof siteLayout>;
  clock: SiteClock;
  intervalMs: number;
  from: number | undefined;
  to: number | undefined;
  legacyNet: boolean;
  onBadRow: 'skip' | 'fail';
  log: Logger;
  summary: BuildSummary;
  result: MeterBuild;
}

/** Checks one row's numbers; returns the problem or null. */
function checkValues(v: Float64Array, raw: string[], cols: number[]): { column: string; message: string } | null {
  for (let k = 0; k < 4; k++) {
    const text = raw[cols[k]!]!.trim();
    const x = text === '' ? Number.NaN : Number(text);
    v[k] = x;
    if (Number.isNaN(x))
      return {
        column: VALUE_COLUMNS[k]!,
        message: `${VALUE_COLUMNS[k]} — expected a number, got ${JSON.stringify(text)}`,
      };
    if (x < 0) return { column: VALUE_COLUMNS[k]!, message: `${VALUE_COLUMNS[k]} — expected a value ≥ 0, got ${text}` };
  }
  // Apparent power cannot be below real power, but kW and kVA registers are measured and rounded apart:
  // near zero they disagree by a few hundredths (the golden rows have kw_rec 0.04 with kva_rec 0.01).
  // Flag only what no meter noise explains — swapped or mis-scaled columns: short by > 0.1 kVA and > 5 %.
  for (const [kw, kva] of [
    [0, 2],
    [1, 3],
  ] as const) {
    if (v[kva]! + Math.max(0.1, v[kw]! * 0.05) < v[kw]!) {
      return {
        column: VALUE_COLUMNS[kva],
        message: `${VALUE_COLUMNS[kva]} — expected ≥ ${VALUE_COLUMNS[kw]} (${v[kw]}), got ${v[kva]}`,
      };
    }
  }
  return null;
}

/** Read one meter's exports, settle overlaps, compute and write lp/<name>.csv atomically. */
function buildMeter(info: MeterInfo, list: string[], output: string, ctx: MeterContext): void {
  const { clock, intervalMs, log, result, summary } = ctx;
  // Columnar store of all rows of this meter: instants and values in typed arrays, raw fields by reference.
  const checkedFiles: { rel: string; ex: CheckedExport; fileEnd: number }[] = [];
  let total = 0;
  for (const rel of list) {
    let ex: CheckedExport;
    try {
      ex = checkExport(fs.readFileSync(path.join(ctx.layout.root, rel), 'utf8'), rel, clock, intervalMs);
    } catch (e) {
      if (!(e instanceof ExportRejected)) throw e;
      summary.badFiles.push({ file: rel, reason: e.reason, message: e.message });
      log.error(
        { event: 'bad-file', file: rel, reason: e.reason, message: e.message, rows: e.rows.slice(0, 20) },
        `${rel}: ${e.message}`,
      );
      continue;
    }
    const end = ex.intervals.end;
    checkedFiles.push({ rel, ex, fileEnd: end[end.length - 1]! });
    total += ex.table.rows.length;
  }
  summary.rowsRead += total;
  const start = new Float64Array(total);
  const values = new Float64Array(total * 4);
  const fileOf = new Int32Array(total);
  const rowOf = new Int32Array(total);
  const ok = new Uint8Array(total);
  const v = new Float64Array(4);
  let n = 0;
  let bad = 0;
  checkedFiles.forEach(({ rel, ex }, fi) => {
    const cols = VALUE_COLUMNS.map((c) => ex.columns[c]);
    const rows = ex.table.rows;
    for (let i = 0; i < rows.length; i++) {
      const problem = checkValues(v, rows[i]!, cols);
      start[n] = ex.intervals.start[i]!;
      fileOf[n] = fi;
      rowOf[n] = i;
      if (problem) {
        bad++;
        const b: BadRow = { file: rel, line: ex.table.lines[i]!, ...problem };
        if (summary.badRows.length < 1000) summary.badRows.push(b);
        log.warn({ event: 'bad-row', ...b, policy: ctx.onBadRow }, `${rel}:${b.line}: ${b.message}`);
      } else {
        ok[n] = 1;
        values.set(v, n * 4);
      }
      n++;
    }
  });
  result.badRows = bad;
  if (bad && ctx.onBadRow === 'fail') {
    result.status = 'failed';
    result.error = `${bad} bad row(s); --on-bad-row fail leaves lp/${info.name}.csv as it was`;
    return;
  }

  // Order: by start, then the export whose data ends latest last (it wins), then file order.
  const order = new Int32Array(total);
  for (let i = 0; i < total; i++) order[i] = i;
  order.sort(
    (a, b) =>
      start[a]! - start[b]! ||
      checkedFiles[fileOf[a]!]!.fileEnd - checkedFiles[fileOf[b]!]!.fileEnd ||
      fileOf[a]! - fileOf[b]!,
  );

  const rowText = (i: number) => {
    const { ex } = checkedFiles[fileOf[i]!]!;
    const r = ex.table.rows[rowOf[i]!]!;
    return VALUE_COLUMNS.map((c) => `${c}=${r[ex.columns[c]]!.trim()}`).join(' ');
  };
  const sameRow = (a: number, b: number) => {
    for (let k = 0; k < 4; k++) if (values[a * 4 + k] !== values[b * 4 + k]) return false;
    const ea = checkedFiles[fileOf[a]!]!.ex;
    const eb = checkedFiles[fileOf[b]!]!.ex;
    return ea.intervals.end[rowOf[a]!] === eb.intervals.end[rowOf[b]!];
  };

  const out = new AtomicFile(output);
  try {
    out.write(`${PROFILE_COLUMNS.join(',')}\n`);
    const dayCount = new Map<number, number>();
    let rows = 0;
    let first = Number.NaN;
    let last = Number.NaN;
    for (let g = 0; g < total; ) {
      // the group order[g..h) shares one start; the last row with good values wins
      const s = start[order[g]!]!;
      let h = g + 1;
      while (h < total && start[order[h]!] === s) h++;
      let winner = -1;
      for (let k = h - 1; k >= g && winner < 0; k--) if (ok[order[k]!]) winner = order[k]!;
      const groupStart = g;
      g = h;
      if (winner < 0) continue;
      if ((ctx.from !== undefined && s < ctx.from) || (ctx.to !== undefined && s >= ctx.to)) continue;
      for (let k = groupStart; k < h; k++) {
        const other = order[k]!;
        if (other === winner || !ok[other] || sameRow(other, winner)) continue;
        result.conflicts++;
        const kf = checkedFiles[fileOf[winner]!]!;
        const of = checkedFiles[fileOf[other]!]!;
        const c: Conflict = {
          start: clock.format(s),
          kept: { file: kf.rel, line: kf.ex.table.lines[rowOf[winner]!]!, values: rowText(winner) },
          dropped: { file: of.rel, line: of.ex.table.lines[rowOf[other]!]!, values: rowText(other) },
        };
        if (summary.conflicts.length < 1000) summary.conflicts.push(c);
        log.warn(
          { event: 'conflict', meter: info.meter, ...c },
          `${info.name} ${c.start}: kept ${c.kept.file} (${c.kept.values}), dropped ${c.dropped.file} (${c.dropped.values})`,
        );
      }
      const { ex } = checkedFiles[fileOf[winner]!]!;
      const r = ex.table.rows[rowOf[winner]!]!;
      const e = ex.intervals.end[rowOf[winner]!]!;
      const o = winner * 4;
      const p = computePower(
        { kwDel: values[o]!, kwRec: values[o + 1]!, kvaDel: values[o + 2]!, kvaRec: values[o + 3]! },
        info.multiplier,
        ctx.legacyNet,
      );
      const rec = ex.columns['Record No.'] >= 0 ? r[ex.columns['Record No.']]!.trim() : '';
      const evt = ex.columns['Event Type'] >= 0 ? r[ex.columns['Event Type']]!.trim() : '';
      out.write(
        `${clock.format(s)},${clock.format(e)},${csvField(info.meter)},${csvField(rec)},${csvField(evt)},${r[ex.columns.kw_del]!.trim()},${r[ex.columns.kw_rec]!.trim()},${r[ex.columns.kva_del]!.trim()},${r[ex.columns.kva_rec]!.trim()},${formatDecimal(p.MW_del)},${formatDecimal(p.MW_rec)},${formatDecimal(p.MVA_del)},${formatDecimal(p.MVA_rec)},${formatDecimal(p.MW_net)},${formatDecimal(p.MVA_net)},${formatDecimal(p.PF_net)}\n`,
      );
      const day = Math.floor(clock.wallOf(s) / DAY);
      dayCount.set(day, (dayCount.get(day) ?? 0) + 1);
      if (rows === 0) first = s;
      last = e;
      rows++;
    }
    out.commit();
    result.rows = rows;
    result.first = rows ? clock.format(first) : null;
    result.last = rows ? clock.format(last) : null;
    for (const [day, count] of [...dayCount].sort((a, b) => a[0] - b[0])) {
      const s0 = clock.instantAtOrAfter(day * DAY);
      const expected = Math.round((clock.instantAtOrAfter((day + 1) * DAY) - s0) / intervalMs);
      const date = new Date(day * DAY).toISOString().slice(0, 10);
      if (count !== expected) result.incompleteDays.push({ date, intervals: count, expected });
      else if (expected !== Math.round(DAY / intervalMs)) result.dstDays.push({ date, intervals: count });
    }
    log.info(
      {
        event: 'built',
        meter: info.meter,
        name: info.name,
        rows,
        files: list.length,
        first: result.first,
        last: result.last,
        conflicts: result.conflicts,
        badRows: result.badRows,
        output: path.relative(ctx.layout.root, output),
      },
      `built ${info.name}`,
    );
  } catch (e) {
    out.abort();
    throw e;
  }
}
