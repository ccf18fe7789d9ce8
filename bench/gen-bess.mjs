// node bench/gen-bess.mjs OUTDIR [--days 30] [--inverters 20] [--noise 840] [--step-min 1]
// Wide BESS telemetry for the bench: Timestamp + per inverter 2 DC input power columns + 6 enclosures × 10
// metric columns, plus noise columns: 20 inverters → 40 + 1,200 + 840 = 2,081 columns. Naive local labels in
// Australia/Sydney. Writes telemetry.csv, telemetry.parquet and bess-csv.yaml / bess-parquet.yaml.
import fs from 'node:fs';
import path from 'node:path';
import { parquetWriteFile } from 'hyparquet-writer';
import { SiteClock } from '../packages/core/dist/index.js';

const args = process.argv.slice(2);
const out = args[0];
const opt = (n, d) => (args.includes(n) ? Number(args[args.indexOf(n) + 1]) : d);
const days = opt('--days', 30);
const inverters = opt('--inverters', 20);
const noise = opt('--noise', 840);
const stepMin = opt('--step-min', 1);
fs.mkdirSync(out, { recursive: true });
const clock = new SiteClock('Australia/Sydney');
const t0 = Date.parse('2024-03-20T00:00:00+11:00');
const n = Math.round((days * 1440) / stepMin);
const p2 = (x) => String(x).padStart(2, '0');
const label = (t) => {
  const d = new Date(clock.wallOf(t));
  return `${d.getUTCFullYear()}-${p2(d.getUTCMonth() + 1)}-${p2(d.getUTCDate())} ${p2(d.getUTCHours())}:${p2(d.getUTCMinutes())}:00`;
};
const names = ['Timestamp'];
const gens = [];
for (let k = 1; k <= inverters; k++) {
  const block = `${Math.ceil(k / 4)}${'ABCD'[(k - 1) % 4]}`;
  const inv = `${block}PCS${k}`;
  for (const input of ['BESS1', 'BESS2']) {
    names.push(`${input} DC Input Power (kW) [Battery Inverter ${inv}]`);
    const amp = 400 + 10 * k + (input === 'BESS2' ? 25 : 0);
    gens.push((t) => {
      const h = (((clock.wallOf(t) / 3_600_000) % 24) + 24) % 24;
      return Math.round(amp * (Math.sin(((h - 3) / 24) * 2 * Math.PI) + 0.05 * Math.sin(t / 7e5)) * 100) / 100;
    });
  }
  for (let e = 1; e <= 6; e++) {
    for (const m of [
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
    ]) {
      names.push(`${m} [Battery system ${block}${k}BAT${e}]`);
      gens.push(() => 50.5);
    }
  }
}
for (let k = 0; k < noise; k++) {
  names.push(`Aux Signal ${k} [Site]`);
  gens.push((t) => (k + t / 6e4) % 100);
}
const times = Array.from({ length: n }, (_, i) => t0 + i * stepMin * 60_000);
// CSV, streamed row by row
const fd = fs.openSync(path.join(out, 'telemetry.csv'), 'w');
fs.writeSync(fd, `${names.join(',')}\n`);
let buf = '';
for (const t of times) {
  buf += label(t);
  for (const g of gens) buf += `,${g(t)}`;
  buf += '\n';
  if (buf.length > 1 << 22) {
    fs.writeSync(fd, buf);
    buf = '';
  }
}
fs.writeSync(fd, buf);
fs.closeSync(fd);
// Parquet: one column at a time into typed arrays
parquetWriteFile({
  filename: path.join(out, 'telemetry.parquet'),
  columnData: names.map((name, j) =>
    j === 0
      ? { name, data: times.map(label), type: 'STRING' }
      : { name, data: Float64Array.from(times, gens[j - 1]), type: 'DOUBLE' },
  ),
  rowGroupSize: 10_000,
});
const yaml = (fmt) =>
  `source:\n  paths: [telemetry.${fmt}]\ntimestamp:\n  column: Timestamp\n  timezone: Australia/Sydney\npower:\n  regex: '^(?<input>BESS\\d+) DC Input Power \\(kW\\) \\[Battery Inverter (?<inverter>(?<block>\\d+[A-Z])PCS(?<pcs>\\d+))\\]$'\nenclosures:\n  regex: '^.+ \\[Battery system (?<enclosure>(?<block>\\d+[A-Z])(?<pcs>\\d+)BAT(?<index>\\d+))\\]$'\n  join: [block, pcs]\n  order: index\nsplit:\n  6: [3, 3]\noutput:\n  dir: out-${fmt}\n`;
fs.writeFileSync(path.join(out, 'bess-csv.yaml'), yaml('csv'));
fs.writeFileSync(path.join(out, 'bess-parquet.yaml'), yaml('parquet'));
process.stdout.write(`${names.length} columns × ${n} rows\n`);
