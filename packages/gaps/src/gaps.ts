import fs from 'node:fs';
import path from 'node:path';
import {
  analyzeSeries,
  checkPictureSize,
  formatIsoDuration,
  formatShortDuration,
  inferIntervalMs,
  LptError,
  parseDuration,
  parseRange,
  type SeriesReport,
  SiteClock,
} from '@lptool/core';
import {
  AtomicFile,
  createLogger,
  loadSettings,
  type SettingFlags,
  type SkippedInput,
  siteLayout,
  skipDerived,
  skippedNote,
} from '@lptool/io';
import type { PlotFormat } from '@lptool/plot';
import { type Profile, readProfile } from '@lptool/profiles';

export interface GapsOptions extends Omit<SettingFlags, 'interval'> {
  root: string;
  /** Profiles to check (default: lp/*.csv of the root, not all/gaps files… all.csv included). */
  files?: string[];
  /** Interval length; inferred from the data (the most common step) when absent. */
  interval?: string | undefined;
  from?: string | undefined;
  to?: string | undefined;
  png?: boolean;
  format?: PlotFormat;
  width?: number;
  height?: number;
  scale?: number;
  /** all.csv: intervals with feeders_reporting < feeders_expected count as gaps. */
  partialAsGap?: boolean;
  failOnGaps?: boolean;
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
  outOfOrder: { line: number; start: string; after: string }[];
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

/** One `lptool gaps` run (SPEC §6). */
export async function gaps(options: GapsOptions): Promise<GapsSummary> {
  const layout = siteLayout(options.root);
  const settings = loadSettings(layout.settings, { tz: options.tz, clock: options.clock }, options.env);
  const clock = new SiteClock(settings.timezone, settings.clock);
  const { from, to } = parseRange(options.from, options.to, clock);
  const drawing = Boolean(options.png || (options.format && options.format !== 'png'));
  if (drawing) checkPictureSize(options.width ?? 1000, options.height ?? 360, options.scale ?? 1);
  const given = Boolean(options.files?.length);
  const candidates = given ? options.files!.map((f) => path.resolve(f)) : defaultProfiles(layout.lp);
  const { files, skipped } = skipDerived(candidates);
  const show = (f: string) => path.relative(process.cwd(), f) || f;
  const note = given ? skippedNote(skipped, show) : null;
  if (!files.length)
    throw new LptError(
      'LPT_INPUT_MISSING',
      `profiles — expected load profiles to check (e.g. lp/south.csv), got ${note ? `only ${note.replace(/^skipped /, '')}` : `none in ${layout.lp}`}`,
    );
  const intervalFlag = options.interval ? parseDuration(options.interval, '--interval') : undefined;
  const log = createLogger(layout.logs, 'gaps', { cmd: 'gaps' });
  log.info({ event: 'start', files: files.map(show) }, 'gaps started');
  const summary: GapsSummary = {
    profiles: [],
    skipped: given ? skipped.map((s) => ({ file: show(s.file), kind: s.kind })) : [],
    notes: note ? [note] : [],
    exitCode: 0,
  };
  for (const file of files) {
    const display = show(file);
    const series = readSeries(file, display, clock, intervalFlag ?? settings.intervalMs);
    const intervalMs = intervalFlag ?? inferIntervalMs(series.start);
    if (!Number.isFinite(intervalMs)) {
      throw new LptError(
        'LPT_INTERVAL_AMBIGUOUS',
        `interval — expected one most common step between rows, got ${series.start.length < 2 ? 'too few rows' : 'a tie'}; give --interval (e.g. 15m)`,
        { file: display },
      );
    }
    // record order, so duplicates and rows out of order are reported where the file has them
    const rec = series.record;
    const dropped = options.partialAsGap ? rec.partial : null;
    const present = dropped ? rec.start.filter((_, i) => !dropped[i]) : rec.start;
    const presentLines = dropped ? rec.lines.filter((_, i) => !dropped[i]) : rec.lines;
    const report: SeriesReport = analyzeSeries(present, {
      intervalMs,
      ...(from !== undefined ? { from } : {}),
      ...(to !== undefined ? { to } : {}),
    });
    const output = `${file.replace(/\.csv$/i, '')}_gaps.csv`;
    const out = new AtomicFile(output);
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
    const lineOf = (index: number) => presentLines[index] ?? index + 2;
    const partialRuns = options.partialAsGap ? [] : partialRanges(series, intervalMs, from, to);
    const result: ProfileGaps = {
      file: display,
      output: path.relative(process.cwd(), output) || output,
      intervalMs,
      rows: series.start.length,
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
      duplicates: report.duplicates.map((d) => ({ line: lineOf(d.index), start: clock.format(d.instant) })),
      outOfOrder: report.outOfOrder.map((d) => ({
        line: lineOf(d.index),
        start: clock.format(d.instant),
        after: clock.format(d.previous),
      })),
      partial: partialRuns.reduce((a, r) => a + r.intervals, 0),
      partialRanges: partialRuns.map((r) => ({
        start: clock.format(r.start),
        end: clock.format(r.end),
        intervals: r.intervals,
      })),
    };
    if (drawing) {
      const picture = await drawGapPicture(file, series, report, partialRuns, clock, options, { from, to });
      result.picture = path.relative(process.cwd(), picture) || picture;
    }
    log.info(
      {
        event: 'gaps',
        file: display,
        intervalMs,
        rows: result.rows,
        gaps: result.gaps.length,
        missing: result.missingIntervals,
        duplicates: result.duplicates.length,
        outOfOrder: result.outOfOrder.length,
        partial: result.partial,
      },
      `${display}: ${result.gaps.length} gaps`,
    );
    summary.profiles.push(result);
  }
  const flagged = summary.profiles.some((p) => p.gaps.length || p.duplicates.length || p.outOfOrder.length);
  summary.exitCode = options.failOnGaps && flagged ? 1 : 0;
  return summary;
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
  report: SeriesReport,
  partialRuns: { start: number; end: number }[],
  clock: SiteClock,
  options: GapsOptions,
  range: { from: number | undefined; to: number | undefined },
): Promise<string> {
  const format = options.format ?? 'png';
  const { from, to } = range;
  const inRange = (t: number) => (from === undefined || t >= from) && (to === undefined || t < to);
  const keep = series.start.map((t) => (inRange(t) ? 1 : 0));
  const { gapPlotSpec, renderSpec } = await import('@lptool/plot'); // vega loads only when a picture is wanted (~0.2 s)
  const spec = gapPlotSpec({
    name: path.basename(file).replace(/\.csv$/i, ''),
    times: series.start.filter((_, i) => keep[i]),
    values: series.columns.get('MW_net')!.filter((_, i) => keep[i]),
    gaps: report.gaps.map((g) => ({ start: g.gapStart, end: g.gapEnd })),
    partial: partialRuns.map((r) => ({ start: r.start, end: r.end })),
    clock,
    ...(options.width ? { width: options.width } : {}),
    ...(options.height ? { height: options.height } : {}),
  });
  const picture = `${file.replace(/\.csv$/i, '')}_gaps.${format}`;
  const bytes = await renderSpec(spec, { format, scale: options.scale ?? 1 });
  const pic = new AtomicFile(picture);
  pic.writeBytes(bytes);
  pic.commit();
  return picture;
}

/** Start instants and MW_net of a profile (in time order; `record` keeps the file's order for the row report). */
function readSeries(file: string, display: string, clock: SiteClock, intervalHint: number): Profile {
  return readProfile(file, display, clock, { columns: ['MW_net'], intervalHint });
}

/** all.csv's incomplete totals (feeders_reporting < feeders_expected) inside the range, as runs of adjacent intervals. */
function partialRanges(
  p: Profile,
  intervalMs: number,
  from: number | undefined,
  to: number | undefined,
): { start: number; end: number; intervals: number }[] {
  const runs: { start: number; end: number; intervals: number }[] = [];
  let previous = Number.NaN;
  for (let i = 0; i < p.start.length; i++) {
    const s = p.start[i]!;
    if (!p.partial[i] || s === previous || (from !== undefined && s < from) || (to !== undefined && s >= to)) continue;
    previous = s; // (a duplicated row counts once)
    const e = Number.isNaN(p.end[i]!) ? s + intervalMs : p.end[i]!;
    const last = runs[runs.length - 1];
    if (last && last.end === s) {
      last.end = e;
      last.intervals++;
    } else runs.push({ start: s, end: e, intervals: 1 });
  }
  return runs;
}

/** Human summary: one line per profile, then its gaps (the first few) and row problems. */
export function formatGapsSummary(s: GapsSummary): string {
  const out: string[] = [];
  for (const p of s.profiles) {
    out.push(
      `${p.file}: ${p.rows} rows at ${formatShortDuration(p.intervalMs)}, ${p.first ?? '—'} → ${p.last ?? '—'}: ${p.gaps.length} gap${p.gaps.length === 1 ? '' : 's'} (${p.missingIntervals} intervals missing), ${p.duplicates.length} duplicate, ${p.outOfOrder.length} out of order${p.partial ? `, ${p.partial} partial totals (feeders_reporting < feeders_expected)` : ''} → ${p.output}${p.picture ? `, ${p.picture}` : ''}`,
    );
    for (const r of p.partialRanges.slice(0, 5)) out.push(`  partial ${r.start} → ${r.end} (${r.intervals} intervals)`);
    if (p.partialRanges.length > 5) out.push(`  … ${p.partialRanges.length - 5} more partial runs`);
    for (const g of p.gaps.slice(0, 10))
      out.push(
        `  gap ${g.gap_start} → ${g.gap_end} ${g.gap_duration} (${g.missing_intervals} missing)${g.misaligned ? ' misaligned' : ''}`,
      );
    if (p.gaps.length > 10) out.push(`  … ${p.gaps.length - 10} more in ${p.output}`);
    for (const d of p.duplicates.slice(0, 5)) out.push(`  duplicate ${d.start}${d.line ? ` (line ${d.line})` : ''}`);
    for (const d of p.outOfOrder.slice(0, 5))
      out.push(`  out of order ${d.start} after ${d.after}${d.line ? ` (line ${d.line})` : ''}`);
  }
  return out.join('\n');
}
