import path from 'node:path';
import { type BessConfig, configError } from '@lptool/bess-format';
import { LptError, medianStepMs, parseLabel, resolveStartInstants, type SiteClock } from '@lptool/core';
import { readCsvProjected } from '@lptool/io';
import { asyncBufferFromFile, parquetMetadataAsync, parquetRead } from 'hyparquet';
import { glob } from 'tinyglobby';
import { type ColumnMatch, matchColumns } from './match.js';

/** Power samples on one time line: instants ascending and distinct, one Float64Array (kW, NaN = missing) per column. */
export interface Telemetry {
  files: string[];
  times: Float64Array;
  power: Map<string, Float64Array>;
  /** Every column name that names an enclosure (no data is read from these). */
  enclosureColumns: string[];
  warnings: string[];
}

/** One file's samples: instants (NaN where a label did not resolve) and each power column in kW. */
export interface FileData {
  file: string;
  times: number[];
  power: Map<string, Float64Array>;
}

/** The most telemetry files one run reads unless `source.max_files` says otherwise (each costs memory). */
export const DEFAULT_MAX_FILES = 10_000;

/**
 * The telemetry files of a config: its globs, relative to the config file, sorted. More than
 * `source.max_files` (default 10,000) is LPT_CONFIG (exit 2) before any is read: 200,000 small files
 * once exhausted V8's heap (a crash, exit 134) after minutes of reading.
 */
export async function telemetryFiles(config: BessConfig): Promise<string[]> {
  const files = (await glob(config.source.paths, { cwd: config.baseDir, absolute: true, onlyFiles: true })).sort();
  const describe = `${config.source.paths.slice(0, 3).join(', ')}${config.source.paths.length > 3 ? ', …' : ''}`;
  if (!files.length)
    throw configError(
      config,
      'source.paths',
      `expected files matching ${describe} (relative to ${config.baseDir}), got none`,
    );
  const max = config.source.max_files ?? DEFAULT_MAX_FILES;
  if (files.length > max)
    throw configError(
      config,
      'source.paths',
      `expected at most ${max.toLocaleString('en')} files, got ${files.length.toLocaleString('en')} matching ${describe}; narrow the globs (e.g. one month per run), or raise source.max_files`,
    );
  return files;
}

function formatOf(config: BessConfig, file: string): 'csv' | 'parquet' {
  if (config.source.format) return config.source.format;
  const ext = path.extname(file).toLowerCase();
  if (ext === '.csv') return 'csv';
  if (ext === '.parquet' || ext === '.pq') return 'parquet';
  throw configError(
    config,
    'source.format',
    `expected csv or parquet (the extension of ${path.basename(file)} does not say which)`,
  );
}

/** A telemetry value as kW: numbers as they are; text parsed; empty, null or unreadable → NaN. */
function toKw(v: unknown): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') return Number(v);
  if (typeof v === 'string') return v.trim() === '' ? Number.NaN : Number(v);
  return Number.NaN;
}

/** One file's timestamp and matched power columns, raw, with each row's file line. */
interface RawColumns {
  names: string[];
  timestamps: unknown[];
  power: unknown[][];
  lines: number[];
  /** Column names that name an enclosure. */
  enclosures: string[];
}

function missingTimestamp(config: BessConfig, display: string) {
  return configError(
    config,
    'timestamp.column',
    `expected a column ${JSON.stringify(config.timestamp.column)} in ${display}, got none`,
  );
}

/** A CSV's timestamp and power columns, streamed with the other columns cut away. */
function readCsvColumnsOf(config: BessConfig, file: string, display: string): RawColumns {
  let matched: ColumnMatch = { power: [], enclosures: [] };
  const t = readCsvProjected(file, display, (header) => {
    const ts = header.indexOf(config.timestamp.column);
    if (ts < 0) throw missingTimestamp(config, display);
    matched = matchColumns(config, header);
    return [ts, ...matched.power];
  });
  return {
    names: t.indices.slice(1).map((i) => t.header[i]!),
    timestamps: t.columns[0]!,
    power: t.columns.slice(1),
    lines: t.lines,
    enclosures: matched.enclosures.map((i) => t.header[i]!),
  };
}

