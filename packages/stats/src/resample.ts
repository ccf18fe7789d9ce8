import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  type Bucket,
  bucketEnergy,
  bucketMean,
  formatMicros,
  LptError,
  parseBucket,
  parseRange,
  type ResampledBucket,
  Resampler,
  ratioMicros,
  type SiteClock,
} from '@lptool/core';
import { AtomicFile, checkOutputPath, openSite, outputWriteError, type SiteOptions, skipDerived } from '@lptool/io';
import { duplicateNote, type PowerColumn, type Profile, readProfile } from '@lptool/profiles';

export interface ResampleOptions extends SiteOptions {
  /** The profile; `-` reads it from stdin (then `out` is required). */
  file: string;
  /** The bucket: 1h, 1d, 1mo, or a length that divides a day. */
  every: string;
  /** Only intervals starting in [from, to) (local date/time or ISO); buckets stay whole calendar buckets. */
  from?: string | undefined;
  to?: string | undefined;
  /** Output file; default `<dir of input>/resampled/<stem>_<every>.csv` (a subfolder: merge never takes it for a feeder); `-` is stdout. */
  out?: string | undefined;
}

export interface ResampleSummary {
  input: string;
  /** The file written, or `-` (stdout: the table is in `table`). */
  output: string;
  bucket: string;
  rows: number;
  partial: number;
  /** What the operator should know (stderr): duplicated rows taken once. */
  notes: string[];
  exitCode: 0;
  /** With `out: '-'`: the resampled CSV, for stdout. */
  table?: string;
}

/** The resampled table's layout: its header, and each bucket as its fields (exact: sums in millionths, half-up). */
function bucketTable(cols: PowerColumn[], intervalMs: number, clock: SiteClock) {
  const idx = (c: PowerColumn) => cols.indexOf(c);
  const hasDirections = idx('MW_del') >= 0 && idx('MW_rec') >= 0;
  const netMw = idx('MW_total') >= 0 ? idx('MW_total') : idx('MW_net');
  const netMva = idx('MVA_total') >= 0 ? idx('MVA_total') : idx('MVA_net');
  const header = [
    'Start Time',
    'End Time',
    ...cols,
    ...(hasDirections ? ['MWh_del', 'MWh_rec'] : []),
    'MWh_net',
    netMva >= 0 ? 'PF' : null,
    'intervals_present',
    'intervals_expected',
  ].filter((h): h is string => h !== null);
  const fields = (b: ResampledBucket): string[] => {
    const out = [clock.format(b.start), clock.format(b.end), ...cols.map((_, k) => formatMicros(bucketMean(b, k)))];
    const energy = (k: number) => formatMicros(bucketEnergy(b, k, intervalMs));
    if (hasDirections) out.push(energy(idx('MW_del')), energy(idx('MW_rec')));
    out.push(energy(netMw));
    // PF from the sums over the bucket, never an average of interval PFs
    if (netMva >= 0) {
      const pf = ratioMicros(b.sums[netMw]!.value, b.sums[netMva]!.value);
      out.push(pf === null ? '' : formatMicros(pf));
    }
    out.push(String(b.present), String(b.expected));
    return out;
  };
  return { header, fields };
}

/** A profile, checked: a profile (not lptool's own output), with an interval finer than the bucket. */
function readForResample(file: string, display: string, clock: SiteClock, bucket: Bucket, every: string): Profile {
  const { files, skipped } = skipDerived([file]);
  if (!files.length)
    throw new LptError('LPT_USAGE', `profile — expected a load profile, got lptool's ${skipped[0]!.kind} ${display}`, {
      file: display,
    });
  const p = readProfile(file, display, clock, { exact: true });
  if (!Number.isFinite(p.intervalMs))
    throw new LptError('LPT_INTERVAL_AMBIGUOUS', 'interval — expected rows with End Time after Start Time, got none', {
      file: display,
    });
  if (bucket.kind === 'fixed' && bucket.ms <= p.intervalMs) {
    throw new LptError(
      'LPT_USAGE',
      `--every — expected a length coarser than the profile's ${p.intervalMs / 60_000}m interval, got ${every}`,
      { key: '--every' },
    );
  }
  return p;
}

