import fs from 'node:fs';
import path from 'node:path';
import {
  bucketMean,
  formatMicros,
  formatShortDuration,
  LptError,
  MAX_EXACT,
  parseBucket,
  Resampler,
  ratioMicros,
  SiteClock,
} from '@lptool/core';
import {
  AtomicFile,
  acquireLock,
  checkSiteFolders,
  createLogger,
  loadSettings,
  type SettingFlags,
  siteLayout,
  skipDerived,
} from '@lptool/io';
import { readMeterData, readProfile, SYSTEM_TOTAL_COLUMNS, writeColumnCache } from '@lptool/profiles';

export interface MergeOptions extends SettingFlags {
  root: string;
  only?: string[] | undefined;
  exclude?: string[] | undefined;
  /** Bring finer profiles to the coarsest interval instead of failing. */
  resample?: boolean;
  lockWaitMs?: number;
  env?: NodeJS.ProcessEnv;
}

export interface MergeSummary {
  root: string;
  output: string;
  feeders: { name: string; rows: number; intervalMs: number; resampled: boolean }[];
  /** feeders_expected: the meters of meter-data.csv merged (less --exclude, or only --only), with a profile or not. */
  expected: number;
  /** Meters expected whose lp/<name>.csv is not there (they count as not reporting). */
  missing: string[];
  /** CSVs in lp/ that are not profiles of meter-data.csv's meters (nor lptool's outputs): never summed. */
  ignored: string[];
  /** What the operator should know (stderr). */
  warnings: string[];
  rows: number;
  /** Intervals where fewer feeders reported than expected. */
  incomplete: number;
  first: string | null;
  last: string | null;
  exitCode: 0;
}

/** CSV files in lp/ that could be profiles: not all.csv, not hidden, not lptool's other outputs (gap lists …). */
export function listProfiles(lpDir: string): string[] {
  if (!fs.existsSync(lpDir)) return [];
  const csvs = fs
    .readdirSync(lpDir)
    .filter((f) => /\.csv$/i.test(f) && !f.startsWith('.') && f.toLowerCase() !== 'all.csv')
    .sort();
  return skipDerived(csvs.map((f) => path.join(lpDir, f))).files.map((f) => path.basename(f).slice(0, -4));
}

/**
 * The feeders of the total: exactly the meters of meter-data.csv (less `--exclude`, or only `--only`),
 * whatever else lies in lp/. A profile that is missing counts as not reporting; any other CSV in lp/
 * (a copy such as north-old.csv, a profile of a meter no longer listed) is named and never summed.
 */
function selectFeeders(
  layout: ReturnType<typeof siteLayout>,
  only: string[] | undefined,
  exclude: string[] | undefined,
): { names: string[]; missing: string[]; ignored: string[] } {
  const listed = [...readMeterData(layout.meterData).values()].map((m) => m.name).sort();
  for (const [flag, list] of [
    ['--only', only],
    ['--exclude', exclude],
  ] as const) {
    const unknown = (list ?? []).filter((n) => !listed.includes(n));
    if (unknown.length)
      throw new LptError(
        'LPT_USAGE',
        `${flag} — expected meter names from meter-data.csv (${listed.join(', ') || 'none'}), got ${unknown.join(', ')}`,
        { key: flag },
      );
  }
  const names = listed.filter((n) => (!only?.length || only.includes(n)) && !exclude?.includes(n));
  const inLp = listProfiles(layout.lp);
  const missing = names.filter((n) => !inLp.includes(n));
  const ignored = inLp.filter((n) => !listed.includes(n)).map((n) => `lp/${n}.csv`);
  if (names.length === missing.length)
    throw new LptError(
      'LPT_INPUT_MISSING',
      `profiles — expected lp/<name>.csv for the meters of meter-data.csv (run lptool build first), got none of ${names.join(', ') || 'none'} in ${layout.lp}`,
      { file: 'lp/' },
    );
  return { names, missing, ignored };
}

interface ProfileSeries {
  name: string;
  start: Float64Array;
  end: Float64Array;
  /** MW_net and MVA_net as written, in integer millionths. */
  mw: Float64Array;
  mva: Float64Array;
  intervalMs: number;
}

/** A feeder profile's MW_net and MVA_net per interval, exactly (the binary column sidecar when fresh). */
function readSeries(file: string, display: string, clock: SiteClock): ProfileSeries {
  const p = readProfile(file, display, clock, { columns: ['MW_net', 'MVA_net'], exact: true });
  return {
    name: p.name,
    start: p.start,
    end: p.end,
    mw: p.columns.get('MW_net')!,
    mva: p.columns.get('MVA_net')!,
    intervalMs: p.intervalMs,
  };
}

