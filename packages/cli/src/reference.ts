/**
 * A second, independent implementation of what lptool writes for a site, for
 * the golden-tree tests (zones.test.ts) only. It shares no code with lptool:
 * local times are resolved by asking Intl what wall clock an instant shows,
 * numbers are BigInt rationals, CSV is split by hand. It knows only what the
 * SPEC says: sort drops exact re-deliveries and rejects files that are not
 * continuous; build joins meter-data.csv, the export whose data ends latest wins
 * (ties: the later delivery); merge sums; gaps lists holes; resample 1d sums
 * local days. Where lptool and this disagree, one of them is wrong.
 */
import fs from 'node:fs';
import path from 'node:path';

const MIN = 60_000;
const HOUR = 3_600_000;
const DAY = 86_400_000;

// ---- time: Intl is the only authority on the zone ----

const formats = new Map<string, Intl.DateTimeFormat>();
function formatIn(zone: string): Intl.DateTimeFormat {
  let f = formats.get(zone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
      timeZoneName: 'longOffset',
    });
    formats.set(zone, f);
  }
  return f;
}

/** The wall clock an instant shows in a zone, as a UTC-based number, and the zone's offset then (ms). */
export function wallAndOffset(zone: string, t: number): { wall: number; offset: number } {
  const p = Object.fromEntries(
    formatIn(zone)
      .formatToParts(new Date(t))
      .map((x) => [x.type, x.value]),
  );
  const wall = Date.UTC(Number(p.year), Number(p.month) - 1, Number(p.day), Number(p.hour), Number(p.minute));
  const m = /GMT(?:([+-])(\d\d):(\d\d))?/.exec(p.timeZoneName!)!;
  const offset = m[1] ? (m[1] === '-' ? -1 : 1) * (Number(m[2]) * HOUR + Number(m[3]) * MIN) : 0;
  if (wall - t !== offset) throw new Error(`reference: Intl disagrees with itself at ${t} in ${zone}`);
  return { wall, offset };
}

/** Every instant whose wall clock in the zone reads `wall` (0, 1 or 2 of them), earliest first. */
export function instantsOf(zone: string, wall: number): number[] {
  const offsets = new Set([-DAY, -HOUR, 0, HOUR, DAY].map((d) => wallAndOffset(zone, wall + d).offset));
  return [...offsets]
    .map((o) => wall - o)
    .filter((t) => wallAndOffset(zone, t).wall === wall)
    .sort((a, b) => a - b);
}

/** The zone's standard offset in a year: the smaller of January's and July's (DST only ever adds). */
function standardOffset(zone: string, year: number): number {
  return Math.min(wallAndOffset(zone, Date.UTC(year, 0, 1)).offset, wallAndOffset(zone, Date.UTC(year, 6, 1)).offset);
}

const two = (n: number) => String(n).padStart(2, '0');
/** ISO 8601 local time with offset, e.g. 2024-11-03T01:55:00-07:00. */
export function iso(zone: string, t: number): string {
  const { wall, offset } = wallAndOffset(zone, t);
  const d = new Date(wall);
  const a = Math.abs(offset);
  return `${d.getUTCFullYear()}-${two(d.getUTCMonth() + 1)}-${two(d.getUTCDate())}T${two(d.getUTCHours())}:${two(
    d.getUTCMinutes(),
  )}:${two(d.getUTCSeconds())}${offset < 0 ? '-' : '+'}${two(Math.floor(a / HOUR))}:${two((a % HOUR) / MIN)}`;
}

/** `MM/DD/YY HH:MM:SS` → its wall clock as a UTC-based number. */
function labelWall(label: string): number {
  const m = /^(\d\d)\/(\d\d)\/(\d\d) (\d\d):(\d\d):(\d\d)$/.exec(label);
  if (!m) throw new Error(`reference: unexpected label ${label}`);
  return Date.UTC(2000 + Number(m[3]), Number(m[1]) - 1, Number(m[2]), Number(m[4]), Number(m[5]), Number(m[6]));
}

// ---- numbers: exact rationals ----

/** A decimal text as [numerator, denominator]. */
function rational(text: string): [bigint, bigint] {
  const m = /^(\d*)(?:\.(\d*))?$/.exec(text);
  if (!m) throw new Error(`reference: unexpected number ${text}`);
  const frac = m[2] ?? '';
  return [BigInt(`${m[1]}${frac}` || '0'), 10n ** BigInt(frac.length)];
}

