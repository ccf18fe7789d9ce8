import path from 'node:path';
import {
  type Bucket,
  bucketEnergy,
  bucketMean,
  formatMicros,
  LptError,
  parseBucket,
  type ResampledBucket,
  Resampler,
  ratioMicros,
  type SiteClock,
} from '@lptool/core';
import { AtomicFile, checkOutputPath, openSite, outputWriteError, type SiteOptions, skipDerived } from '@lptool/io';
import { duplicateNote, type PowerColumn, type Profile, readProfile } from '@lptool/profiles';

export interface ResampleOptions extends SiteOptions {
  file: string;
  /** 1h, 1d, 1mo, or a length that divides a day. */
  to: string;
  /** Output file; default `<dir of input>/resampled/<stem>_<to>.csv` (a subfolder: merge never takes it for a feeder). */
  out?: string | undefined;
}

export interface ResampleSummary {
  input: string;
  output: string;
  bucket: string;
  rows: number;
  partial: number;
  /** What the operator should know (stderr): duplicated rows taken once. */
  notes: string[];
  exitCode: 0;
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
function readForResample(file: string, display: string, clock: SiteClock, bucket: Bucket, to: string): Profile {
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
      `--to — expected a length coarser than the profile's ${p.intervalMs / 60_000}m interval, got ${to}`,
      { key: '--to' },
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
  const file = path.resolve(o.file);
  const display = path.relative(process.cwd(), file) || file;
  const bucket = parseBucket(o.to, '--to');
  if (o.out !== undefined) checkOutputPath(o.out, { flag: '--out', inputs: [file], root: layout.root });
  const p = readForResample(file, display, clock, bucket, o.to);
  const cols = [...p.columns.keys()];
  const r = new Resampler({ clock, intervalMs: p.intervalMs, bucket, columns: cols.length });
  const row = new Float64Array(cols.length);
  const values = cols.map((c) => p.columns.get(c)!);
  for (let i = 0; i < p.start.length; i++) {
    for (let k = 0; k < cols.length; k++) row[k] = values[k]![i]!;
    r.push(p.start[i]!, row, !p.partial[i]);
  }
  const buckets = r.finish();
  const table = bucketTable(cols, p.intervalMs, clock);
  const stem = path.basename(file).replace(/\.csv$/i, '');
  const output = o.out ? path.resolve(o.out) : path.join(path.dirname(file), 'resampled', `${stem}_${o.to.trim()}.csv`);
  try {
    writeBuckets(output, table, buckets);
  } catch (e) {
    throw (o.out !== undefined && outputWriteError(e, '--out', o.out)) || e;
  }
  return {
    input: display,
    output: path.relative(process.cwd(), output) || output,
    bucket: o.to,
    rows: buckets.length,
    partial: buckets.filter((b) => b.present < b.expected).length,
    notes: [duplicateNote(p)].filter((n): n is string => n !== null),
    exitCode: 0,
  };
}

/** The resampled table, written whole or not at all. */
function writeBuckets(output: string, table: ReturnType<typeof bucketTable>, buckets: ResampledBucket[]): void {
  const out = new AtomicFile(output);
  try {
    out.write(`${table.header.join(',')}\n`);
    for (const b of buckets) out.write(`${table.fields(b).join(',')}\n`);
    out.commit();
  } catch (e) {
    out.abort();
    throw e;
  }
}

/** The human line of a resample run. */
export function formatResampleSummary(r: ResampleSummary): string {
  return `resample ${r.input} → ${r.output}: ${r.rows} buckets of ${r.bucket}, ${r.partial} partial (intervals_present < intervals_expected)`;
}
