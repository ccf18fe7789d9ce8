import fs from 'node:fs';
import path from 'node:path';
import { formatMicros, formatShortDuration, LptError, ratioMicros, type SiteClock } from '@lptool/core';
import { AtomicFile, openSite, requireMeterData, type SiteLayout, type SiteOptions, skipDerived } from '@lptool/io';
import { loadManifest, readMeterData, readProfile, SYSTEM_TOTAL_COLUMNS, writeColumnCache } from '@lptool/profiles';
import { type FeederSeries, FeederSum, type FeederTotals, onCoarserGrid } from './feeder-sum.js';

export interface MergeOptions extends SiteOptions {
  only?: string[] | undefined;
  exclude?: string[] | undefined;
  /** Bring finer profiles to the coarsest interval instead of failing. */
  resample: boolean;
  lockWaitMs: number;
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
  /** True when no input changed since lp/all.csv was written: it was left as it was (not rewritten). */
  unchanged: boolean;
  /**
   * Intervals this merge added at the end of the total (after where the total it replaced ended) in which not every
   * feeder reports — a feeder that stopped delivering, or is late: how many, the first, and the feeders missing
   * at the end with where their data stops (null: no rows). Null when there are none (or nothing was written).
   */
  partialEnd: { intervals: number; from: string; missing: { name: string; last: string | null }[] } | null;
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
  layout: SiteLayout,
  only: string[] | undefined,
  exclude: string[] | undefined,
): { names: string[]; missing: string[]; ignored: string[] } {
  requireMeterData(layout);
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
  if (!names.length)
    throw new LptError(
      'LPT_USAGE',
      listed.length
        ? `--exclude — expected to leave at least one meter to total, got all of ${listed.join(', ')} excluded`
        : "meter-data.csv — expected at least one meter (a line of meter,name,multiplier), got none: add the site's meters and run lptool build",
      listed.length ? { key: '--exclude' } : { file: 'meter-data.csv' },
    );
  const inLp = listProfiles(layout.lp);
  const missing = names.filter((n) => !inLp.includes(n));
  const ignored = inLp.filter((n) => !listed.includes(n)).map((n) => `lp/${n}.csv`);
  if (names.length === missing.length)
    throw new LptError(
      'LPT_INPUT_MISSING',
      `profiles — expected lp/<name>.csv for the meters of meter-data.csv (run lptool build first), got none of ${names.join(', ')} in ${layout.lp}`,
      { file: 'lp/' },
    );
  return { names, missing, ignored };
}

/**
 * The total is made in the zone, clock and interval the profiles were built with: a merge with others (a one-off
 * `--tz UTC`) would write lp/all.csv in another zone than its feeders, which build refuses for the profiles
 * (they are kept). So when lp/.build-manifest.json records other settings for a feeder, exit 2, nothing written;
 * a total in another zone is made with `lptool build --full --tz X` first. Profiles no build recorded (copied in,
 * or built by an lptool before the manifest kept settings) are not checked.
 */
function requireBuildSettings(
  layout: SiteLayout,
  names: string[],
  now: { timezone: string; clock: string; intervalMs: number },
): void {
  const meters = builtSettings(layout.buildManifest);
  for (const n of names) {
    const built = meters[n];
    if (!built) continue;
    const differ = (['timezone', 'clock', 'intervalMs'] as const).filter((k) => built[k] !== now[k]);
    if (!differ.length) continue;
    const show = (v: typeof built) =>
      differ.map((k) => (k === 'intervalMs' ? `interval ${formatShortDuration(v[k])}` : `${k} ${v[k]}`)).join(', ');
    const flag = { timezone: '--tz', clock: '--clock', intervalMs: '--interval' } as const;
    const rebuild = differ
      .map((k) => `${flag[k]} ${k === 'intervalMs' ? formatShortDuration(now[k]) : now[k]}`)
      .join(' ');
    throw new LptError(
      'LPT_CONFIG',
      `settings — expected those lp/${n}.csv was built with (${show(built)}), got ${show(now)}; nothing was written (a total in other settings than its profiles): merge in the profiles' settings, or rebuild them first with lptool build --full ${rebuild}`,
      { key: flag[differ[0]!] },
    );
  }
}

type BuiltSettings = { timezone: string; clock: string; intervalMs: number };

