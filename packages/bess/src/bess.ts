import fs from 'node:fs';
import path from 'node:path';
import {
  EnergyIntegrator,
  formatDecimal,
  formatShortDuration,
  LptError,
  medianStepMs,
  parseRange,
  SiteClock,
} from '@lptool/core';
import { AtomicFile, csvLine } from '@lptool/io';
import { type BessConfig, configError, loadBessConfig } from './config.js';
import { assignEnclosures, type InputAssignment } from './groups.js';
import { readTelemetry, telemetryFiles } from './read.js';

const HOUR = 3_600_000;
const natural = (a: string, b: string) => a.localeCompare(b, 'en', { numeric: true });

export interface BessOptions {
  config: string;
  /** Output folder, instead of the config's output.dir. */
  out?: string | undefined;
  from?: string | undefined;
  to?: string | undefined;
  tz?: string | undefined;
  /** Coverage below this share of the period is flagged (default 0.9). */
  minCoverage?: number;
}

export interface EnclosureTotal {
  enclosure_id: string;
  inverter: string;
  input: string;
  charged_kwh: number;
  discharged_kwh: number;
  /** Discharged / charged over the period (DC round trip); NaN when nothing was charged. */
  round_trip_ratio: number;
  covered_hours: number;
  period_hours: number;
  low_coverage: boolean;
}

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

