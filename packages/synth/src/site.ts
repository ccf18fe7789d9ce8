import fs from 'node:fs';
import path from 'node:path';
import { type ClockMode, LptError, SiteClock } from '@lptool/core';
import { cents, gaussian, labelMaker, mulberry32 } from './random.js';

export interface SiteSynthOptions {
  out: string;
  meters: number;
  days: number;
  /** First local day, YYYY-MM-DD. */
  start: string;
  tz: string;
  clock: ClockMode;
  seed: number;
  /** Local days per export file (weekly by default). */
  fileDays: number;
  intervalMs: number;
  /** Export files never delivered (each a gap of its span). */
  gaps: number;
  /** Export files with one row lost (sort rejects them: SEQUENCE-ERROR, and their span is a gap). */
  sequenceErrors: number;
  /** Byte-identical re-deliveries under another name (sort: DUPLICATE). */
  duplicates: number;
  /** Re-exports of a file's last day with one corrected interval, delivered later (build: a conflict, the re-export wins). */
  overlaps: number;
}

export interface SynthManifest {
  generator: 'lptool synth site';
  options: Omit<SiteSynthOptions, 'out'>;
  meters: { meter: string; name: string; multiplier: number; solar: boolean }[];
  files: number;
  rows: number;
  /** Export file names in the order they were delivered (re-deliveries last); file mtimes follow it. */
  deliveries: string[];
  faults: {
    gaps: { name: string; file: string; gap_start: string; gap_end: string; missing_intervals: number }[];
    sequenceErrors: {
      name: string;
      file: string;
      line: number;
      gap_start: string;
      gap_end: string;
      missing_intervals: number;
    }[];
    duplicates: { original: string; copy: string }[];
    overlaps: { name: string; file: string; reexport: string; start: string; kw_del: string }[];
  };
}

const NAMES = ['north', 'south', 'east', 'west', 'central', 'harbor', 'airport', 'mill', 'ridge', 'valley'];
const MULTIPLIERS = [28.8, 40, 12, 1.5, 60, 120, 1];
const HEADER = 'meter,Record No.,Event Type,Start Time,End Time,kw_del,kw_rec,kva_del,kva_rec';
const DAY = 86_400_000;

/** The site's intervals: their count, first instant, local hour / day / weekend, and export labels. */
interface Timeline {
  t0: number;
  n: number;
  hourOf: Float64Array;
  dayIdx: Int32Array;
  weekend: Uint8Array;
  startLabels: string[];
  endLabels: string[];
  /** Export files: [first, end) interval indices of `fileDays` local days each. */
  chunks: [number, number][];
  /** The start of interval i, legal local time with offset. */
  format: (t: number) => string;
  /** `MMDDYY-HHMMSS` of an instant, for file names. */
  fileLabel: (t: number) => string;
}

function checkOptions(o: SiteSynthOptions): void {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(o.start))
    throw new LptError('LPT_USAGE', `--start — expected a date like 2024-01-01, got ${JSON.stringify(o.start)}`, {
      key: '--start',
    });
  for (const [k, v] of Object.entries({ meters: o.meters, days: o.days, fileDays: o.fileDays })) {
    if (!Number.isInteger(v) || v < 1)
      throw new LptError('LPT_USAGE', `--${k} — expected a whole number ≥ 1, got ${v}`, { key: k });
  }
}

