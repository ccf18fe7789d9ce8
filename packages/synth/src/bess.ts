import fs from 'node:fs';
import path from 'node:path';
import { LptError, SiteClock } from '@lptool/core';
import { parquetWriteFile } from 'hyparquet-writer';
import { gaussian, mulberry32 } from './random.js';

export interface BessSynthOptions {
  out: string;
  inverters: number;
  days: number;
  start: string;
  tz: string;
  stepMs: number;
  /** Unrelated columns, as real wide exports have thousands. */
  extraColumns: number;
  format: 'csv' | 'parquet';
  seed: number;
}

const METRICS = [
  'SOC (%)',
  'SOH (%)',
  'Cell Temp Max (degC)',
  'Cell Temp Min (degC)',
  'Cell V Max (V)',
  'Cell V Min (V)',
  'Rack Current (A)',
  'Rack Voltage (V)',
  'Fan Speed (%)',
  'Alarm Count',
];
const pad2 = (n: number) => (n < 10 ? `0${n}` : `${n}`);

/**
 * Wide BESS telemetry (SPEC §7): a timestamp, two DC input power columns per
 * inverter (a daily charge/discharge cycle through zero, noise, a few missing
 * samples), ten metric columns per enclosure (6 per inverter, 4 on every fourth),
 * and `extraColumns` unrelated ones; plus a matching `bess.yaml`. Deterministic
 * from the seed. 20 inverters with 840 extra columns give 2,041+ columns.
 */
export function synthBess(o: BessSynthOptions): { columns: number; rows: number; file: string; config: string } {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(o.start))
    throw new LptError('LPT_USAGE', `--start — expected a date like 2024-03-20, got ${JSON.stringify(o.start)}`, {
      key: '--start',
    });
  const clock = new SiteClock(o.tz);
  const random = mulberry32(o.seed);
  const [y, m, d] = o.start.split('-').map(Number) as [number, number, number];
  const t0 = clock.instantAtOrAfter(Date.UTC(y, m - 1, d));
  const tEnd = clock.instantAtOrAfter(Date.UTC(y, m - 1, d + o.days));
  const n = Math.floor((tEnd - t0) / o.stepMs);
  const times = Float64Array.from({ length: n }, (_, i) => t0 + i * o.stepMs);
  const label = (t: number) => {
    const w = new Date(clock.wallOf(t));
    return `${w.getUTCFullYear()}-${pad2(w.getUTCMonth() + 1)}-${pad2(w.getUTCDate())} ${pad2(w.getUTCHours())}:${pad2(w.getUTCMinutes())}:${pad2(w.getUTCSeconds())}`;
  };
  const names: string[] = ['Timestamp'];
  const columns: (() => Float64Array)[] = [];
  const hours = Float64Array.from(times, (t) => (((clock.wallOf(t) / 3_600_000) % 24) + 24) % 24);
  for (let k = 1; k <= o.inverters; k++) {
    const block = `${Math.ceil(k / 4)}${'ABCD'[(k - 1) % 4]}`;
    const inverter = `${block}PCS${k}`;
    for (const [j, input] of ['BESS1', 'BESS2'].entries()) {
      names.push(`${input} DC Input Power (kW) [Battery Inverter ${inverter}]`);
      const amp = 350 + 120 * random() + 20 * j;
      const seed = Math.floor(random() * 2 ** 31);
      columns.push(() => {
        const r = mulberry32(seed);
        return Float64Array.from(hours, (h) => {
          if (r() < 0.001) return Number.NaN; // a dropped sample now and then
          // charge overnight and at midday solar, discharge in the evening peak
          const v =
            amp *
            (0.9 * Math.exp(-(((h - 19) / 2) ** 2)) -
              0.6 * Math.exp(-(((h - 12.5) / 2.5) ** 2)) -
              0.3 * Math.exp(-(((h - 3) / 2) ** 2)));
          return Math.round((v + 4 * gaussian(r)) * 100) / 100;
        });
      });
    }
    const enclosures = k % 4 === 0 ? 4 : 6;
    for (let e = 1; e <= enclosures; e++) {
      for (const metric of METRICS) {
        names.push(`${metric} [Battery system ${block}${k}BAT${e}]`);
        const level = 20 + 60 * random();
        columns.push(() =>
          Float64Array.from(hours, (h) => Math.round((level + 10 * Math.sin((h / 24) * 2 * Math.PI)) * 10) / 10),
        );
      }
    }
  }
  for (let k = 0; k < o.extraColumns; k++) {
    names.push(`Aux Signal ${k + 1} [Site]`);
    const level = 100 * random();
    columns.push(() => Float64Array.from(times, (_, i) => Math.round((level + (i % 97)) * 100) / 100));
  }
  fs.mkdirSync(o.out, { recursive: true });
  const file = path.join(o.out, `telemetry.${o.format}`);
  if (o.format === 'csv') {
    // every column is computed once (a Float64Array each), then written out row by row in 4 MB pieces
    const data = columns.map((c) => c());
    const fd = fs.openSync(file, 'w');
    let buf = `${names.join(',')}\n`;
    for (let i = 0; i < n; i++) {
      let line = label(times[i]!);
      for (const col of data) {
        const v = col[i]!;
        line += Number.isNaN(v) ? ',' : `,${v}`;
      }
      buf += `${line}\n`;
      if (buf.length > 1 << 22) {
        fs.writeSync(fd, buf);
        buf = '';
      }
    }
    fs.writeSync(fd, buf);
    fs.closeSync(fd);
  } else {
    parquetWriteFile({
      filename: file,
      columnData: names.map((name, j) =>
        j === 0
          ? { name, data: Array.from(times, label), type: 'STRING' as const }
          : { name, data: Array.from(columns[j - 1]!(), (v) => (Number.isNaN(v) ? null : v)), type: 'DOUBLE' as const },
      ),
      rowGroupSize: 10_000,
    });
  }
  const config = path.join(o.out, 'bess.yaml');
  fs.writeFileSync(
    config,
    [
      `# generated by lptool synth bess (seed ${o.seed})`,
      'source:',
      `  paths: [telemetry.${o.format}]`,
      'timestamp:',
      '  column: Timestamp',
      `  timezone: ${o.tz}`,
      'power:',
      "  regex: '^(?<input>BESS\\d+) DC Input Power \\(kW\\) \\[Battery Inverter (?<inverter>(?<block>\\d+[A-Z])PCS(?<pcs>\\d+))\\]$'",
      'enclosures:',
      "  regex: '^.+ \\[Battery system (?<enclosure>(?<block>\\d+[A-Z])(?<pcs>\\d+)BAT(?<index>\\d+))\\]$'",
      '  join: [block, pcs]',
      '  order: index',
      'split:',
      '  6: [3, 3]',
      '  4: [2, 2]',
      'output:',
      '  dir: out',
      '',
    ].join('\n'),
  );
  return { columns: names.length, rows: n, file, config };
}