/** A Parquet file's timestamp and power columns, read by column. */
async function readParquetColumnsOf(config: BessConfig, file: string, display: string): Promise<RawColumns> {
  const buffer = await asyncBufferFromFile(file);
  const metadata = await parquetMetadataAsync(buffer);
  const all = metadata.schema.slice(1).map((s) => s.name);
  if (!all.includes(config.timestamp.column)) throw missingTimestamp(config, display);
  const matched = matchColumns(config, all);
  const names = matched.power.map((i) => all[i]!);
  const wanted = [config.timestamp.column, ...names];
  const data = new Map<string, unknown[]>(wanted.map((n) => [n, new Array(Number(metadata.num_rows))]));
  await parquetRead({
    file: buffer,
    metadata,
    columns: wanted,
    onChunk: ({ columnName, columnData, rowStart }) => {
      const target = data.get(columnName)!;
      for (let i = 0; i < columnData.length; i++) target[rowStart + i] = columnData[i];
    },
  });
  const timestamps = data.get(config.timestamp.column)!;
  return {
    names,
    timestamps,
    power: names.map((n) => data.get(n)!),
    lines: timestamps.map((_, i) => i + 1),
    enclosures: matched.enclosures.map((i) => all[i]!),
  };
}

/**
 * Timestamps → instants: Date/number as they are; text as naive local labels (the repeated hour by record order)
 * or ISO with an offset. Rows whose label does not resolve are NaN (skipped), with a warning.
 */
function resolveTimes(raw: RawColumns, clock: SiteClock, display: string, warnings: string[], after: number): number[] {
  const times = new Array<number>(raw.timestamps.length);
  const textIdx: number[] = [];
  raw.timestamps.forEach((v, i) => {
    if (v instanceof Date) times[i] = v.getTime();
    else if (typeof v === 'number' || typeof v === 'bigint') times[i] = Number(v);
    else textIdx.push(i);
  });
  if (!textIdx.length) return times;
  const labels = textIdx.map((i) => String(raw.timestamps[i] ?? ''));
  // the file's sample step, so a file that starts inside the repeated DST hour is placed in the right pass
  const walls = labels.slice(0, 200).map((l) => parseLabel(l)?.wall ?? Number.NaN);
  const step = medianStepMs(walls.filter((w) => !Number.isNaN(w)));
  const r = resolveStartInstants(labels, {
    clock,
    intervalMs: Number.isFinite(step) ? step : 60_000,
    lines: textIdx.map((i) => raw.lines[i]!),
  });
  textIdx.forEach((i, k) => {
    times[i] = r.start[k]!;
  });
  continueAfter(times, textIdx, r.startWall, r.startOffset, clock, after);
  if (r.problems.length) {
    const p = r.problems[0]!;
    warnings.push(
      `${display}: ${r.problems.length} row(s) with an unreadable or nonexistent timestamp skipped, e.g. line ${p.line} ${JSON.stringify('label' in p ? p.label : '')}`,
    );
  }
  return times;
}

/**
 * A file that begins inside the repeated DST hour and has nothing in itself to tell the pass (it ends before
 * the hour does) was put in the first pass. When the files read before it already reach past that, it
 * continues them: its leading naive labels that have a later reading take it, as far as they run in the first
 * pass. (A split at any sample, e.g. one file per hour, gives the time line of the unsplit telemetry.)
 */
function continueAfter(
  times: number[],
  textIdx: number[],
  walls: Float64Array,
  offsets: Float64Array,
  clock: SiteClock,
  after: number,
): void {
  const first = textIdx[0];
  if (first === undefined || !(times[first]! < after)) return;
  for (let k = 0; k < textIdx.length; k++) {
    if (!Number.isNaN(offsets[k]!) || Number.isNaN(walls[k]!)) return;
    const c = clock.candidates(walls[k]!);
    const i = textIdx[k]!;
    if (c.length < 2 || times[i] !== c[0]) return;
    if (c[c.length - 1]! < after) return;
    times[i] = c[c.length - 1]!;
  }
}

/**
 * One time line over all files: sorted (file order breaks ties), a repeated timestamp kept once — the first
 * file's row, with a warning when another file's differs — and only the instants in the range. Pure.
 */