/**
 * The settings lp/.build-manifest.json records for each profile, from its `meters` only: the manifest of 1,000
 * meters also lists their 53,000 archived files (15 MB of JSON; ~95 MB parsed and checked whole). A manifest whose
 * `meters` is not as build writes it is read whole (`loadManifest`, which names what is wrong with it).
 */
function builtSettings(file: string): Record<string, BuiltSettings | undefined> {
  const whole = () => Object.fromEntries(Object.entries(loadManifest(file).meters).map(([n, m]) => [n, m.settings]));
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return whole();
  }
  const part = topLevelValue(text, 'meters');
  let meters: unknown;
  try {
    meters = part === null ? null : JSON.parse(part);
  } catch {
    return whole();
  }
  if (!meters || typeof meters !== 'object' || Array.isArray(meters)) return whole();
  const out: Record<string, BuiltSettings | undefined> = {};
  for (const [name, m] of Object.entries(meters as Record<string, { settings?: unknown }>)) {
    const st = m?.settings as BuiltSettings | undefined;
    if (!m || typeof m !== 'object') return whole();
    if (st === undefined) continue;
    const ok =
      st && typeof st.timezone === 'string' && typeof st.clock === 'string' && typeof st.intervalMs === 'number';
    if (!ok) return whole();
    out[name] = { timezone: st.timezone, clock: st.clock, intervalMs: st.intervalMs };
  }
  return out;
}

/** The text of the value of `key` in the JSON object `text` at its top level, or null (no such key, not an object). */
export function topLevelValue(text: string, key: string): string | null {
  const want = JSON.stringify(key);
  let depth = 0;
  let valueAt = -1;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22) {
      // a string: to its closing quote (a backslash escapes the next character)
      let j = i + 1;
      while (j < text.length && text.charCodeAt(j) !== 0x22) j += text.charCodeAt(j) === 0x5c ? 2 : 1;
      if (depth === 1 && valueAt < 0 && text.startsWith(want, i) && j === i + want.length - 1) {
        let k = j + 1;
        while (k < text.length && /\s/.test(text[k]!)) k++;
        if (text[k] === ':') valueAt = k + 1;
      }
      i = j;
    } else if (c === 0x7b || c === 0x5b) depth++;
    else if (c === 0x7d || c === 0x5d) {
      depth--;
      if (depth === 1 && valueAt >= 0) return text.slice(valueAt, i + 1);
      if (depth === 0 && valueAt >= 0) return text.slice(valueAt, i); // (a scalar value as the last key)
    } else if (c === 0x2c && depth === 1 && valueAt >= 0) return text.slice(valueAt, i);
  }
  return null;
}