/** One `lptool merge` run (SPEC §5). */
export async function merge(options: MergeOptions): Promise<MergeSummary> {
  const layout = siteLayout(options.root);
  checkSiteFolders(layout, ['lp', 'logs']); // a symlinked or file lp/ is exit 2 before anything is read
  const settings = loadSettings(layout.settings, options, options.env);
  const clock = new SiteClock(settings.timezone, settings.clock);
  const { names: expectedNames, missing, ignored } = selectFeeders(layout, options.only, options.exclude);
  const names = expectedNames.filter((n) => !missing.includes(n));
  const expected = expectedNames.length;
  const warnings = [
    ...missing.map(
      (n) => `lp/${n}.csv — expected a profile of meter ${n} (meter-data.csv), got none: counted as not reporting`,
    ),
    ...(ignored.length
      ? [
          `${ignored.join(', ')} — not ${ignored.length === 1 ? 'a meter' : 'meters'} of meter-data.csv: not summed (move ${ignored.length === 1 ? 'it' : 'them'} out of lp/ to silence this)`,
        ]
      : []),
  ];

  const release = acquireLock(layout.lockFile, { waitMs: options.lockWaitMs ?? 30_000, command: 'lptool merge' });
  const log = createLogger(layout.logs, 'merge', { cmd: 'merge' });
  try {
    log.info({ event: 'start', feeders: names, resample: !!options.resample }, 'merge started');
    const series = names.map((n) => readSeries(path.join(layout.lp, `${n}.csv`), `lp/${n}.csv`, clock));
    const coarsest = Math.max(...series.map((s) => s.intervalMs));
    const mixed = series.filter((s) => s.intervalMs !== coarsest);
    if (mixed.length && !options.resample) {
      const list = series.map((s) => `${s.name} ${formatShortDuration(s.intervalMs)}`).join(', ');
      throw new LptError(
        'LPT_INTERVAL_MISMATCH',
        `interval — expected one interval length across feeders, got ${list}; use --resample to bring all to ${formatShortDuration(coarsest)}`,
      );
    }
    // Σ per interval start, feeder by feeder (memory: one slot per interval, not per feeder × interval):
    // a start's slot index in a Map, the sums in growable typed arrays — of millionths, so exact while every
    // partial sum stays within ±2^53 (checked; past it the sums are done again in BigInt)
    const slotOf = new Map<number, number>();
    let cap = 1 << 16;
    let slotStart = new Float64Array(cap);
    let slotEnd = new Float64Array(cap);
    let slotMw = new Float64Array(cap);
    let slotMva = new Float64Array(cap);
    let slotN = new Int32Array(cap);
    const feeders: MergeSummary['feeders'] = [];
    let overflow = false;
    const onGrid = series.map((s0) => (s0.intervalMs === coarsest ? s0 : resampleComplete(s0, coarsest, clock)));
    for (const [f, s0] of series.entries()) {
      const s = onGrid[f]!;
      feeders.push({ name: s0.name, rows: s.start.length, intervalMs: s0.intervalMs, resampled: s !== s0 });
      const seen = new Set<number>(); // starts already counted for this feeder (a duplicated row counts once)
      for (let i = 0; i < s.start.length; i++) {
        const t = s.start[i]!;
        if (seen.has(t)) continue;
        seen.add(t);
        let k = slotOf.get(t);
        if (k === undefined) {
          k = slotOf.size;
          if (k === cap) {
            cap *= 2;
            const grow = <A extends Float64Array | Int32Array>(x: A, make: (n: number) => A) => {
              const y = make(cap);
              y.set(x);
              return y;
            };
            slotStart = grow(slotStart, (n) => new Float64Array(n));
            slotEnd = grow(slotEnd, (n) => new Float64Array(n));
            slotMw = grow(slotMw, (n) => new Float64Array(n));
            slotMva = grow(slotMva, (n) => new Float64Array(n));
            slotN = grow(slotN, (n) => new Int32Array(n));
          }
          slotOf.set(t, k);
          slotStart[k] = t;
          slotEnd[k] = s.end[i]!;
        }
        const mw = slotMw[k]! + s.mw[i]!;
        const mva = slotMva[k]! + s.mva[i]!;
        if (mw > MAX_EXACT || mw < -MAX_EXACT || mva > MAX_EXACT || mva < -MAX_EXACT) overflow = true;
        slotMw[k] = mw;
        slotMva[k] = mva;
        slotN[k]!++;
      }
    }
    const count = slotOf.size;
    const totals = overflow ? bigTotals(onGrid, slotOf) : { mw: slotMw, mva: slotMva };
    const order = new Int32Array(count);
    for (let k = 0; k < count; k++) order[k] = k;
    order.sort((a, b) => slotStart[a]! - slotStart[b]!);
    const output = path.join(layout.lp, 'all.csv');
    const out = new AtomicFile(output);
    let incomplete = 0;
    try {
      out.write(`${SYSTEM_TOTAL_COLUMNS.join(',')}\n`);
      for (let j = 0; j < count; j++) {
        const k = order[j]!;
        const n = slotN[k]!;
        if (n < expected) incomplete++;
        const mw = formatMicros(totals.mw[k]!);
        const pf = ratioMicros(totals.mw[k]!, totals.mva[k]!); // from the exact sums
        out.write(
          `${clock.format(slotStart[k]!)},${clock.format(slotEnd[k]!)},${mw},${formatMicros(totals.mva[k]!)},${pf === null ? '' : formatMicros(pf)},${mw},${n},${expected}\n`,
        );
      }
      out.commit();
      const pick = (a: Float64Array | Int32Array) => Float64Array.from(order, (k) => a[k]!);
      // the sidecar holds millionths as Float64: only totals in the exact range (else readers take the text)
      if (!overflow)
        writeColumnCache(output, {
          start: pick(slotStart),
          end: pick(slotEnd),
          MW_net: pick(slotMw),
          MVA_net: pick(slotMva),
          feeders_reporting: pick(slotN),
          feeders_expected: new Float64Array(count).fill(expected),
        });
    } catch (e) {
      out.abort();
      throw e;
    }
    const summary: MergeSummary = {
      root: layout.root,
      output: path.relative(layout.root, output),
      feeders,
      expected,
      missing,
      ignored,
      warnings,
      rows: count,
      incomplete,
      first: count ? clock.format(slotStart[order[0]!]!) : null,
      last: count ? clock.format(slotEnd[order[count - 1]!]!) : null,
      exitCode: 0,
    };
    for (const w of warnings) log.warn({ event: 'warning' }, w);
    log.info({ event: 'merged', ...summary }, 'merge finished');
    return summary;
  } finally {
    release();
  }
}

