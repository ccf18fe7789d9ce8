import fs from 'node:fs';
import path from 'node:path';
import {
  checkPictureSize,
  formatIsoDuration,
  formatShortDuration,
  GapScanner,
  LptError,
  parseDuration,
  parseRange,
  type ScanOptions,
  type ScanReport,
  type SiteClock,
  type TimeRange,
} from '@lptool/core';
import {
  AtomicFile,
  checkOutputPath,
  createLogger,
  type Logger,
  openSite,
  realPathOf,
  type SettingFlags,
  type SkippedInput,
  skipDerived,
  skippedNote,
} from '@lptool/io';
import type { PlotFormat } from '@lptool/plot';
import { type Profile, readProfile } from '@lptool/profiles';

export interface GapsOptions extends Omit<SettingFlags, 'interval'> {
  root: string;
  /** Profiles to check; none: every lp/*.csv of the root (all.csv included, gap lists not). */
  files: string[];
  /** Interval length; inferred from the data (the most common step) when absent. */
  interval?: string | undefined;
  from?: string | undefined;
  to?: string | undefined;
  /** Draw `<stem>_gaps.<format>` beside each profile's gap list, or no picture (null). */
  picture: PlotFormat | null;
  /**
   * The folder for the gap lists and pictures instead of beside each profile. Required by a ranged or
   * reparameterised run (--from/--to, --interval, --partial-as-gap), and then not a folder of a profile checked:
   * `<stem>_gaps.csv` beside a profile is the site's gap list, which such a run must not replace.
   */
  out?: string | undefined;
  width: number;
  height: number;
  scale: number;
  /** all.csv: intervals with feeders_reporting < feeders_expected count as gaps. */
  partialAsGap: boolean;
  failOnGaps: boolean;
  env?: NodeJS.ProcessEnv;
}

export interface ProfileGaps {
  file: string;
  output: string;
  picture?: string;
  intervalMs: number;
  rows: number;
  first: string | null;
  last: string | null;
  gaps: { gap_start: string; gap_end: string; gap_duration: string; missing_intervals: number; misaligned: boolean }[];
  missingIntervals: number;
  duplicates: { line: number; start: string }[];
  /** Rows out of place (the fewest that leave the rest in time order); `after`: the start of the row above it in the file (null at the top). */
  outOfOrder: { line: number; start: string; after: string | null }[];
  /** all.csv intervals (in the range) where fewer feeders reported than expected: incomplete totals. */
  partial: number;
  /** Those intervals as runs: [start, end) and how many intervals each holds. */
  partialRanges: { start: string; end: string; intervals: number }[];
}

export interface GapsSummary {
  profiles: ProfileGaps[];
  /** lptool's own outputs among the files given (gap lists, pictures …): not profiles, skipped. */
  skipped: SkippedInput[];
  /** What the command wants the operator to know (stderr). */
  notes: string[];
  exitCode: 0 | 1;
}

export const GAP_COLUMNS = ['gap_start', 'gap_end', 'gap_duration', 'missing_intervals'] as const;

/** One `lptool gaps` run (SPEC §6): each profile through the gap engine, its gap list (and picture) beside it. */
export async function gaps(options: GapsOptions): Promise<GapsSummary> {
  // (--interval is the profiles' interval here, not the site's: it is not a setting of gaps)
  const { layout, settings, clock } = openSite(
    { root: options.root, tz: options.tz, clock: options.clock, env: options.env },
    [],
  );
  const range = parseRange(options.from, options.to, clock);
  if (options.picture) checkPictureSize(options.width, options.height, options.scale);
  const given = options.files.length > 0;
  const candidates = given ? options.files.map((f) => path.resolve(f)) : defaultProfiles(layout.lp);
  const { files, skipped } = skipDerived(candidates);
  const note = given ? skippedNote(skipped, shown) : null;
  if (!files.length)
    throw new LptError(
      'LPT_INPUT_MISSING',
      `profiles — expected load profiles to check (e.g. lp/south.csv), got ${note ? `only ${note.replace(/^skipped /, '')}` : `none in ${layout.lp}`}`,
    );
  const intervalMs = options.interval ? parseDuration(options.interval, '--interval') : undefined;
  const target = outputsOf(options, files, layout.root);
  const log = createLogger(layout.logs, 'gaps', { cmd: 'gaps' });
  log.info({ event: 'start', files: files.map(shown) }, 'gaps started');
  const summary: GapsSummary = {
    profiles: [],
    skipped: given ? skipped.map((s) => ({ file: shown(s.file), kind: s.kind })) : [],
    notes: note ? [note] : [],
    exitCode: 0,
  };
  for (const file of files) {
    const series = readProfile(file, shown(file), clock, {
      columns: ['MW_net'],
      intervalHint: intervalMs ?? settings.intervalMs,
      // gaps lists duplicates, also those that differ (which every command that computes numbers refuses)
      conflicts: 'list',
    });
    const conflicts = conflictNote(series, clock);
    if (conflicts) summary.notes.push(conflicts);
    const report = scan(series, { intervalMs, ...range, partialAsGap: options.partialAsGap });
    writeGapList(target(file), report, clock);
    const result = profileGaps(target(file), series, report, clock, range);
    if (options.picture)
      result.picture = shown(
        await drawGapPicture(target(file), series, report, clock, { ...options, picture: options.picture }, range),
      );
    logProfile(log, result);
    summary.profiles.push(result);
  }
  const flagged = summary.profiles.some((p) => p.gaps.length || p.duplicates.length || p.outOfOrder.length);
  summary.exitCode = options.failOnGaps && flagged ? 1 : 0;
  return summary;
}