/** A feeder profile's MW_net and MVA_net per interval, exactly (the binary column sidecar when fresh). */
function readSeries(file: string, display: string, clock: SiteClock): FeederSeries {
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

/** What the operator should know about the feeders: meters without a profile, CSVs that are no meter's. */
function feederWarnings(missing: string[], ignored: string[]): string[] {
  const one = ignored.length === 1;
  return [
    ...missing.map(
      (n) => `lp/${n}.csv — expected a profile of meter ${n} (meter-data.csv), got none: counted as not reporting`,
    ),
    ...(ignored.length
      ? [
          `${ignored.join(', ')} — not ${one ? 'a meter' : 'meters'} of meter-data.csv: not summed (move ${one ? 'it' : 'them'} out of lp/ to silence this)`,
        ]
      : []),
  ];
}

/** What the summary and the partial-end check keep of a feeder once its rows are summed. */
interface FeederMeta {
  name: string;
  /** Its rows as summed (on the total's grid), its own interval, whether it was resampled. */
  rows: number;
  intervalMs: number;
  resampled: boolean;
  /** The end of its last row as summed (NaN: none). */
  last: number;
}

/** A feeder to read: its profile and how it is named in messages. */
interface FeederFile {
  file: string;
  display: string;
}

/**
 * Every feeder through the engine, one at a time — only one feeder's series is held besides the total's grid, so
 * memory is flat in the number of feeders. The total is on one interval length: the coarsest, finer feeders
 * resampled to it with --resample (else exit 2). The sums start on the first feeder's interval; a coarser one
 * found later (rare: a site whose meters differ) starts them again on it.
 */
function sumFeeders(
  feeders: FeederFile[],
  resample: boolean,
  clock: SiteClock,
): { totals: FeederTotals; metas: FeederMeta[]; empty: string[] } {
  const first = sumOnGrid(feeders, null, resample, clock);
  if (first.totals) return first as ReturnType<typeof sumFeeders>;
  // feeders on more than one interval: each one's interval (read again, one at a time), then the sums on the coarsest
  const timed = feeders.map((f) => readSeries(f.file, f.display, clock)).filter((s) => s.start.length > 0);
  const coarsest = Math.max(...timed.map((s) => s.intervalMs));
  if (!resample) {
    const list = timed.map((s) => `${s.name} ${formatShortDuration(s.intervalMs)}`).join(', ');
    throw new LptError(
      'LPT_INTERVAL_MISMATCH',
      `interval — expected one interval length across feeders, got ${list}; use --resample to bring all to ${formatShortDuration(coarsest)}`,
    );
  }
  return sumOnGrid(feeders, coarsest, resample, clock) as ReturnType<typeof sumFeeders>;
}

/**
 * The feeders summed on `grid` (null: the first one with rows sets it), finer ones resampled with --resample;
 * `totals` is null when one is coarser than the grid, or finer without --resample.
 */
function sumOnGrid(
  feeders: FeederFile[],
  grid: number | null,
  resample: boolean,
  clock: SiteClock,
): { totals: FeederTotals | null; metas: FeederMeta[]; empty: string[] } {
  let sum: FeederSum | null = grid === null ? null : new FeederSum(grid);
  const metas: FeederMeta[] = [];
  const empty: string[] = [];
  for (const f of feeders) {
    const s = readSeries(f.file, f.display, clock);
    if (!s.start.length) empty.push(s.name);
    grid ??= s.start.length ? s.intervalMs : null;
    sum ??= grid === null ? null : new FeederSum(grid);
    const fits = !s.start.length || s.intervalMs === grid;
    if (!fits && !(resample && s.intervalMs < grid!)) return { totals: null, metas, empty };
    const on = fits ? s : onCoarserGrid(s, grid!, clock);
    const n = on.start.length;
    metas.push({
      name: s.name,
      rows: n,
      intervalMs: s.intervalMs,
      resampled: on !== s,
      last: n ? on.end[n - 1]! : NaN,
    });
    if (!sum) continue; // (no feeder with rows yet: this one adds nothing)
    sum.feeder();
    for (let i = 0; i < n; i++) sum.push(on.start[i]!, on.end[i]!, on.mw[i]!, on.mva[i]!);
  }
  return { totals: (sum ?? new FeederSum()).finish(), metas, empty };
}

/** The end instant of a total's last interval (its last line's End Time), or NaN when there is none to read. */
function lastEndOf(file: string): number {
  let fd: number;
  try {
    fd = fs.openSync(file, 'r');
  } catch {
    return Number.NaN;
  }
  try {
    const size = fs.fstatSync(fd).size;
    const buf = Buffer.alloc(Math.min(size, 4096));
    fs.readSync(fd, buf, 0, buf.length, size - buf.length);
    const last = buf.toString('utf8').trimEnd().split('\n').at(-1) ?? '';
    return Date.parse(last.split(',')[1] ?? ''); // labels carry their offset
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * The feeders whose data stop before the new total's end (a feeder without a profile is warned of already), and the
 * intervals they leave partial — those from where the first of them stops — that lie after `previousEnd` (the end
 * of the total this merge replaces): what this merge added without them. Null when there are none.
 */
function newPartialEnd(
  t: FeederTotals,
  feeders: FeederMeta[],
  previousEnd: number,
  clock: SiteClock,
): MergeSummary['partialEnd'] {
  const n = t.start.length;
  if (!n) return null;
  const end = t.end[n - 1]!;
  const stopped = feeders.map((s) => ({ name: s.name, last: s.last })).filter((s) => !(s.last >= end));
  if (!stopped.length) return null;
  const from = Math.max(
    Math.min(...stopped.map((s) => (Number.isNaN(s.last) ? -Infinity : s.last))),
    previousEnd || -Infinity,
  );
  let k = n;
  while (k > 0 && t.start[k - 1]! >= from) k--;
  if (k === n) return null;
  const missing = stopped.map((s) => ({ name: s.name, last: Number.isNaN(s.last) ? null : clock.format(s.last) }));
  return { intervals: n - k, from: clock.format(t.start[k]!), missing };
}

/** lp/all.csv (SPEC §5 columns), written whole or not at all, and its column sidecar; returns the incomplete count. */
function writeTotal(output: string, t: FeederTotals, expected: number, clock: SiteClock): number {
  const out = new AtomicFile(output);
  let incomplete = 0;
  try {
    out.write(`${SYSTEM_TOTAL_COLUMNS.join(',')}\n`);
    for (let k = 0; k < t.start.length; k++) {
      const n = t.reporting[k]!;
      if (n < expected) incomplete++;
      const mw = formatMicros(t.mw[k]!);
      const pf = ratioMicros(t.mw[k]!, t.mva[k]!); // from the exact sums
      out.write(
        `${clock.format(t.start[k]!)},${clock.format(t.end[k]!)},${mw},${formatMicros(t.mva[k]!)},${pf === null ? '' : formatMicros(pf)},${mw},${n},${expected}\n`,
      );
    }
    out.commit();
  } catch (e) {
    out.abort();
    throw e;
  }
  // the sidecar holds millionths as Float64: only totals in the exact range (else readers take the text)
  if (t.exact)
    writeColumnCache(output, {
      start: t.start,
      end: t.end,
      MW_net: t.mw as Float64Array,
      MVA_net: t.mva as Float64Array,
      feeders_reporting: Float64Array.from(t.reporting),
      feeders_expected: new Float64Array(t.start.length).fill(expected),
    });
  return incomplete;
}

/** One `lptool merge` run (SPEC §5): the feeders of meter-data.csv through FeederSum into lp/all.csv. */
export async function merge(options: MergeOptions): Promise<MergeSummary> {
  const site = openSite(options, ['lp', 'logs']); // a symlinked or file lp/ is exit 2 before anything is read
  const { layout, clock } = site;
  const { names: expectedNames, missing, ignored } = selectFeeders(layout, options.only, options.exclude);
  const names = expectedNames.filter((n) => !missing.includes(n));
  const warnings = feederWarnings(missing, ignored);
  return site.locked({ command: 'merge', logs: ['merge'], lockWaitMs: options.lockWaitMs }, ([log]) => {
    log!.info({ event: 'start', feeders: names, resample: options.resample }, 'merge started');
    requireBuildSettings(layout, names, site.settings);
    const output = path.join(layout.lp, 'all.csv');
    const stampKey = mergeKey(site.settings, names, expectedNames, options.resample);
    const done = unchangedTotal(layout, output, names, stampKey);
    if (done) {
      const summary: MergeSummary = {
        root: layout.root,
        output: 'lp/all.csv',
        ...done,
        missing,
        ignored,
        warnings,
        partialEnd: null,
      };
      for (const w of warnings) log!.warn({ event: 'warning' }, w);
      log!.info({ event: 'unchanged', rows: summary.rows }, 'merge: no input changed, lp/all.csv left as it was');
      return summary;
    }
    const files = names.map((n) => ({ file: path.join(layout.lp, `${n}.csv`), display: `lp/${n}.csv` }));
    const { totals, metas, empty } = sumFeeders(files, options.resample, clock);
    for (const name of empty) warnings.push(`lp/${name}.csv — expected rows, got none: counted as not reporting`);
    const partialEnd = newPartialEnd(totals, metas, lastEndOf(output), clock);
    const incomplete = writeTotal(output, totals, expectedNames.length, clock);
    const count = totals.start.length;
    const summary: MergeSummary = {
      root: layout.root,
      output: path.relative(layout.root, output),
      feeders: metas.map(({ name, rows, intervalMs, resampled }) => ({ name, rows, intervalMs, resampled })),
      expected: expectedNames.length,
      missing,
      ignored,
      warnings,
      rows: count,
      incomplete,
      first: count ? clock.format(totals.start[0]!) : null,
      last: count ? clock.format(totals.end[count - 1]!) : null,
      unchanged: false,
      partialEnd,
      exitCode: 0,
    };
    saveStamp(layout, output, names, stampKey, summary);
    for (const w of warnings) log!.warn({ event: 'warning' }, w);
    log!.info({ event: 'merged', ...summary }, 'merge finished');
    return summary;
  });
}

export function formatMergeSummary(s: MergeSummary): string {
  if (s.unchanged)
    return `merge ${s.root}: no profile changed since ${s.output} was written (${s.rows} intervals ${s.first ?? ''} → ${s.last ?? ''}; ${s.incomplete} incomplete): left as it was`;
  const out = [
    `merge ${s.root}: ${s.feeders.length}${s.expected !== s.feeders.length ? ` of ${s.expected}` : ''} feeders → ${s.output}, ${s.rows} intervals ${s.first ?? ''} → ${s.last ?? ''}; ${s.incomplete} incomplete (feeders_reporting < feeders_expected)`,
  ];
  for (const f of s.feeders)
    out.push(
      `  ${f.name.padEnd(12)} ${f.rows} rows, ${formatShortDuration(f.intervalMs)}${f.resampled ? ` → resampled to ${formatShortDuration(Math.max(...s.feeders.map((x) => x.intervalMs)))}` : ''}`,
    );
  return out.join('\n');
}

/*
 * No changed input, no rewrite: a stamp beside the total (lp/.cache/all.merge.json) records the inputs it was made
 * from — each feeder profile's size, mtime (ns) and inode, the settings and options — and the total as written. When
 * all of them are still what the stamp says, the total is what a merge would write: it is left untouched (same bytes,
 * same mtime), and the summary is the stamp's. Profiles are only ever replaced by rename (a new inode) or appended
 * to (a new size and mtime), so a change to one is always seen.
 */
interface FileStamp {
  size: number;
  mtimeNs: string;
  ino: number;
}
type Totals = Pick<MergeSummary, 'feeders' | 'expected' | 'rows' | 'incomplete' | 'first' | 'last'>;
interface MergeStamp {
  v: 1;
  key: string;
  inputs: Record<string, FileStamp>;
  output: FileStamp;
  totals: Totals;
}

const stampPath = (layout: SiteLayout) => path.join(layout.lp, '.cache', 'all.merge.json');

function fileStamp(file: string): FileStamp | null {
  const st = fs.statSync(file, { bigint: true, throwIfNoEntry: false });
  return st?.isFile() ? { size: Number(st.size), mtimeNs: String(st.mtimeNs), ino: Number(st.ino) } : null;
}

const sameStamp = (a: FileStamp | null, b: FileStamp | undefined) =>
  !!a && !!b && a.size === b.size && a.mtimeNs === b.mtimeNs && a.ino === b.ino;

/** What the total depends on besides the profiles: the site's settings, the feeders, --resample. */
function mergeKey(
  settings: { timezone: string; clock: string; intervalMs: number },
  names: string[],
  expected: string[],
  resample: boolean,
): string {
  const { timezone, clock, intervalMs } = settings;
  return JSON.stringify({ timezone, clock, intervalMs, names, expected, resample });
}

/** The stamp's totals when lp/all.csv is exactly what these inputs made; else null (merge writes it). */
function unchangedTotal(
  layout: SiteLayout,
  output: string,
  names: string[],
  key: string,
): (Totals & { unchanged: true; exitCode: 0 }) | null {
  let stamp: MergeStamp;
  try {
    stamp = JSON.parse(fs.readFileSync(stampPath(layout), 'utf8')) as MergeStamp;
  } catch {
    return null; // none yet, or unreadable: merge as always
  }
  if (stamp?.v !== 1 || stamp.key !== key || !sameStamp(fileStamp(output), stamp.output)) return null;
  for (const n of names) if (!sameStamp(fileStamp(path.join(layout.lp, `${n}.csv`)), stamp.inputs?.[n])) return null;
  return { ...stamp.totals, unchanged: true, exitCode: 0 };
}

/** Records what lp/all.csv was just made from (a lost stamp only costs the next merge a rewrite). */
function saveStamp(layout: SiteLayout, output: string, names: string[], key: string, s: MergeSummary): void {
  const inputs: Record<string, FileStamp> = {};
  for (const n of names) {
    const st = fileStamp(path.join(layout.lp, `${n}.csv`));
    if (st) inputs[n] = st;
  }
  const written = fileStamp(output);
  if (!written) return;
  const { feeders, expected, rows, incomplete, first, last } = s;
  const stamp: MergeStamp = {
    v: 1,
    key,
    inputs,
    output: written,
    totals: { feeders, expected, rows, incomplete, first, last },
  };
  const file = new AtomicFile(stampPath(layout));
  try {
    file.write(JSON.stringify(stamp));
    file.commit();
  } catch (e) {
    file.abort();
    throw e;
  }
}
