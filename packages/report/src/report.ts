/**
 * `lptool report`: the shell around the report engine (page.ts). It opens the
 * site, reads the profiles, sidecars, logs and BESS outputs, calls the engine
 * and writes the folder: into a temp folder beside it, then renamed into place,
 * so a reader sees the previous report or the new one, never half of one.
 */
import { once } from 'node:events';
import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import { loadBessConfig, readDaily, readOutliers, readSummary } from '@lptool/bess-format';
import { isLptError, LptError, type SiteClock } from '@lptool/core';
import { openSite, peekCsv, readCsvColumns, type Site, type SiteLayout, type SiteOptions } from '@lptool/io';
import { type Profile, powerColumn, readMeterData, readProfile } from '@lptool/profiles';
import { bessSection } from './bess.js';
import { writeReportFolder } from './folder.js';
import type { BessSection, SiteData } from './model.js';
import { ConflictCollector, type Reject, rejectFromSidecar, SortLogCollector } from './outcomes.js';
import { buildReport, type ProfileInput, type ReportInput } from './page.js';

export interface ReportOptions extends SiteOptions {
  /** Report folder (default lp/report/ of the root). */
  out?: string | undefined;
  /** bess.yaml whose outputs to show (default: bess.yaml or bess/bess.yaml of the root, when there). */
  bessConfig?: string | undefined;
  lockWaitMs: number;
}

export interface ReportSummary {
  out: string;
  index: string;
  profiles: number;
  gaps: number;
  missingIntervals: number;
  rejects: number;
  duplicates: number;
  conflicts: number;
  partialTotals: number | null;
  bess: string | null;
  files: number;
  bytes: number;
  seconds: number;
  exitCode: 0;
}

const GENERATOR = 'lptool 0.1.0 report';

/** One `lptool report` run: the site's QA page in one folder (index.html + assets + data). */
export async function report(options: ReportOptions): Promise<ReportSummary> {
  const t0 = performance.now();
  const site = openSite(options, []);
  const out = path.resolve(options.out ?? path.join(site.layout.lp, 'report'));
  return site.locked({ command: 'report', logs: [], lockWaitMs: options.lockWaitMs }, async () => {
    const page = buildReport(await gatherSite(site, options.bessConfig));
    const written = writeReportFolder(out, page, GENERATOR);
    return summaryOf(out, page.site, written, Math.round(performance.now() - t0) / 1000);
  });
}

/** Everything the report engine takes, read from the site: profiles, sort and build logs, rejects, BESS outputs. */
async function gatherSite(site: Site, bessConfig: string | undefined): Promise<ReportInput> {
  const { layout, clock, settings } = site;
  const meterData = readMeterNames(layout.meterData);
  const profiles = readProfiles(layout, clock, settings.intervalMs, meterData);
  const sortLog = await collect(path.join(layout.logs, 'dropbox.log'), new SortLogCollector());
  const archived = new Map<string, boolean>();
  const inArchive = (f: string) => {
    if (!archived.has(f)) archived.set(f, fs.existsSync(path.join(layout.root, f)));
    return archived.get(f)!;
  };
  const conflicts = await collect(path.join(layout.logs, 'build.log'), new ConflictCollector(inArchive));
  const bess = await readBess(layout.root, bessConfig);
  return {
    generator: GENERATOR,
    gen: `${Date.now().toString(36)}-${process.pid}`,
    now: Date.now(),
    clock,
    siteName: path.basename(layout.root),
    intervalMs: settings.intervalMs,
    ...profiles,
    rejects: readRejects(layout.error, layout.root),
    duplicates: sortLog.duplicates,
    lastSortRun: sortLog.lastRun,
    conflicts,
    meterNames: new Map([...(meterData ?? new Map<string, string>())].map(([name, id]) => [id, name])),
    bess: bess.section,
    notes: bess.notes,
  };
}