/** The note for a profile with rows of one interval that differ, or null. */
function conflictNote(p: Profile, clock: SiteClock): string | null {
  const c = p.duplicates.conflicts;
  if (!c.length) return null;
  const first = c[0]!;
  return `${p.file}: ${c.length} interval${c.length > 1 ? 's' : ''} with rows that differ (e.g. ${clock.format(first.start)}, lines ${first.lines[0]} and ${first.lines[1]}: ${first.column} ${first.values[0]} vs ${first.values[1]}) — stats, resample and merge refuse this profile until the wrong rows are removed`;
}

/**
 * Where a profile's outputs go, as the profile's path there (`<stem>_gaps.csv` and the picture are named from it):
 * beside the profile, or in --out. A ranged or reparameterised run needs --out, never a folder of a profile checked
 * (its gap list there is the site's, which cron and people read), and two profiles of one name cannot share it.
 */
function outputsOf(options: GapsOptions, files: string[], root: string): (file: string) => string {
  const changed = [
    options.from !== undefined || options.to !== undefined ? '--from/--to' : null,
    options.interval ? '--interval' : null,
    options.partialAsGap ? '--partial-as-gap' : null,
  ].filter((x): x is string => x !== null);
  if (!options.out) {
    if (changed.length)
      throw new LptError(
        'LPT_USAGE',
        `--out — expected a folder for the gap lists of a run with ${changed.join(', ')} (the list beside each profile is the site's), got none`,
        { key: '--out' },
      );
    return (file) => file;
  }
  const dir = path.resolve(options.out);
  const own = files.find((f) => path.dirname(f) === dir);
  if (changed.length && own)
    throw new LptError(
      'LPT_USAGE',
      `--out — expected a folder other than the profiles' for a run with ${changed.join(', ')}, got ${shown(dir)}, which holds ${shown(own)} and its gap list`,
      { key: '--out' },
    );
  const names = new Map<string, string>();
  for (const f of files) {
    const other = names.get(path.basename(f));
    if (other)
      throw new LptError(
        'LPT_USAGE',
        `--out — expected profiles of different names for one folder, got ${shown(other)} and ${shown(f)}`,
        { key: '--out' },
      );
    names.set(path.basename(f), f);
  }
  // the files it will write there pass io's output guard: never an input, nor a file under data/ or _dropbox/, nor
  // a gap list of the site's lp/ — but for a profile of that very folder, whose list there is this (plain) run's own
  // (only that name is let through: such a folder under data/ or _dropbox/ is refused as for any other profile)
  const home = realPathOf(dir);
  for (const f of files)
    for (const suffix of ['_gaps.csv', '_gaps.png', '_gaps.svg', '_gaps.vl.json'])
      checkOutputPath(path.join(dir, path.basename(f).replace(/\.csv$/i, suffix)), {
        flag: '--out',
        inputs: files,
        gapFiles: realPathOf(path.dirname(f)) === home,
        root,
      });
  fs.mkdirSync(dir, { recursive: true });
  return (file) => path.join(dir, path.basename(file));
}