function timeline(o: SiteSynthOptions): Timeline {
  const clock = new SiteClock(o.tz, o.clock);
  const legal = new SiteClock(o.tz);
  const label = labelMaker();
  const [y, m, d] = o.start.split('-').map(Number) as [number, number, number];
  const t0 = legal.instantAtOrAfter(Date.UTC(y, m - 1, d));
  const tEnd = legal.instantAtOrAfter(Date.UTC(y, m - 1, d + o.days));
  const I = o.intervalMs;
  const n = Math.floor((tEnd - t0) / I);
  // the label the meter writes for an instant: legal wall time, or the standard offset all year
  const wallLabel = (t: number) =>
    label(o.clock === 'standard' ? t + clock.standardOffset(legal.wallOf(t)) : legal.wallOf(t));
  const hourOf = new Float64Array(n);
  const dayIdx = new Int32Array(n);
  const weekend = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const w = legal.wallOf(t0 + i * I);
    hourOf[i] = (((w % DAY) + DAY) % DAY) / 3_600_000;
    dayIdx[i] = Math.floor((w - Date.UTC(y, m - 1, d)) / DAY);
    const wd = new Date(w).getUTCDay();
    weekend[i] = wd === 0 || wd === 6 ? 1 : 0;
  }
  const chunks: [number, number][] = [];
  for (let a = 0; a < n; ) {
    let b = a;
    while (b < n && Math.floor(dayIdx[b]! / o.fileDays) === Math.floor(dayIdx[a]! / o.fileDays)) b++;
    chunks.push([a, b]);
    a = b;
  }
  const fileLabel = (t: number) => {
    const w = label(legal.wallOf(t)); // MM/DD/YY HH:MM:SS
    return `${w.slice(0, 2)}${w.slice(3, 5)}${w.slice(6, 8)}-${w.slice(9, 11)}${w.slice(12, 14)}${w.slice(15, 17)}`;
  };
  return {
    t0,
    n,
    hourOf,
    dayIdx,
    weekend,
    startLabels: Array.from({ length: n }, (_, i) => wallLabel(t0 + i * I)),
    endLabels: Array.from({ length: n }, (_, i) => wallLabel(t0 + (i + 1) * I)),
    chunks,
    format: (t) => legal.format(t),
    fileLabel,
  };
}

/** Where the faults go (`meter:file` keys): distinct, non-adjacent files of a meter, never its first or last. */
interface FaultPlan {
  gaps: Set<string>;
  sequenceErrors: Set<string>;
  overlaps: Set<string>;
  duplicates: Set<string>;
}

function planFaults(o: SiteSynthOptions, chunks: number, random: () => number): FaultPlan {
  const taken = new Set<string>();
  const pickChunk = (): [number, number] | null => {
    for (let tries = 0; tries < 1000; tries++) {
      const mi = Math.floor(random() * o.meters);
      const ci = 1 + Math.floor(random() * Math.max(1, chunks - 2));
      if (ci >= chunks - 1) continue;
      if (taken.has(`${mi}:${ci}`) || taken.has(`${mi}:${ci - 1}`) || taken.has(`${mi}:${ci + 1}`)) continue;
      taken.add(`${mi}:${ci}`);
      return [mi, ci];
    }
    return null;
  };
  const need = (what: string, count: number) => {
    const out = new Set<string>();
    for (let k = 0; k < count; k++) {
      const c = pickChunk();
      if (!c)
        throw new LptError(
          'LPT_USAGE',
          `--${what} — expected room for ${count} faults, got a site too small (${o.meters} meters × ${chunks} files); add --days or --meters`,
          { key: what },
        );
      out.add(`${c[0]}:${c[1]}`);
    }
    return out;
  };
  const gaps = need('gaps', o.gaps);
  const sequenceErrors = need('sequence-errors', o.sequenceErrors);
  const overlaps = need('overlaps', o.overlaps);
  return { gaps, sequenceErrors, overlaps, duplicates: need('duplicates', o.duplicates) };
}