function summaryOf(
  out: string,
  site: SiteData,
  written: { files: number; bytes: number },
  seconds: number,
): ReportSummary {
  const total = site.profiles.find((p) => p.kind === 'total');
  return {
    out,
    index: path.join(out, 'index.html'),
    profiles: site.profiles.length,
    gaps: site.profiles.reduce((s, p) => s + p.gapCount, 0),
    missingIntervals: site.profiles.reduce((s, p) => s + (p.kind === 'meter' ? p.missingIntervals : 0), 0),
    rejects: site.sort.rejectsTotal,
    duplicates: site.sort.duplicatesTotal,
    conflicts: site.conflicts.total,
    partialTotals: total ? total.partial : null,
    bess: site.bess ? site.bess.dir : null,
    files: written.files,
    bytes: written.bytes,
    seconds,
    exitCode: 0,
  };
}

/** The meters' profiles and the total, read; a profile that cannot be read is named, not fatal. */
function readProfiles(
  layout: SiteLayout,
  clock: SiteClock,
  intervalMs: number,
  meterData: Map<string, string> | null,
): Pick<ReportInput, 'meters' | 'total' | 'missingProfiles' | 'otherProfiles' | 'unreadable'> {
  const found = listProfiles(layout.lp, meterData);
  const unreadable: { file: string; error: string }[] = [];
  const read = (name: string, meter: string | null): ProfileInput | null => {
    const file = path.join(layout.lp, `${name}.csv`);
    const rel = path.relative(layout.root, file);
    try {
      return { name, meter, file: rel, profile: readForReport(file, rel, clock, intervalMs) };
    } catch (e) {
      if (!isLptError(e)) throw e;
      unreadable.push({ file: rel, error: e.toLine() });
      return null;
    }
  };
  return {
    meters: found.meters.flatMap((name) => read(name, meterData?.get(name) ?? null) ?? []),
    total: found.total ? read('all', null) : null,
    missingProfiles: found.missing,
    otherProfiles: found.others,
    unreadable,
  };
}

/**
 * meter-data.csv as name → meter id (null when there is none: then every lp/*.csv is a meter). Read by its owner's
 * reader, with its rules: a meter-data.csv that is not valid is exit 2 here as in build and merge.
 */
function readMeterNames(file: string): Map<string, string> | null {
  if (!fs.existsSync(file)) return null;
  return new Map([...readMeterData(file).values()].map((m) => [m.name, m.meter]));
}

/** The meters' profiles in lp/, lp/all.csv, meters without a profile, and CSVs that are no meter's. */
function listProfiles(lp: string, meterData: Map<string, string> | null) {
  const names = fs.existsSync(lp)
    ? fs
        .readdirSync(lp, { withFileTypes: true })
        .filter((e) => e.isFile() && /\.csv$/i.test(e.name) && !e.name.startsWith('.') && !/_gaps\.csv$/i.test(e.name))
        .map((e) => e.name.replace(/\.csv$/i, ''))
        .sort()
    : [];
  const stems = names.filter((n) => n !== 'all');
  const meters = meterData ? stems.filter((n) => meterData.has(n)) : stems;
  return {
    meters,
    total: names.includes('all'),
    missing: meterData ? [...meterData.keys()].filter((n) => !stems.includes(n)).sort() : [],
    others: meterData ? stems.filter((n) => !meterData.has(n)).map((n) => `lp/${n}.csv`) : [],
  };
}

/**
 * A profile with MW_net (from the column sidecar when it is fresh) and, for
 * meters, MW_del and MW_rec for energy by direction. The sidecar holds no
 * direction columns, and asking readProfile for them would parse every label
 * again (~0.15 s a year-long profile); so they are cut from the text alone and
 * matched to the rows by file line, whatever order the reader gives the rows in.
 */
