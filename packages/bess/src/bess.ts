import fs from 'node:fs';
import path from 'node:path';
import {
  type BessConfig,
  configError,
  dailyHeader,
  dailyLine,
  loadBessConfig,
  outlierHeader,
  outlierLine,
  type SummaryRow,
  summaryHeader,
  summaryLine,
} from '@lptool/bess-format';
import { formatDecimal, formatShortDuration, integrateEnergy, medianStepMs, parseRange, SiteClock } from '@lptool/core';
import { AtomicFile, outputFolderProblem, outputRefusal } from '@lptool/io';
import { type Allocation, EnclosureAllocation, lowCoverageWarning } from './allocation.js';
import { assignEnclosures } from './groups.js';
import { readTelemetry, telemetryFiles } from './read.js';

const HOUR = 3_600_000;

export interface BessOptions {
  config: string;
  /** Output folder, instead of the config's output.dir. */
  out?: string | undefined;
  from?: string | undefined;
  to?: string | undefined;
  tz?: string | undefined;
  /** Coverage below this share of the period is flagged. */
  minCoverage: number;
  /** As each telemetry file has been read: files read, files, samples so far (a progress line). */
  onProgress?: ((done: number, total: number, rows: number) => void) | undefined;
}

/** An enclosure over the period: a line of enclosure_summary.csv. */
export type EnclosureTotal = SummaryRow;

export interface BessSummary {
  config: string;
  files: string[];
  timezone: string;
  samples: number;
  first: string;
  last: string;
  medianStepMs: number;
  maxGapMs: number;
  inverters: number;
  inputs: number;
  enclosures: number;
  days: number;
  totals: EnclosureTotal[];
  outputs: { daily: string; outliers: string; summary: string; heatmap: string };
  warnings: string[];
  exitCode: 0 | 1;
}

/** One `lptool bess` run (SPEC §7): telemetry → each input integrated → EnclosureAllocation → the outputs. */
export async function bess(options: BessOptions): Promise<BessSummary> {
  const config: BessConfig = loadBessConfig(options.config);
  const timezone = options.tz ?? config.timestamp.timezone;
  const clock = new SiteClock(timezone);
  const { from, to } = parseRange(options.from, options.to, clock);
  const files = await telemetryFiles(config);
  const outputs = outputPaths(config, options.out);
  checkOutputs(config, outputs, [config.file, ...files]);
  const range = { ...(from !== undefined ? { from } : {}), ...(to !== undefined ? { to } : {}) };
  const telemetry = await readTelemetry(config, clock, range, files, options.onProgress);
  const assignments = assignEnclosures(config, [...telemetry.power.keys()], telemetry.enclosureColumns);
  const step = medianStepMs(telemetry.times);
  const maxGapMs = config.maxGapMs ?? (Number.isFinite(step) ? 5 * step : 0);
  // integrate each input, then give each enclosure on it an even share
  const allocation = new EnclosureAllocation(config.file);
  for (const a of assignments) {
    const p = telemetry.power.get(a.column)!;
    allocation.push(a, integrateEnergy(telemetry.times, p, { clock, maxGapMs }));
  }
  const { times } = telemetry;
  const periodHours = (times[times.length - 1]! - times[0]!) / HOUR;
  const result = allocation.finish(periodHours, options.minCoverage);
  writeTables(outputs, result);
  await drawHeatmap(outputs.heatmap, result, assignments.length, timezone);
  const low = lowCoverageWarning(result.low, options.minCoverage);
  const warnings = [...telemetry.warnings, ...(low ? [low] : [])];
  return {
    config: rel(config.file),
    files: telemetry.files,
    timezone,
    samples: times.length,
    first: clock.format(times[0]!),
    last: clock.format(times[times.length - 1]!),
    medianStepMs: step,
    maxGapMs,
    inverters: new Set(assignments.map((a) => a.inverter)).size,
    inputs: assignments.length,
    enclosures: result.enclosures.length,
    days: result.dates.length,
    totals: result.totals,
    outputs: {
      daily: rel(outputs.daily),
      outliers: rel(outputs.outliers),
      summary: rel(outputs.summary),
      heatmap: rel(outputs.heatmap),
    },
    warnings,
    exitCode: warnings.length ? 1 : 0,
  };
}

type Outputs = BessSummary['outputs'];

/** The output files: in --out, else in the config's output.dir. */
function outputPaths(config: BessConfig, out: string | undefined): Outputs {
  const dir = out ? path.resolve(out) : config.outputDir;
  const o = config.output;
  return {
    daily: path.join(dir, o.daily),
    outliers: path.join(dir, o.outliers),
    summary: path.join(dir, o.summary),
    heatmap: path.join(dir, o.heatmap),
  };
}

/** A path relative to the working folder when it is below it, else as it is. */
function rel(p: string): string {
  const r = path.relative(process.cwd(), p);
  return r && !r.startsWith('..') ? r : p;
}

