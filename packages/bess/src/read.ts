import path from 'node:path';
import { LptError, medianStepMs, parseLabel, resolveStartInstants, type SiteClock } from '@lptool/core';
import { readCsvProjected } from '@lptool/io';
import { asyncBufferFromFile, parquetMetadataAsync, parquetRead } from 'hyparquet';
import { glob } from 'tinyglobby';
import { type BessConfig, configError } from './config.js';
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

interface FileData {
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
): Promise<Telemetry> {
  files ??= await telemetryFiles(config);
  const enclosureColumns = new Set<string>();
  const warnings: string[] = [];
  const perFile: FileData[] = [];
  for (const file of files) {
    const display = path.relative(process.cwd(), file) || file;
    const format = formatOf(config, file);
    let names: string[] = [];
    let tsRaw: unknown[] = [];
    let powerRaw: unknown[][] = [];
    let lines: number[] = [];
    if (format === 'csv') {
      let matched: ColumnMatch = { power: [], enclosures: [] };
      const t = readCsvProjected(file, display, (header) => {
        names = header;
        const ts = header.indexOf(config.timestamp.column);
        if (ts < 0)
          throw configError(
            config,
            'timestamp.column',
            `expected a column ${JSON.stringify(config.timestamp.column)} in ${display}, got none`,
          );
        matched = matchColumns(config, header);
        return [ts, ...matched.power];
      });
      tsRaw = t.columns[0]!;
      powerRaw = t.columns.slice(1);
      names = t.indices.slice(1).map((i) => t.header[i]!);
      for (const i of matched.enclosures) enclosureColumns.add(t.header[i]!);
      lines = t.lines;
    } else {
      const buffer = await asyncBufferFromFile(file);
      const metadata = await parquetMetadataAsync(buffer);
      const all = metadata.schema.slice(1).map((s) => s.name);
      if (!all.includes(config.timestamp.column))
        throw configError(
          config,
          'timestamp.column',
          `expected a column ${JSON.stringify(config.timestamp.column)} in ${display}, got none`,
        );
      const matched = matchColumns(config, all);
      names = matched.power.map((i) => all[i]!);
      for (const i of matched.enclosures) enclosureColumns.add(all[i]!);
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
      tsRaw = data.get(config.timestamp.column)!;
      powerRaw = names.map((n) => data.get(n)!);
      lines = tsRaw.map((_, i) => i + 1);
    }
    // timestamps: Date/number as instants; text as naive local labels (repeated hour by record order) or ISO with offset
    const times = new Array<number>(tsRaw.length);
    const textIdx: number[] = [];
    tsRaw.forEach((v, i) => {
      if (v instanceof Date) times[i] = v.getTime();
      else if (typeof v === 'number' || typeof v === 'bigint') times[i] = Number(v);
      else textIdx.push(i);
    });
    if (textIdx.length) {
      const labels = textIdx.map((i) => String(tsRaw[i] ?? ''));
      // the file's sample step, so a file that starts inside the repeated DST hour is placed in the right pass
      const walls = labels.slice(0, 200).map((l) => parseLabel(l)?.wall ?? Number.NaN);
      const step = medianStepMs(walls.filter((w) => !Number.isNaN(w)));
      const r = resolveStartInstants(labels, {
        clock,
        intervalMs: Number.isFinite(step) ? step : 60_000,
        lines: textIdx.map((i) => lines[i]!),
      });
      textIdx.forEach((i, k) => {
        times[i] = r.start[k]!;
      });
      if (r.problems.length) {
        const p = r.problems[0]!;
        warnings.push(
          `${display}: ${r.problems.length} row(s) with an unreadable or nonexistent timestamp skipped, e.g. line ${p.line} ${JSON.stringify('label' in p ? p.label : '')}`,
        );
      }
    }
    const power = new Map<string, Float64Array>();
    for (const [j, n] of names.entries()) power.set(n, Float64Array.from(powerRaw[j]!, toKw));
    perFile.push({ file: display, times, power });
  }

  // one time line over all files: sort (file order breaks ties), drop repeats, note differing repeats
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
    if (prev && prev[0] === r[0]) {
      const same = columnNames.every((c) => Object.is(value(prev[1], prev[2], c), value(r[1], r[2], c)));
      if (!same) {
        differing++;
        if (!firstDiffering)
          firstDiffering = `${clock.format(r[0])} (${perFile[prev[1]]!.file} vs ${perFile[r[1]]!.file})`;
      }
      continue;
    }
    keep.push(r);
  }
  if (differing)
    warnings.push(
      `${differing} timestamp(s) appear in several files with different values; the first file's row was kept, e.g. ${firstDiffering}`,
    );
  const times = Float64Array.from(keep, (r) => r[0]);
  const power = new Map<string, Float64Array>();
  for (const c of columnNames)
    power.set(
      c,
      Float64Array.from(keep, (r) => value(r[1], r[2], c)),
    );
  if (!columnNames.length)
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