function readForReport(file: string, display: string, clock: SiteClock, intervalMs: number): Profile {
  const p = readProfile(file, display, clock, { columns: ['MW_net'], intervalHint: intervalMs, exact: true });
  const header = peekCsv(file, display).header ?? [];
  if (!header.includes('MW_del') || !header.includes('MW_rec')) return p;
  const t = readCsvColumns(file, ['MW_del', 'MW_rec'] as const, display);
  const rowOf = rowsByLine(p.lines, t.lines);
  for (const column of ['MW_del', 'MW_rec'] as const) {
    // the profile reader's own reading of a power cell: exact millionths, one grammar for a number
    const micros = powerColumn(t.columns[column], column, t.lines, display, true);
    const values = Float64Array.from(p.lines, (line, k) => {
      const i = rowOf(k);
      if (i < 0)
        throw new LptError('LPT_PARSE', `${column} — expected a value on every row, got none`, { file: display, line });
      return micros[i]!;
    });
    p.columns.set(column, values);
  }
  return p;
}

/** Row k of the profile → its row in the text columns, by file line (-1: none); by index when they agree. */
function rowsByLine(profileLines: number[], textLines: number[]): (k: number) => number {
  let same = profileLines.length === textLines.length;
  for (let k = 0; k < profileLines.length && same; k++) same = profileLines[k] === textLines[k];
  if (same) return (k) => k;
  const byLine = new Map<number, number>();
  for (let i = 0; i < textLines.length; i++) byLine.set(textLines[i]!, i);
  return (k) => byLine.get(profileLines[k]!) ?? -1;
}

/** Stream a log's lines through a collector (no log, nothing collected). */
async function collect<R>(file: string, collector: { push(line: string): void; result(): R }): Promise<R> {
  if (!fs.existsSync(file)) return collector.result();
  const lines = readline.createInterface({ input: fs.createReadStream(file), crlfDelay: Number.POSITIVE_INFINITY });
  lines.on('line', (l) => collector.push(l));
  await once(lines, 'close');
  return collector.result();
}

/** Every ERROR sidecar, newest first. */
function readRejects(errorDir: string, root: string): Reject[] {
  if (!fs.existsSync(errorDir)) return [];
  const out: Reject[] = [];
  for (const name of fs.readdirSync(errorDir).sort()) {
    if (!name.endsWith('.json') || name.startsWith('.')) continue;
    const json = path.join(errorDir, name);
    const csv = path.relative(root, json.replace(/\.json$/, '.csv'));
    let parsed: unknown = null;
    try {
      parsed = JSON.parse(fs.readFileSync(json, 'utf8'));
    } catch {
      /* shown as a sidecar that is not lptool JSON */
    }
    out.push(rejectFromSidecar(csv, parsed));
  }
  return out.sort((a, b) => (a.at < b.at ? 1 : a.at > b.at ? -1 : a.file < b.file ? -1 : 1));
}

/** The BESS section from a bess.yaml's outputs, when they exist. */
async function readBess(
  root: string,
  explicit: string | undefined,
): Promise<{ section: BessSection | null; notes: string[] }> {
  const candidates = explicit
    ? [path.resolve(explicit)]
    : ['bess.yaml', 'bess/bess.yaml'].map((f) => path.join(root, f));
  const config = candidates.find((f) => fs.existsSync(f));
  if (!config) {
    if (explicit)
      throw new LptError('LPT_INPUT_MISSING', `--bess — expected a bess.yaml, got ${explicit} (no such file)`, {
        key: '--bess',
      });
    return { section: null, notes: [] };
  }
  const c = loadBessConfig(config);
  const file = (name: string) => path.join(c.outputDir, name);
  const rel = (p: string) => path.relative(root, p) || p;
  const daily = file(c.output.daily);
  if (!fs.existsSync(daily))
    return {
      section: null,
      notes: [`BESS: ${rel(config)} has no outputs yet (${rel(daily)}): run lptool bess -c ${rel(config)}.`],
    };
  const maybe = <T>(p: string, read: (f: string, display: string) => T): T | null =>
    fs.existsSync(p) ? read(p, rel(p)) : null;
  return {
    section: bessSection({
      config: rel(config),
      zone: c.timestamp.timezone,
      dir: rel(c.outputDir),
      daily: readDaily(daily, rel(daily)),
      outliers: maybe(file(c.output.outliers), readOutliers),
      summary: maybe(file(c.output.summary), readSummary),
    }),
    notes: [],
  };
}