/** One `lptool bess` run (SPEC §7). */
export async function bess(options: BessOptions): Promise<BessSummary> {
  const config: BessConfig = loadBessConfig(options.config);
  const timezone = options.tz ?? config.timestamp.timezone;
  const clock = new SiteClock(timezone);
  const { from, to } = parseRange(options.from, options.to, clock);
  const files = await telemetryFiles(config);
  const outDir = options.out ? path.resolve(options.out) : config.outputDir;
  const out = (name: string) => path.join(outDir, name);
  checkOutputs(
    config,
    {
      daily: out(config.output.daily),
      outliers: out(config.output.outliers),
      summary: out(config.output.summary),
      heatmap: out(config.output.heatmap),
    },
    [config.file, ...files],
  );
  const telemetry = await readTelemetry(
    config,
    clock,
    {
      ...(from !== undefined ? { from } : {}),
      ...(to !== undefined ? { to } : {}),
    },
    files,
  );
  const assignments = assignEnclosures(config, [...telemetry.power.keys()], telemetry.enclosureColumns);
  const step = medianStepMs(telemetry.times);
  const maxGapMs = config.maxGapMs ?? (Number.isFinite(step) ? 5 * step : 0);

  // integrate each input, then give each enclosure on it an even share
  type Day = { charged: number; discharged: number; coveredMs: number };
  const daily = new Map<string, Map<string, Day>>(); // date → enclosure → energy
  const enclosureOf = new Map<string, InputAssignment>();
  for (const a of assignments) {
    const it = new EnergyIntegrator({ clock, maxGapMs });
    const p = telemetry.power.get(a.column)!;
    for (let i = 0; i < telemetry.times.length; i++) it.push(telemetry.times[i]!, p[i]!);
    const n = a.enclosures.length;
    for (const d of it.finish()) {
      let byEnc = daily.get(d.date);
      if (!byEnc) {
        byEnc = new Map();
        daily.set(d.date, byEnc);
      }
      for (const e of a.enclosures)
        byEnc.set(e, { charged: d.chargedKwh / n, discharged: d.dischargedKwh / n, coveredMs: d.coveredMs });
    }
    for (const e of a.enclosures) {
      if (enclosureOf.has(e))
        throw new LptError(
          'LPT_CONFIG',
          `grouping — expected each enclosure on one input, got ${e} on ${enclosureOf.get(e)!.column} and ${a.column}`,
          { file: config.file },
        );
      enclosureOf.set(e, a);
    }
  }
  const dates = [...daily.keys()].sort();
  const enclosures = [...enclosureOf.keys()].sort(natural);

  const dailyFile = new AtomicFile(out(config.output.daily));
  dailyFile.write(
    csvLine(['date', 'enclosure_id', 'inverter', 'input', 'charged_kwh', 'discharged_kwh', 'covered_hours']),
  );
  const totals = new Map<string, { charged: number; discharged: number; coveredMs: number }>(
    enclosures.map((e) => [e, { charged: 0, discharged: 0, coveredMs: 0 }]),
  );
  for (const date of dates) {
    const byEnc = daily.get(date)!;
    for (const e of enclosures) {
      const d = byEnc.get(e) ?? { charged: 0, discharged: 0, coveredMs: 0 };
      const a = enclosureOf.get(e)!;
      dailyFile.write(
        csvLine([
          date,
          e,
          a.inverter,
          a.input,
          formatDecimal(d.charged),
          formatDecimal(d.discharged),
          formatDecimal(d.coveredMs / HOUR),
        ]),
      );
      const t = totals.get(e)!;
      t.charged += d.charged;
      t.discharged += d.discharged;
      t.coveredMs += d.coveredMs;
    }
  }
  dailyFile.commit();

  const periodHours = (telemetry.times[telemetry.times.length - 1]! - telemetry.times[0]!) / HOUR;
  const minCoverage = options.minCoverage ?? 0.9;
  const rows: EnclosureTotal[] = enclosures.map((e) => {
    const t = totals.get(e)!;
    const a = enclosureOf.get(e)!;
    const covered = t.coveredMs / HOUR;
    return {
      enclosure_id: e,
      inverter: a.inverter,
      input: a.input,
      charged_kwh: t.charged,
      discharged_kwh: t.discharged,
      round_trip_ratio: t.charged > 0 ? t.discharged / t.charged : Number.NaN,
      covered_hours: covered,
      period_hours: periodHours,
      low_coverage: periodHours > 0 && covered < minCoverage * periodHours,
    };
  });

  const outliers = new AtomicFile(out(config.output.outliers));
  outliers.write(csvLine(['metric', 'rank', 'enclosure_id', 'total_kwh']));
  for (const [metric, key] of [
    ['charged', 'charged_kwh'],
    ['discharged', 'discharged_kwh'],
  ] as const) {
    const bottom = [...rows].sort((x, y) => x[key] - y[key] || natural(x.enclosure_id, y.enclosure_id)).slice(0, 5);
    for (const [i, r] of bottom.entries())
      outliers.write(csvLine([metric, String(i + 1), r.enclosure_id, formatDecimal(r[key])]));
  }
  outliers.commit();

  const summaryFile = new AtomicFile(out(config.output.summary));
  summaryFile.write(
    csvLine([
      'enclosure_id',
      'inverter',
      'input',
      'charged_kwh',
      'discharged_kwh',
      'round_trip_ratio',
      'covered_hours',
      'period_hours',
      'low_coverage',
    ]),
  );
  for (const r of rows) {
    summaryFile.write(
      csvLine([
        r.enclosure_id,
        r.inverter,
        r.input,
        formatDecimal(r.charged_kwh),
        formatDecimal(r.discharged_kwh),
        formatDecimal(r.round_trip_ratio),
        formatDecimal(r.covered_hours),
        formatDecimal(r.period_hours),
        String(r.low_coverage),
      ]),
    );
  }
  summaryFile.commit();

  const { heatmapSpec, renderSpec } = await import('@lptool/plot');
  const heatmapPath = out(config.output.heatmap);
  const format = heatmapPath.endsWith('.svg') ? 'svg' : heatmapPath.endsWith('.json') ? 'vl.json' : 'png';
  const spec = heatmapSpec({
    title: `Discharged energy per enclosure and day — ${dates[0] ?? ''} → ${dates[dates.length - 1] ?? ''}`,
    subtitle: `${enclosures.length} enclosures on ${assignments.length} inverter inputs; DC input energy split evenly per input; blank = no data. Days in ${timezone}.`,
    rows: enclosures,
    columns: dates,
    // a day without any covered time is left blank (no data), not drawn as 0 kWh
    cells: dates.flatMap((date) =>
      enclosures.flatMap((e) => {
        const d = daily.get(date)!.get(e);
        return d && d.coveredMs > 0 ? [{ row: e, column: date, value: Math.round(d.discharged * 100) / 100 }] : [];
      }),
    ),

    valueTitle: 'discharged kWh',
  });
  const pic = new AtomicFile(heatmapPath);
  pic.writeBytes(await renderSpec(spec, { format }));
  pic.commit();

  const warnings = [...telemetry.warnings];
  const low = rows.filter((r) => r.low_coverage);
  if (low.length)
    warnings.push(
      `${low.length} enclosure(s) covered less than ${Math.round(minCoverage * 100)} % of the period: ${low
        .slice(0, 8)
        .map((r) => `${r.enclosure_id} (${formatDecimal(r.covered_hours / Math.max(r.period_hours, 1e-9), 2)})`)
        .join(', ')}${low.length > 8 ? ' …' : ''}`,
    );
  const rel = (p: string) => {
    const r = path.relative(process.cwd(), p);
    return r && !r.startsWith('..') ? r : p;
  };
  return {
    config: rel(config.file),
    files: telemetry.files,
    timezone,
    samples: telemetry.times.length,
    first: clock.format(telemetry.times[0]!),
    last: clock.format(telemetry.times[telemetry.times.length - 1]!),
    medianStepMs: step,
    maxGapMs,
    inverters: new Set(assignments.map((a) => a.inverter)).size,
    inputs: assignments.length,
    enclosures: enclosures.length,
    days: dates.length,
    totals: rows,
    outputs: {
      daily: rel(out(config.output.daily)),
      outliers: rel(out(config.output.outliers)),
      summary: rel(out(config.output.summary)),
      heatmap: rel(heatmapPath),
    },
    warnings,
    exitCode: warnings.length ? 1 : 0,
  };
}

/**
 * Outputs never overwrite an input — a telemetry file or the config itself, by path or by being the
 * same file (a link) — and no two outputs share a file: LPT_CONFIG (exit 2) naming the key, before
 * anything is read or written.
 */
function checkOutputs(config: BessConfig, outputs: Record<string, string>, inputs: string[]): void {
  const idOf = (p: string) => {
    const st = fs.statSync(p, { throwIfNoEntry: false });
    return st ? `${st.dev}:${st.ino}` : null;
  };
  const shown = (p: string) => path.relative(config.baseDir, p) || p;
  const inputAt = new Map<string, string>();
  for (const f of inputs) {
    inputAt.set(path.resolve(f), f);
    const id = idOf(f);
    if (id) inputAt.set(id, f);
  }
  const taken = new Map<string, string>();
  for (const [key, p] of Object.entries(outputs)) {
    const abs = path.resolve(p);
    const id = idOf(abs);
    const input = inputAt.get(abs) ?? (id ? inputAt.get(id) : undefined);
    if (input)
      throw configError(
        config,
        `output.${key}`,
        `expected a file that is not an input, got ${shown(input)} (writing there would destroy it)`,
      );
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
    ...s.warnings.map((w) => `  warning: ${w}`),
  ].join('\n');
}