/** A path as the operator gave it: relative to the working folder. */
const shown = (f: string) => path.relative(process.cwd(), f) || f;
const gapFile = (file: string) => `${file.replace(/\.csv$/i, '')}_gaps.csv`;

/** A profile's rows, in the file's order, through the gap engine; an interval that cannot be inferred is exit 2. */
function scan(series: Profile, options: ScanOptions): ScanReport {
  const scanner = new GapScanner(options);
  const { record } = series;
  scanner.pushRows({ start: record.start, end: recordEnds(series), line: record.lines, partial: record.partial });
  const report = scanner.finish();
  if (!Number.isFinite(report.intervalMs))
    throw new LptError(
      'LPT_INTERVAL_AMBIGUOUS',
      `interval — expected one most common step between rows, got ${series.start.length < 2 ? 'too few rows' : 'a tie'}; give --interval (e.g. 15m)`,
      { file: series.file },
    );
  return report;
}

/** The End Time of each row in the file's order (the reader gives them in time order, each with its line). */
function recordEnds(series: Profile): Float64Array {
  if (series.record.start === series.start) return series.end;
  const byLine = new Map<number, number>();
  for (const [k, line] of series.lines.entries()) byLine.set(line, series.end[k]!);
  return Float64Array.from(series.record.lines, (line) => byLine.get(line)!);
}

/** `<stem>_gaps.csv` beside the profile (SPEC §6), written whole or not at all. */
function writeGapList(file: string, report: ScanReport, clock: SiteClock): void {
  const out = new AtomicFile(gapFile(file));
  try {
    out.write(`${GAP_COLUMNS.join(',')}\n`);
    for (const g of report.gaps)
      out.write(
        `${clock.format(g.gapStart)},${clock.format(g.gapEnd)},${formatIsoDuration(g.gapEnd - g.gapStart)},${g.missingIntervals}\n`,
      );
    out.commit();
  } catch (e) {
    out.abort();
    throw e;
  }
}

/** An instant inside --from/--to (every instant when no range is given). */
const within =
  ({ from, to }: TimeRange) =>
  (t: number) =>
    (from === undefined || t >= from) && (to === undefined || t < to);

/**
 * What the summary says of one profile: what was scanned — with --from/--to the rows, duplicates and rows out of
 * order whose start is in the range, as the gaps and the first/last are.
 */
function profileGaps(
  file: string,
  series: Profile,
  report: ScanReport,
  clock: SiteClock,
  range: TimeRange,
): ProfileGaps {
  const { intervalMs } = report;
  const inRange = within(range);
  return {
    file: series.file,
    output: shown(gapFile(file)),
    intervalMs,
    rows: series.record.start.filter(inRange).length,
    first: Number.isNaN(report.first) ? null : clock.format(report.first),
    last: Number.isNaN(report.last) ? null : clock.format(report.last + intervalMs),
    gaps: report.gaps.map((g) => ({
      gap_start: clock.format(g.gapStart),
      gap_end: clock.format(g.gapEnd),
      gap_duration: formatIsoDuration(g.gapEnd - g.gapStart),
      missing_intervals: g.missingIntervals,
      misaligned: g.misaligned,
    })),
    missingIntervals: report.missing,
    duplicates: report.duplicates
      .filter((d) => inRange(d.instant))
      .map((d) => ({ line: d.line, start: clock.format(d.instant) })),
    outOfOrder: report.outOfOrder
      .filter((d) => inRange(d.instant))
      .map((d) => ({
        line: d.line,
        start: clock.format(d.instant),
        after: Number.isNaN(d.previous) ? null : clock.format(d.previous),
      })),
    partial: report.partialRuns.reduce((a, r) => a + r.intervals, 0),
    partialRanges: report.partialRuns.map((r) => ({
      start: clock.format(r.start),
      end: clock.format(r.end),
      intervals: r.intervals,
    })),
  };
}

function logProfile(log: Logger, p: ProfileGaps): void {
  log.info(
    {
      event: 'gaps',
      file: p.file,
      intervalMs: p.intervalMs,
      rows: p.rows,
      gaps: p.gaps.length,
      missing: p.missingIntervals,
      duplicates: p.duplicates.length,
      outOfOrder: p.outOfOrder.length,
      partial: p.partial,
    },
    `${p.file}: ${p.gaps.length} gaps`,
  );
}