/** One meter's export rows (feeder-like load, solar on every third meter) and its kW delivered per interval. */
function meterRows(
  mi: number,
  o: SiteSynthOptions,
  tl: Timeline,
  random: () => number,
): { info: SynthManifest['meters'][number]; rows: string[]; kwDel: Float64Array } {
  const meter = String(144_800_000 + 7919 * (mi + 1));
  const name = mi < NAMES.length ? NAMES[mi]! : `feeder-${String(mi + 1).padStart(2, '0')}`;
  const multiplier = MULTIPLIERS[mi % MULTIPLIERS.length]!;
  const solar = mi % 3 === 1;
  const base = 20 + random() * 380;
  const cap = solar ? base * (1.8 + random() * 1.5) : 0;
  const clouds = Array.from({ length: o.days + 2 }, () => 0.45 + 0.55 * random());
  const rows: string[] = new Array(tl.n);
  const kwDel = new Float64Array(tl.n);
  for (let i = 0; i < tl.n; i++) {
    const h = tl.hourOf[i]!;
    const season = 1 + 0.2 * Math.cos((2 * Math.PI * (tl.dayIdx[i]! - 15)) / 365);
    const shape = 1 + 0.35 * Math.exp(-(((h - 8.5) / 2.2) ** 2)) + 0.55 * Math.exp(-(((h - 18.5) / 2.6) ** 2));
    const load = base * shape * season * (tl.weekend[i] ? 0.85 : 1) * (1 + 0.04 * gaussian(random));
    const sun = Math.max(0, Math.sin((Math.PI * (h - 6.5)) / 12.5)) ** 1.3;
    const pv = cap * sun * clouds[tl.dayIdx[i]!]! * (0.85 + 0.15 * random());
    const net = load - pv;
    let kd = Math.max(net, 0);
    let kr = Math.max(-net, 0);
    if (pv > 0 && Math.abs(net) < 0.12 * base) {
      // the flow turns inside the interval: both directions registered
      kd += 0.04 * base;
      kr += 0.04 * base;
    }
    const vd = kd > 0 ? kd / (0.86 + 0.12 * random()) : 0;
    const vr = kr > 0 ? kr / (0.86 + 0.12 * random()) : 0;
    kwDel[i] = Math.round(kd * 100) / 100;
    rows[i] =
      `${meter},${100_000 + i},Normal,${tl.startLabels[i]},${tl.endLabels[i]},${cents(kd)},${cents(kr)},${cents(Math.max(vd, kd))},${cents(Math.max(vr, kr))}`;
  }
  return { info: { meter, name, multiplier, solar }, rows, kwDel };
}

/** Writes into the dropbox and records what it wrote. */
interface Delivery {
  box: string;
  manifest: SynthManifest;
  deliveries: { file: string; late: boolean }[];
}

/** The last local day of an export again, with one interval corrected (+10 % kW delivered), delivered later. */
function writeReexport(
  out: Delivery,
  m: { name: string; rows: string[]; kwDel: Float64Array },
  file: string,
  [a, b]: [number, number],
  tl: Timeline,
  intervalMs: number,
): void {
  const dayStart = Math.max(a, b - Math.round(DAY / intervalMs));
  const fix = dayStart + Math.floor((b - dayStart) / 2);
  const again = m.rows.slice(dayStart, b);
  const f = again[fix - dayStart]!.split(',');
  const kd2 = Math.round(m.kwDel[fix]! * 110) / 100 + 0.01;
  f[5] = cents(kd2);
  f[7] = cents(Math.max(Number(f[7]), kd2 / 0.9));
  again[fix - dayStart] = f.join(',');
  const reexport = file.replace(/\.csv$/, '-reexport.csv');
  fs.writeFileSync(path.join(out.box, reexport), `${HEADER}\n${again.join('\n')}\n`);
  out.deliveries.push({ file: reexport, late: true });
  const start = tl.format(tl.t0 + fix * intervalMs);
  out.manifest.faults.overlaps.push({ name: m.name, file, reexport, start, kw_del: f[5]! });
  out.manifest.files++;
  out.manifest.rows += again.length;
}

/** One meter's export files, with the faults planned for them. */
function writeExports(
  out: Delivery,
  mi: number,
  m: { name: string; rows: string[]; kwDel: Float64Array },
  faults: FaultPlan,
  tl: Timeline,
  intervalMs: number,
): void {
  tl.chunks.forEach(([a, b], ci) => {
    const file = `${m.name}-${tl.fileLabel(tl.t0 + a * intervalMs)}_${tl.fileLabel(tl.t0 + (b - 1) * intervalMs)}.csv`;
    const key = `${mi}:${ci}`;
    const span = {
      gap_start: tl.format(tl.t0 + a * intervalMs),
      gap_end: tl.format(tl.t0 + b * intervalMs),
      missing_intervals: b - a,
    };
    if (faults.gaps.has(key)) {
      out.manifest.faults.gaps.push({ name: m.name, file, ...span });
      return;
    }
    let body = m.rows.slice(a, b);
    if (faults.sequenceErrors.has(key)) {
      const r = Math.floor(body.length / 2);
      body = [...body.slice(0, r), ...body.slice(r + 1)];
      out.manifest.faults.sequenceErrors.push({ name: m.name, file, line: r + 2, ...span });
    }
    const text = `${HEADER}\n${body.join('\n')}\n`;
    fs.writeFileSync(path.join(out.box, file), text);
    out.deliveries.push({ file, late: false });
    out.manifest.files++;
    out.manifest.rows += body.length;
    if (faults.duplicates.has(key)) {
      const copy = file.replace(/\.csv$/, '-resent.csv');
      fs.writeFileSync(path.join(out.box, copy), text);
      out.deliveries.push({ file: copy, late: true });
      out.manifest.faults.duplicates.push({ original: file, copy });
      out.manifest.files++;
    }
    if (faults.overlaps.has(key)) writeReexport(out, m, file, [a, b], tl, intervalMs);
  });
}