/**
 * The totals in BigInt, for the rare site whose sums leave the exact range of a Number (±2^53 millionths):
 * the same feeder-by-feeder sums as the fast path, a duplicated row counted once.
 */
function bigTotals(series: ProfileSeries[], slotOf: Map<number, number>): { mw: bigint[]; mva: bigint[] } {
  const mw = new Array<bigint>(slotOf.size).fill(0n);
  const mva = new Array<bigint>(slotOf.size).fill(0n);
  for (const s of series) {
    const seen = new Set<number>();
    for (let i = 0; i < s.start.length; i++) {
      if (seen.has(s.start[i]!)) continue;
      seen.add(s.start[i]!);
      const k = slotOf.get(s.start[i]!)!;
      mw[k]! += BigInt(s.mw[i]!);
      mva[k]! += BigInt(s.mva[i]!);
    }
  }
  return { mw, mva };
}

/**
 * A finer profile on the coarser grid: mean MW/MVA of buckets that are complete, rounded half-up to millionths
 * (what `lptool resample` writes for them); partial buckets are left out.
 */
function resampleComplete(s: ProfileSeries, coarsest: number, clock: SiteClock): ProfileSeries {
  const r = new Resampler({
    clock,
    intervalMs: s.intervalMs,
    bucket: parseBucket(`${coarsest / 60_000}m`, '--resample'),
    columns: 2,
  });
  for (let i = 0; i < s.start.length; i++) r.push(s.start[i]!, [s.mw[i]!, s.mva[i]!]);
  const buckets = r.finish().filter((b) => b.present >= b.expected);
  return {
    name: s.name,
    intervalMs: coarsest,
    start: Float64Array.from(buckets, (b) => b.start),
    end: Float64Array.from(buckets, (b) => b.end),
    mw: Float64Array.from(buckets, (b) => Number(bucketMean(b, 0))),
    mva: Float64Array.from(buckets, (b) => Number(bucketMean(b, 1))),
  };
}

export function formatMergeSummary(s: MergeSummary): string {
  const out = [
    `merge ${s.root}: ${s.feeders.length}${s.expected !== s.feeders.length ? ` of ${s.expected}` : ''} feeders → ${s.output}, ${s.rows} intervals ${s.first ?? ''} → ${s.last ?? ''}; ${s.incomplete} incomplete (feeders_reporting < feeders_expected)`,
  ];
  for (const f of s.feeders)
    out.push(
      `  ${f.name.padEnd(12)} ${f.rows} rows, ${formatShortDuration(f.intervalMs)}${f.resampled ? ` → resampled to ${formatShortDuration(Math.max(...s.feeders.map((x) => x.intervalMs)))}` : ''}`,
    );
  return out.join('\n');
}