export function mergeTimeline(
  perFile: FileData[],
  range: { from?: number; to?: number },
  clock: SiteClock,
  warnings: string[],
): { times: Float64Array; power: Map<string, Float64Array> } {
  const columnNames = [...new Set(perFile.flatMap((f) => [...f.power.keys()]))].sort();
  const refs: [number, number, number][] = [];
  perFile.forEach((f, fi) => {
    f.times.forEach((t, ri) => {
      if (Number.isNaN(t)) return;
      if ((range.from !== undefined && t < range.from) || (range.to !== undefined && t >= range.to)) return;
      refs.push([t, fi, ri]);
    });
  });
  refs.sort((a, b) => a[0] - b[0] || a[1] - b[1] || a[2] - b[2]);
  const value = (fi: number, ri: number, c: string) => perFile[fi]!.power.get(c)?.[ri] ?? Number.NaN;
  const keep: [number, number, number][] = [];
  let differing = 0;
  let firstDiffering = '';
  for (const r of refs) {
    const prev = keep[keep.length - 1];
    if (!prev || prev[0] !== r[0]) {
      keep.push(r);
      continue;
    }
    if (columnNames.every((c) => Object.is(value(prev[1], prev[2], c), value(r[1], r[2], c)))) continue;
    differing++;
    if (!firstDiffering) firstDiffering = `${clock.format(r[0])} (${perFile[prev[1]]!.file} vs ${perFile[r[1]]!.file})`;
  }
  if (differing)
    warnings.push(
      `${differing} timestamp(s) appear in several files with different values; the first file's row was kept, e.g. ${firstDiffering}`,
    );
  const power = new Map<string, Float64Array>();
  for (const c of columnNames)
    power.set(
      c,
      Float64Array.from(keep, (r) => value(r[1], r[2], c)),
    );
  return { times: Float64Array.from(keep, (r) => r[0]), power };
}

/**
 * Read the timestamp and the DC input power columns of every file (only those
 * columns: a wide export has thousands), resolve timestamps to instants in the
 * config zone, and merge the files into one time line. A timestamp repeated
 * across files with the same values is kept once; with different values the
 * first file's row is kept and a warning names the instant.
 */
export async function readTelemetry(
  config: BessConfig,
  clock: SiteClock,
  range: { from?: number; to?: number } = {},
  files?: string[],
  onProgress?: (done: number, total: number, rows: number) => void,
): Promise<Telemetry> {
  files ??= await telemetryFiles(config);
  const enclosureColumns = new Set<string>();
  const warnings: string[] = [];
  const perFile: FileData[] = [];
  let rows = 0;
  // the latest instant of the files read so far (a file that starts in the repeated hour continues them)
  let reached = Number.NEGATIVE_INFINITY;
  onProgress?.(0, files.length, 0);
  for (const file of files) {
    const display = path.relative(process.cwd(), file) || file;
    const raw =
      formatOf(config, file) === 'csv'
        ? readCsvColumnsOf(config, file, display)
        : await readParquetColumnsOf(config, file, display);
    for (const e of raw.enclosures) enclosureColumns.add(e);
    const times = resolveTimes(raw, clock, display, warnings, reached);
    for (const t of times) if (t > reached) reached = t;
    const power = new Map<string, Float64Array>();
    for (const [j, n] of raw.names.entries()) power.set(n, Float64Array.from(raw.power[j]!, toKw));
    perFile.push({ file: display, times, power });
    rows += times.length;
    onProgress?.(perFile.length, files.length, rows);
  }
  const { times, power } = mergeTimeline(perFile, range, clock, warnings);
  if (!power.size)
    throw configError(
      config,
      'power.regex',
      `expected DC input power columns matching ${config.power.regex}, got none in ${files.length} file(s)`,
    );
  if (!times.length)
    throw new LptError('LPT_INPUT_MISSING', 'telemetry — expected samples (in the --from/--to range), got none', {
      file: config.file,
    });
  return { files: perFile.map((f) => f.file), times, power, enclosureColumns: [...enclosureColumns].sort(), warnings };
}