/**
 * Roll a profile up to coarser local-calendar buckets (SPEC-style columns):
 * mean of each power column, energy sums in MWh (delivered, received, net),
 * PF recomputed from the sums (never an average of PFs), and
 * intervals_present / intervals_expected so partial buckets show. Every
 * number is exact: sums of the values as written (in millionths), each
 * result rounded half-up once.
 */
export async function resample(o: ResampleOptions): Promise<ResampleSummary> {
  const { clock, layout } = openSite(o, []);
  const bucket = parseBucket(o.every, '--every');
  const range = parseRange(o.from, o.to, clock);
  // before stdin is read: a profile fed in with `< FILE` is an input too (its dev+inode), as a named one is
  const stdin = o.file === '-';
  if (o.out !== undefined && o.out !== '-')
    checkOutputPath(o.out, { flag: '--out', inputs: stdin ? [] : [o.file], stdin, root: layout.root });
  const input = inputOf(o);
  try {
    const p = readForResample(input.file, input.display, clock, bucket, o.every);
    const cols = [...p.columns.keys()];
    const r = new Resampler({ clock, intervalMs: p.intervalMs, bucket, columns: cols.length });
    const row = new Float64Array(cols.length);
    const values = cols.map((c) => p.columns.get(c)!);
    for (let i = 0; i < p.start.length; i++) {
      const t = p.start[i]!;
      if ((range.from !== undefined && t < range.from) || (range.to !== undefined && t >= range.to)) continue;
      for (let k = 0; k < cols.length; k++) row[k] = values[k]![i]!;
      r.push(t, row, !p.partial[i]);
    }
    const buckets = r.finish();
    const table = bucketTable(cols, p.intervalMs, clock);
    const lines = [table.header.join(','), ...buckets.map((b) => table.fields(b).join(','))];
    const output = outputOf(o, input.file);
    if (output !== '-') writeLines(output, lines, o.out);
    return {
      input: input.display,
      output: output === '-' ? '-' : path.relative(process.cwd(), output) || output,
      bucket: o.every,
      rows: buckets.length,
      partial: buckets.filter((b) => b.present < b.expected).length,
      notes: [duplicateNote(p)].filter((n): n is string => n !== null),
      exitCode: 0,
      ...(output === '-' ? { table: `${lines.join('\n')}\n` } : {}),
    };
  } finally {
    input.dispose();
  }
}

/** `--out` (`-`: stdout), else `resampled/<stem>_<every>.csv` beside the profile. */
function outputOf(o: ResampleOptions, file: string): string {
  if (o.out === '-') return '-';
  if (o.out) return path.resolve(o.out);
  return path.join(
    path.dirname(file),
    'resampled',
    `${path.basename(file).replace(/\.csv$/i, '')}_${o.every.trim()}.csv`,
  );
}

/** The profile to read: a file, or stdin (`-`) copied to a temp file, which has no folder to write beside. */
function inputOf(o: ResampleOptions): { file: string; display: string; dispose: () => void } {
  if (o.file !== '-') {
    const file = path.resolve(o.file);
    return { file, display: path.relative(process.cwd(), file) || file, dispose: () => {} };
  }
  if (!o.out)
    throw new LptError(
      'LPT_USAGE',
      '--out — expected an output for a profile read from stdin (a file, or - for stdout), got none',
      { key: '--out' },
    );
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lptool-resample-'));
  const file = path.join(dir, 'stdin.csv');
  fs.writeFileSync(file, fs.readFileSync(0));
  return { file, display: 'stdin', dispose: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

/** The table as one file, written whole or not at all (a write refused at --out is said as such). */
function writeLines(output: string, lines: string[], flagged: string | undefined): void {
  const out = new AtomicFile(output);
  try {
    for (const l of lines) out.write(`${l}\n`);
    out.commit();
  } catch (e) {
    out.abort();
    throw (flagged !== undefined && outputWriteError(e, '--out', flagged)) || e;
  }
}

/** The human line of a resample run. */
export function formatResampleSummary(r: ResampleSummary): string {
  return `resample ${r.input} → ${r.output}: ${r.rows} buckets of ${r.bucket}, ${r.partial} partial (intervals_present < intervals_expected)`;
}