/** meter-data.csv, lptool.yaml and synth-manifest.json of the site. */
function writeSiteFiles(o: SiteSynthOptions, manifest: SynthManifest): void {
  fs.writeFileSync(
    path.join(o.out, 'meter-data.csv'),
    `meter,name,multiplier\n${manifest.meters.map((x) => `${x.meter},${x.name},${x.multiplier}`).join('\n')}\n`,
  );
  fs.writeFileSync(
    path.join(o.out, 'lptool.yaml'),
    `# generated by lptool synth site (seed ${o.seed})\ntimezone: ${o.tz}\nclock: ${o.clock}\ninterval: ${o.intervalMs / 60_000}m\n`,
  );
  fs.writeFileSync(path.join(o.out, 'synth-manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
}

/**
 * A site root (SPEC §1) with `meter-data.csv`, `lptool.yaml` and raw exports in
 * `_dropbox/KW/` in the exact export format of SPEC §2, deterministic from the
 * seed: feeder-like load (daily and weekly cycles, season, noise), rooftop solar
 * on every third meter (midday flow reverses; both directions non-zero in the
 * intervals where it turns), kVA ≥ kW. Faults are injected on request and
 * listed in `synth-manifest.json`.
 */
export function synthSite(o: SiteSynthOptions): SynthManifest {
  checkOptions(o);
  const random = mulberry32(o.seed);
  const tl = timeline(o);
  const faults = planFaults(o, tl.chunks.length, random);
  const box = path.join(o.out, '_dropbox', 'KW');
  for (const dir of [box, path.join(o.out, 'data', 'KW'), path.join(o.out, 'lp'), path.join(o.out, 'logs')])
    fs.mkdirSync(dir, { recursive: true });
  const manifest: SynthManifest = {
    generator: 'lptool synth site',
    options: {
      meters: o.meters,
      days: o.days,
      start: o.start,
      tz: o.tz,
      clock: o.clock,
      seed: o.seed,
      fileDays: o.fileDays,
      intervalMs: o.intervalMs,
      gaps: o.gaps,
      sequenceErrors: o.sequenceErrors,
      duplicates: o.duplicates,
      overlaps: o.overlaps,
    },
    meters: [],
    files: 0,
    rows: 0,
    deliveries: [],
    faults: { gaps: [], sequenceErrors: [], duplicates: [], overlaps: [] },
  };
  const delivery: Delivery = { box, manifest, deliveries: [] };
  for (let mi = 0; mi < o.meters; mi++) {
    const m = meterRows(mi, o, tl, random);
    manifest.meters.push(m.info);
    writeExports(delivery, mi, { name: m.info.name, rows: m.rows, kwDel: m.kwDel }, faults, tl, o.intervalMs);
  }
  // delivery times: originals first (in name order), re-deliveries a day later — all settled a week ago
  const { deliveries } = delivery;
  deliveries.sort((p, q) => Number(p.late) - Number(q.late) || (p.file < q.file ? -1 : 1));
  manifest.deliveries = deliveries.map((dl) => dl.file);
  applyDeliveryTimes(box, manifest.deliveries);
  writeSiteFiles(o, manifest);
  return manifest;
}

/** File mtimes in delivery order, one second apart, a week ago (git does not keep mtimes: demo calls this again). */
export function applyDeliveryTimes(dropbox: string, deliveries: string[], now = Date.now()): void {
  const start = now - 7 * DAY;
  deliveries.forEach((file, k) => {
    const t = new Date(start + k * 1000);
    fs.utimesSync(path.join(dropbox, file), t, t);
  });
}