/** num / den rounded half-up (ties away from zero) to an integer. */
function roundHalfUp(num: bigint, den: bigint): bigint {
  if (den < 0n) [num, den] = [-num, -den];
  const neg = num < 0n;
  const q = ((neg ? -num : num) * 2n + den) / (2n * den);
  return neg ? -q : q;
}

/** Millionths as the 6-decimal text lptool writes (trailing zeros trimmed). */
export function sixDecimals(micros: bigint): string {
  const neg = micros < 0n;
  const a = neg ? -micros : micros;
  const frac = String(a % 1_000_000n)
    .padStart(6, '0')
    .replace(/0+$/, '');
  const s = `${a / 1_000_000n}${frac ? `.${frac}` : ''}`;
  return neg && s !== '0' ? `-${s}` : s;
}
const micros = ([n, d]: [bigint, bigint]) => roundHalfUp(n * 1_000_000n, d);
const ratio = (a: bigint, b: bigint) => (b === 0n ? '' : sixDecimals(roundHalfUp(a * 1_000_000n, b)));

// ---- the site ----

interface ExportRow {
  start: number;
  end: number;
  fields: string[];
}
interface ExportFile {
  name: string;
  meter: string;
  rows: ExportRow[];
  /** Delivery order (its mtime's rank). */
  delivered: number;
}

export interface ReferenceSite {
  zone: string;
  intervalMs: number;
  clock: 'legal' | 'standard';
  meters: { meter: string; name: string; multiplier: string }[];
  /** Export files in the dropbox, in delivery order. */
  deliveries: { name: string; text: string }[];
}

/** A site root's inputs as the reference reads them (the dropbox, meter-data.csv, lptool.yaml, delivery order). */
export function readReferenceSite(root: string, deliveries: string[]): ReferenceSite {
  const yaml = fs.readFileSync(path.join(root, 'lptool.yaml'), 'utf8');
  const setting = (k: string) => new RegExp(`^${k}: (\\S+)$`, 'm').exec(yaml)![1]!;
  const [, ...lines] = fs.readFileSync(path.join(root, 'meter-data.csv'), 'utf8').trim().split('\n');
  return {
    zone: setting('timezone'),
    clock: setting('clock') as 'legal' | 'standard',
    intervalMs: Number(setting('interval').replace(/m$/, '')) * MIN,
    meters: lines.map((l) => {
      const [meter, name, multiplier] = l.split(',') as [string, string, string];
      return { meter, name, multiplier };
    }),
    deliveries: deliveries.map((name) => ({
      name,
      text: fs.readFileSync(path.join(root, '_dropbox/KW', name), 'utf8'),
    })),
  };
}

/** One export's rows on instants, or null when sort would reject it (a row that does not start where the last ended). */
function readExport(site: ReferenceSite, name: string, text: string, delivered: number): ExportFile | null {
  const [, ...lines] = text.trim().split('\n');
  const rows: ExportRow[] = [];
  for (const line of lines) {
    const fields = line.split(',');
    const wall = labelWall(fields[3]!);
    const prev = rows.at(-1);
    let start: number;
    if (site.clock === 'standard') start = wall - standardOffset(site.zone, new Date(wall).getUTCFullYear());
    else {
      // the repeated hour: the first reading after the previous row (record order)
      const candidates = instantsOf(site.zone, wall).filter((t) => !prev || t > prev.start);
      if (!candidates.length) return null;
      start = candidates[0]!;
    }
    if (prev && prev.end !== start) return null;
    const end = start + site.intervalMs;
    const endWall = labelWall(fields[4]!);
    const endOk =
      site.clock === 'standard'
        ? endWall === end + standardOffset(site.zone, new Date(endWall).getUTCFullYear())
        : endWall === wallAndOffset(site.zone, end).wall || endWall === wall + site.intervalMs;
    if (!endOk) throw new Error(`reference: ${name}: End Time ${fields[4]} is not one interval after ${fields[3]}`);
    rows.push({ start, end, fields });
  }
  return { name, meter: rows[0]!.fields[0]!, rows, delivered };
}

/** What sort keeps: every export that is continuous, byte-identical re-deliveries once. */
function archivedExports(site: ReferenceSite): ExportFile[] {
  const seen = new Set<string>();
  const out: ExportFile[] = [];
  site.deliveries.forEach(({ name, text }, k) => {
    if (seen.has(text)) return;
    seen.add(text);
    const f = readExport(site, name, text, k);
    if (f) out.push(f);
  });
  return out;
}

