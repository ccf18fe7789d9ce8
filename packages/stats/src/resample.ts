import path from 'node:path';
import {
  bucketEnergy,
  bucketMean,
  formatMicros,
  LptError,
  parseBucket,
  Resampler,
  ratioMicros,
  SiteClock,
} from '@lptool/core';
import { AtomicFile, loadSettings, type SettingFlags, siteLayout, skipDerived } from '@lptool/io';
import { type PowerColumn, readProfile } from '@lptool/profiles';

export interface ResampleOptions extends SettingFlags {
  root: string;
  file: string;
  /** 1h, 1d, 1mo, or a length that divides a day. */
  to: string;
  /** Output file; default `<dir of input>/resampled/<stem>_<to>.csv` (a subfolder: merge never takes it for a feeder). */
  out?: string | undefined;
  env?: NodeJS.ProcessEnv;
}

export interface ResampleSummary {
  input: string;
  output: string;
  bucket: string;
  rows: number;
  partial: number;
  exitCode: 0;
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
  const layout = siteLayout(o.root);
  const settings = loadSettings(layout.settings, o, o.env);
  const clock = new SiteClock(settings.timezone, settings.clock);
  const file = path.resolve(o.file);
  const display = path.relative(process.cwd(), file) || file;
  const bucket = parseBucket(o.to, '--to');
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
      `--to — expected a length coarser than the profile's ${p.intervalMs / 60_000}m interval, got ${o.to}`,
      { key: '--to' },
    );
  }
  const cols = [...p.columns.keys()];
  const r = new Resampler({ clock, intervalMs: p.intervalMs, bucket, columns: cols.length });
  const row = new Float64Array(cols.length);
  for (let i = 0; i < p.start.length; i++) {
    cols.forEach((c, k) => {
      row[k] = p.columns.get(c)![i]!;
    });
    r.push(p.start[i]!, row, !p.partial[i]);
  }
  const buckets = r.finish();
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
  const stem = path.basename(file).replace(/\.csv$/i, '');
  const output = o.out ? path.resolve(o.out) : path.join(path.dirname(file), 'resampled', `${stem}_${o.to.trim()}.csv`);
  const out = new AtomicFile(output);
  let partial = 0;
  try {
    out.write(`${header.join(',')}\n`);
    for (const b of buckets) {
      if (b.present < b.expected) partial++;
      const fields = [
        clock.format(b.start),
        clock.format(b.end),
        ...cols.map((_, k) => formatMicros(bucketMean(b, k))),
      ];
      const energy = (k: number) => formatMicros(bucketEnergy(b, k, p.intervalMs));
      if (hasDirections) fields.push(energy(idx('MW_del')), energy(idx('MW_rec')));
      fields.push(energy(netMw));
      // PF from the sums over the bucket, never an average of interval PFs
      if (netMva >= 0) {
        const pf = ratioMicros(b.sums[netMw]!.value, b.sums[netMva]!.value);
        fields.push(pf === null ? '' : formatMicros(pf));
      }
      fields.push(String(b.present), String(b.expected));
      out.write(`${fields.join(',')}\n`);
    }
    out.commit();
  } catch (e) {
    out.abort();
    throw e;
  }
  return {
    input: display,
    output: path.relative(process.cwd(), output) || output,
    bucket: o.to,
    rows: buckets.length,
    partial,
    exitCode: 0,
  };
}

/** The human line of a resample run. */
export function formatResampleSummary(r: ResampleSummary): string {
  return `resample ${r.input} → ${r.output}: ${r.rows} buckets of ${r.bucket}, ${r.partial} partial (intervals_present < intervals_expected)`;
}