/** The three tables, each written whole or not at all. */
function writeTables(outputs: Outputs, a: Allocation): void {
  const write = <R>(file: string, header: string, rows: R[], line: (r: R) => string) => {
    const out = new AtomicFile(file);
    out.write(header);
    for (const r of rows) out.write(line(r));
    out.commit();
  };
  write(outputs.daily, dailyHeader(), a.daily, dailyLine);
  write(outputs.outliers, outlierHeader(), a.bottom, outlierLine);
  write(outputs.summary, summaryHeader(), a.totals, summaryLine);
}

/** The discharged heatmap: enclosures × days (PNG, or SVG / the spec by the file's extension). */
async function drawHeatmap(file: string, a: Allocation, inputs: number, timezone: string): Promise<void> {
  const { heatmapSpec, renderSpec } = await import('@lptool/plot');
  const format = file.endsWith('.svg') ? 'svg' : file.endsWith('.json') ? 'vl.json' : 'png';
  const spec = heatmapSpec({
    title: `Discharged energy per enclosure and day — ${a.dates[0] ?? ''} → ${a.dates[a.dates.length - 1] ?? ''}`,
    subtitle: `${a.enclosures.length} enclosures on ${inputs} inverter inputs; DC input energy split evenly per input; blank = no data. Days in ${timezone}.`,
    rows: a.enclosures,
    columns: a.dates,
    cells: a.cells,
    valueTitle: 'discharged kWh',
  });
  const pic = new AtomicFile(file);
  pic.writeBytes(await renderSpec(spec, { format }));
  pic.commit();
}

/**
 * Outputs never overwrite an input — a telemetry file or the config itself, by path or by being the
 * same file (a link) — nor a file a site keeps (io's output guard: lp/<meter>.csv, meter-data.csv, data/ …),
 * and no two outputs share a file: LPT_CONFIG (exit 2) naming the key, before anything is read or written.
 */
function checkOutputs(config: BessConfig, outputs: Record<string, string>, inputs: string[]): void {
  const idOf = (p: string) => {
    const st = fs.statSync(p, { throwIfNoEntry: false });
    return st ? `${st.dev}:${st.ino}` : null;
  };
  const shown = (p: string) => path.relative(config.baseDir, p) || p;
  const taken = new Map<string, string>();
  for (const [key, p] of Object.entries(outputs)) {
    const abs = path.resolve(p);
    const folder = outputFolderProblem(abs);
    if (folder)
      throw configError(
        config,
        `output.${key}`,
        `expected a path where a file can be written, got ${shown(abs)} (${folder})`,
      );
    const why = outputRefusal(abs, { inputs, show: shown });
    if (why)
      throw configError(
        config,
        `output.${key}`,
        `expected a file that is neither an input nor a site's own file, got ${shown(abs)} (${why}); writing there would destroy it`,
      );
    const id = idOf(abs);
    const other = taken.get(abs) ?? (id ? taken.get(id) : undefined);
    if (other)
      throw configError(
        config,
        `output.${key}`,
        `expected a file of its own, got ${shown(abs)}, which output.${other} writes too`,
      );
    taken.set(abs, key);
    if (id) taken.set(id, key);
  }
}

export function formatBessSummary(s: BessSummary): string {
  const charged = s.totals.reduce((a, r) => a + r.charged_kwh, 0);
  const discharged = s.totals.reduce((a, r) => a + r.discharged_kwh, 0);
  return [
    `bess ${s.config}: ${s.files.length} file(s), ${s.samples} samples ${s.first} → ${s.last} (step ${formatShortDuration(s.medianStepMs)}, max gap ${formatShortDuration(s.maxGapMs)})`,
    `  ${s.inverters} inverters, ${s.inputs} inputs, ${s.enclosures} enclosures, ${s.days} days (${s.timezone}); charged ${formatDecimal(charged, 1)} kWh, discharged ${formatDecimal(discharged, 1)} kWh (DC ratio ${formatDecimal(charged ? discharged / charged : Number.NaN, 3)})`,
    `  wrote ${s.outputs.daily}, ${s.outputs.outliers}, ${s.outputs.summary}, ${s.outputs.heatmap}`,
  ].join('\n'); // its warnings (low coverage, timestamps repeated with other values) go to stderr: the CLI's
}

/**
 * Whether a config's outputs are newer than everything they are made from (the config and its telemetry files):
 * `lptool run` skips bess then, so a cron run on unchanged telemetry neither reads it again nor says again what it
 * already said (low coverage, repeated timestamps).
 */
export async function bessUpToDate(configFile: string): Promise<boolean> {
  const config = loadBessConfig(configFile);
  const inputs = [config.file, ...(await telemetryFiles(config))];
  const newestInput = Math.max(...inputs.map((f) => fs.statSync(f).mtimeMs));
  const outputs = Object.values(outputPaths(config, undefined)).map((f) => fs.statSync(f, { throwIfNoEntry: false }));
  return outputs.every((st) => st !== undefined && st.mtimeMs >= newestInput);
}