/** One profile row's 16 fields from an export row (SPEC §4), exactly, and its six derived values in millionths. */
function profileRow(site: ReferenceSite, mult: string, r: ExportRow): { text: string; values: bigint[] } {
  const [meter, rec, evt, , , kd, kr, vd, vr] = r.fields as string[];
  const values = rowMicros(mult, r.fields);
  // PF_net = MW_net / MVA_net: the multiplier cancels; the quotient of the exact kW and kVA sums
  const [qd, qr, ad, ar] = [kd!, kr!, vd!, vr!].map(rational) as [bigint, bigint][];
  const net: [bigint, bigint] = [qd![0] * qr![1] - qr![0] * qd![1], qd![1] * qr![1]];
  const app: [bigint, bigint] = [ad![0] * ar![1] + ar![0] * ad![1], ad![1] * ar![1]];
  // empty where MVA_net as written (values[5], millionths) is 0: a reader dividing the written cells never divides by 0
  const pf = values[5] === 0n ? '' : sixDecimals(roundHalfUp(net[0] * app[1] * 1_000_000n, net[1] * app[0]));
  const when = [iso(site.zone, r.start), iso(site.zone, r.end)];
  return { text: [...when, meter, rec, evt, kd, kr, vd, vr, ...values.map(sixDecimals), pf].join(','), values };
}

/** A profile in the reference: its rows by start instant, with the exact MW/MVA millionths merge and resample use. */
export interface ReferenceProfile {
  name: string;
  starts: number[];
  lines: string[];
  /** Millionths per row: MW_del, MW_rec, MVA_del, MVA_rec, MW_net, MVA_net. */
  values: bigint[][];
}

/** lp/<name>.csv for every meter with data: the latest-ending export wins each interval (ties: the later delivery). */
export function referenceProfiles(site: ReferenceSite): ReferenceProfile[] {
  const files = archivedExports(site);
  return site.meters.flatMap(({ meter, name, multiplier }) => {
    const mine = files.filter((f) => f.meter === meter);
    const best = new Map<number, { row: ExportRow; file: ExportFile }>();
    for (const file of mine)
      for (const row of file.rows) {
        const held = best.get(row.start);
        const fileEnd = (f: ExportFile) => f.rows.at(-1)!.end;
        if (
          !held ||
          fileEnd(file) > fileEnd(held.file) ||
          (fileEnd(file) === fileEnd(held.file) && file.delivered > held.file.delivered)
        )
          best.set(row.start, { row, file });
      }
    const starts = [...best.keys()].sort((a, b) => a - b);
    if (!starts.length) return [];
    const rows = starts.map((s) => profileRow(site, multiplier, best.get(s)!.row));
    return [{ name, starts, lines: rows.map((r) => r.text), values: rows.map((r) => r.values) }];
  });
}

/** MW_del, MW_rec, MVA_del, MVA_rec, MW_net, MVA_net of a row's fields, in millionths. */
function rowMicros(multiplier: string, fields: string[]): bigint[] {
  const [mn, md] = rational(multiplier);
  const [qd, qr, ad, ar] = fields.slice(5, 9).map(rational) as [bigint, bigint][];
  const at = ([n, d]: [bigint, bigint]) => micros([n * mn, d * md * 1000n]);
  const diff = (x: [bigint, bigint], y: [bigint, bigint], s: bigint): [bigint, bigint] => [
    x[0] * y[1] + s * y[0] * x[1],
    x[1] * y[1],
  ];
  return [at(qd!), at(qr!), at(ad!), at(ar!), at(diff(qd!, qr!, -1n)), at(diff(ad!, ar!, 1n))];
}

export const PROFILE_HEADER =
  'Start Time,End Time,meter,Record No.,Event Type,kw_del,kw_rec,kva_del,kva_rec,MW_del,MW_rec,MVA_del,MVA_rec,MW_net,MVA_net,PF_net';

export function profileText(p: ReferenceProfile): string {
  return `${PROFILE_HEADER}\n${p.lines.join('\n')}\n`;
}

/**
 * lp/all.csv: Σ MW_net and Σ MVA_net of the feeders at each instant, PF from the sums, how many reported of
 * meter-data.csv's meters. `complete`: every meter reported (else the total is partial).
 */