function defaultProfiles(lpDir: string): string[] {
  if (!fs.existsSync(lpDir)) return [];
  return fs
    .readdirSync(lpDir)
    .filter((f) => /\.csv$/i.test(f) && !f.startsWith('.') && !/_gaps\.csv$/i.test(f))
    .sort()
    .map((f) => path.join(lpDir, f));
}

/** `<stem>_gaps.<format>` beside the profile: MW_net in the range, gaps in red, partial totals in amber. */
async function drawGapPicture(
  file: string,
  series: Profile,
  report: ScanReport,
  clock: SiteClock,
  options: Pick<GapsOptions, 'width' | 'height' | 'scale'> & { picture: PlotFormat },
  range: TimeRange,
): Promise<string> {
  const inRange = within(range);
  const keep = series.start.map((t) => (inRange(t) ? 1 : 0));
  const { gapPlotSpec, renderSpec } = await import('@lptool/plot'); // vega loads only when a picture is wanted (~0.2 s)
  const spec = gapPlotSpec({
    name: path.basename(file).replace(/\.csv$/i, ''),
    times: series.start.filter((_, i) => keep[i]),
    values: series.columns.get('MW_net')!.filter((_, i) => keep[i]),
    gaps: report.gaps.map((g) => ({ start: g.gapStart, end: g.gapEnd })),
    partial: report.partialRuns.map((r) => ({ start: r.start, end: r.end })),
    clock,
    width: options.width,
    height: options.height,
  });
  const picture = `${file.replace(/\.csv$/i, '')}_gaps.${options.picture}`;
  const bytes = await renderSpec(spec, { format: options.picture, scale: options.scale });
  const pic = new AtomicFile(picture);
  pic.writeBytes(bytes);
  pic.commit();
  return picture;
}

/** Human summary: one line per profile, then its gaps (the first few) and row problems. */
/**
 * The human summary: a line per profile, then its partial runs and — unless `problems` says they are told apart
 * (--fail-on-gaps: `gapsProblems`' lines on stderr) — its gaps, duplicates and rows out of order.
 */
export function formatGapsSummary(s: GapsSummary, options: { problemsApart?: boolean } = {}): string {
  const out: string[] = [];
  for (const p of s.profiles) {
    out.push(
      `${p.file}: ${p.rows} rows at ${formatShortDuration(p.intervalMs)}, ${p.first ?? '—'} → ${p.last ?? '—'}: ${p.gaps.length} gap${p.gaps.length === 1 ? '' : 's'} (${p.missingIntervals} intervals missing), ${p.duplicates.length} duplicate, ${p.outOfOrder.length} out of order${p.partial ? `, ${p.partial} partial totals (feeders_reporting < feeders_expected)` : ''} → ${p.output}${p.picture ? `, ${p.picture}` : ''}`,
    );
    for (const r of p.partialRanges.slice(0, 5)) out.push(`  partial ${r.start} → ${r.end} (${r.intervals} intervals)`);
    if (p.partialRanges.length > 5) out.push(`  … ${p.partialRanges.length - 5} more partial runs`);
    if (!options.problemsApart) out.push(...findings(p).map((l) => `  ${l}`));
  }
  return out.join('\n');
}

/** A profile's gaps (the first 10), duplicates and rows out of order (the first 5 of each), a line each. */
function findings(p: ProfileGaps): string[] {
  const out: string[] = [];
  for (const g of p.gaps.slice(0, 10))
    out.push(
      `gap ${g.gap_start} → ${g.gap_end} ${g.gap_duration} (${g.missing_intervals} missing)${g.misaligned ? ' misaligned' : ''}`,
    );
  if (p.gaps.length > 10) out.push(`… ${p.gaps.length - 10} more in ${p.output}`);
  for (const d of p.duplicates.slice(0, 5)) out.push(`duplicate ${d.start}${d.line ? ` (line ${d.line})` : ''}`);
  for (const d of p.outOfOrder.slice(0, 5))
    out.push(
      `out of order ${d.start} ${d.after === null ? 'at the top of the file' : `after ${d.after}`}${d.line ? ` (line ${d.line})` : ''}`,
    );
  return out;
}

/** Gaps, duplicates and rows out of order as problems (--fail-on-gaps): `gaps: lp/north.csv: gap … (96 missing)`. */
export function gapsProblems(s: GapsSummary): string[] {
  return s.profiles.flatMap((p) => findings(p).map((l) => `gaps: ${p.file}: ${l}`));
}