export function referenceTotal(
  site: ReferenceSite,
  profiles: ReferenceProfile[],
): { starts: number[]; text: string; values: bigint[][]; complete: boolean[] } {
  const at = new Map<number, { mw: bigint; mva: bigint; n: number }>();
  for (const p of profiles)
    p.starts.forEach((s, i) => {
      const t = at.get(s) ?? { mw: 0n, mva: 0n, n: 0 };
      t.mw += p.values[i]![4]!;
      t.mva += p.values[i]![5]!;
      t.n++;
      at.set(s, t);
    });
  const starts = [...at.keys()].sort((a, b) => a - b);
  const lines = starts.map((s) => {
    const t = at.get(s)!;
    const mw = sixDecimals(t.mw);
    return [
      iso(site.zone, s),
      iso(site.zone, s + site.intervalMs),
      mw,
      sixDecimals(t.mva),
      ratio(t.mw, t.mva),
      mw,
      t.n,
      site.meters.length,
    ].join(',');
  });
  return {
    starts,
    text: `Start Time,End Time,MW_total,MVA_total,PF_total,MW_net,feeders_reporting,feeders_expected\n${lines.map((l) => `${l}\n`).join('')}`,
    // MW_net, MW_total, MVA_total (the power columns of all.csv, in the order resample lists them)
    values: starts.map((s) => [at.get(s)!.mw, at.get(s)!.mw, at.get(s)!.mva]),
    complete: starts.map((s) => at.get(s)!.n === site.meters.length),
  };
}

/** <name>_gaps.csv: each hole between consecutive intervals, as elapsed time and intervals. */
export function referenceGaps(site: ReferenceSite, starts: number[]): string {
  const out = ['gap_start,gap_end,gap_duration,missing_intervals'];
  for (let i = 1; i < starts.length; i++) {
    const from = starts[i - 1]! + site.intervalMs;
    const to = starts[i]!;
    if (to === from) continue;
    const ms = to - from;
    const h = Math.floor(ms / HOUR);
    const m = (ms % HOUR) / MIN;
    out.push(
      `${iso(site.zone, from)},${iso(site.zone, to)},PT${h ? `${h}H` : ''}${m ? `${m}M` : ''},${ms / site.intervalMs}`,
    );
  }
  return `${out.join('\n')}\n`;
}

/** The local day [start, end) holding an instant: from the midnight before to the next (23, 24, 23.5, 25 … hours). */
function localDay(zone: string, t: number): [number, number] {
  const wall = wallAndOffset(zone, t).wall;
  const midnight = wall - (((wall % DAY) + DAY) % DAY);
  return [instantsOf(zone, midnight)[0]!, instantsOf(zone, midnight + DAY)[0]!];
}

/**
 * resampled/<name>_1d.csv: per local day the mean of each power column over its rows, the energies (Σ MW ×
 * interval hours), PF from the sums, and the intervals present (complete: a partial total is not) and expected;
 * every figure rounded half-up once from exact sums. `columns` names the power columns (in file order); `energy`
 * which of them give MWh columns; `pf` the pair for PF; `complete` per row (default: all).
 */
export function referenceDaily(
  site: ReferenceSite,
  starts: number[],
  values: bigint[][],
  columns: string[],
  energy: { name: string; column: number }[],
  pf: [number, number],
  complete: boolean[] = starts.map(() => true),
): string {
  const days = new Map<number, { end: number; rows: bigint[][]; complete: number }>();
  starts.forEach((s, i) => {
    const [a, b] = localDay(site.zone, s);
    const d = days.get(a) ?? { end: b, rows: [], complete: 0 };
    d.rows.push(values[i]!);
    if (complete[i]) d.complete++;
    days.set(a, d);
  });
  const header = [
    'Start Time',
    'End Time',
    ...columns,
    ...energy.map((e) => e.name),
    'PF',
    'intervals_present',
    'intervals_expected',
  ];
  const lines = [...days.entries()].map(([start, d]) => {
    const n = BigInt(d.rows.length);
    const sum = (k: number) => d.rows.reduce((a, r) => a + r[k]!, 0n);
    const fields = [iso(site.zone, start), iso(site.zone, d.end)];
    for (let k = 0; k < columns.length; k++) fields.push(sixDecimals(roundHalfUp(sum(k), n)));
    for (const e of energy)
      fields.push(sixDecimals(roundHalfUp(sum(e.column) * BigInt(site.intervalMs), BigInt(HOUR))));
    fields.push(ratio(sum(pf[0]), sum(pf[1])), String(d.complete), String((d.end - start) / site.intervalMs));
    return fields.join(',');
  });
  return `${header.join(',')}\n${lines.map((l) => `${l}\n`).join('')}`;
}
