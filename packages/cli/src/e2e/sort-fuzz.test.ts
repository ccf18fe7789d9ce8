import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXPORT_HEADER, listFiles, lptool, seededRandom, sha256, tempDir } from '../testing.js';

/**
 * Fuzzed exports through the real CLI (issue 13): 1,200 generated files — valid exports in every
 * accepted spelling, and the same broken in every way an FTP job, a meter or a person breaks them
 * (rows lost, swapped, doubled; bad times, bad values, odd years; columns missing, doubled, renamed;
 * BOM, CRLF, quotes, blank lines; cut short, binary, empty, `hello`; long, unicode, upper-case and
 * non-UTF-8 names; re-deliveries and corrected re-exports under old names) — delivered in two rounds,
 * each sorted. Byte conservation: every input, by content, is afterwards in exactly one place (the
 * archive, ERROR/, DUPLICATE/, or left in the dropbox), and the store names each filed file. build then
 * runs over the archive and never fails with exit 2 or 3. Seeded (LPTOOL_FUZZ_SEED repeats a run;
 * the seed is in every failure message).
 */
const SEED = Number(process.env.LPTOOL_FUZZ_SEED) || Date.now() % 1_000_000;
const PER_ROUND = 600;
const METERS = ['144800052', '144800053', '144800054', '144800055', '144800056'];
const OLD = new Date('2024-08-01T00:00:00Z');

type Random = () => number;
const pick = <T>(r: Random, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
const int = (r: Random, lo: number, hi: number) => lo + Math.floor(r() * (hi - lo + 1));
const p2 = (n: number) => String(n).padStart(2, '0');

/** A label of a wall time in one of the accepted spellings (SPEC §2), or an odd one. */
function label(r: Random, wall: number, style: number, offsetMin: number): string {
  const d = new Date(wall);
  const [y, mo, da, h, mi] = [
    d.getUTCFullYear(),
    d.getUTCMonth() + 1,
    d.getUTCDate(),
    d.getUTCHours(),
    d.getUTCMinutes(),
  ];
  const off = `${offsetMin < 0 ? '-' : '+'}${p2(Math.abs(offsetMin) / 60)}:00`;
  switch (style) {
    case 0:
      return `${p2(mo)}/${p2(da)}/${p2(y % 100)} ${p2(h)}:${p2(mi)}:00`;
    case 1:
      return `${p2(mo)}/${p2(da)}/${y} ${p2(h)}:${p2(mi)}`;
    case 2:
      return `${y}-${p2(mo)}-${p2(da)}T${p2(h)}:${p2(mi)}:00${off}`;
    case 3:
      return `${mo}/${da}/${y} ${h}:${p2(mi)}:00`;
    default:
      return `${String(pick(r, [24, 1969, 2099, 0])).padStart(4, '0')}-${p2(mo)}-${p2(da)} ${p2(h)}:${p2(mi)}`;
  }
}

/** One export's rows as fields (header first), valid unless mutated. */
function baseRows(r: Random): string[][] {
  const meter = pick(r, METERS);
  const intervalMin = r() < 0.9 ? 15 : pick(r, [5, 30]);
  const start = Date.UTC(int(r, 2023, 2025), int(r, 0, 11), int(r, 1, 28), int(r, 0, 23), pick(r, [0, 15, 30, 45]));
  const style = r() < 0.97 ? int(r, 0, 3) : 4;
  const offset = pick(r, [-480, -420]);
  const rows = [EXPORT_HEADER.split(',')];
  const n = r() < 0.05 ? 0 : int(r, 1, 40);
  for (let i = 0; i < n; i++) {
    const w = start + i * intervalMin * 60_000;
    const kw = (r() * 90).toFixed(int(r, 0, 3));
    rows.push([
      meter,
      String(1000 + i),
      'Normal',
      label(r, w, style, offset),
      label(r, w + intervalMin * 60_000, style, offset),
      kw,
      r() < 0.8 ? '0' : (r() * 5).toFixed(2),
      (Number(kw) * (1 + r() * 0.3)).toFixed(2),
      '0',
    ]);
  }
  return rows;
}

/** Break an export the way real ones break: each mutation with some probability. */
function mutate(r: Random, rows: string[][]): string[][] {
  const m = [...rows.map((x) => [...x])];
  const row = () => 1 + Math.floor(r() * (m.length - 1));
  const field = () => Math.floor(r() * m[0]!.length);
  const times = r() < 0.35 ? 0 : int(r, 1, 3);
  for (let t = 0; t < times && m.length > 1 && m[0]!.length > 1; t++) {
    switch (int(r, 0, 11)) {
      case 0:
        m.splice(row(), 1); // a row lost
        break;
      case 1: {
        const [a, b] = [row(), row()];
        [m[a], m[b]] = [m[b]!, m[a]!];
        break;
      }
      case 2:
        m.splice(row(), 0, [...m[row()]!]); // a row doubled
        break;
      case 3:
        m[row()]![pick(r, [3, 4])] = pick(r, ['', 'garbage', '13/45/24 99:00:00', '02/30/24 00:00:00']);
        break;
      case 4:
        m[row()]![int(r, 5, 8)] = pick(r, ['', 'abc', '-1', '1e400', 'Infinity', '0x1F', 'NaN', '99999999999']);
        break;
      case 5:
        m[0]![field()] = pick(r, ['KW_DEL', ' Start Time ', 'start time', 'kw del', 'Meter']); // renamed/recased
        break;
      case 6: {
        const f = field();
        for (const x of m) x.splice(f, 1); // a column missing
        break;
      }
      case 7: {
        const f = field();
        for (const x of m) x.push(x[f]!); // a column doubled
        break;
      }
      case 8:
        m[row()]![0] = pick(r, METERS); // a second meter
        break;
      case 9:
        for (const x of m) x.push(pick(r, ['extra', 'x'])); // an extra column
        break;
      case 10:
        m[row()]!.push('stray'); // a row with one field too many
        break;
      default:
        m[row()]![2] = 'x'.repeat(int(r, 1000, 10_000)); // a very long field
    }
  }
  return m;
}

/** The bytes of one export: rows joined with the spelling quirks of real files. */
function encode(r: Random, rows: string[][]): Buffer {
  const eol = r() < 0.2 ? '\r\n' : '\n';
  const quote = r() < 0.15;
  let text = rows
    .map((x) => x.map((f) => (quote || f.includes(',') ? `"${f.replaceAll('"', '""')}"` : f)).join(','))
    .join(eol);
  if (r() < 0.7) text += eol;
  if (r() < 0.1) text += eol.repeat(int(r, 1, 3));
  if (r() < 0.05) text = text.replace(eol, `${eol}${eol}`); // a blank line after the header
  if (r() < 0.15) text = `\uFEFF${text}`;
  let buf = Buffer.from(text);
  const odd = r();
  if (odd < 0.03)
    buf = buf.subarray(0, Math.floor(r() * buf.length)); // cut short
  else if (odd < 0.05)
    buf = Buffer.from(Array.from({ length: int(r, 1, 500) }, () => int(r, 0, 255))); // binary
  else if (odd < 0.06) buf = Buffer.alloc(0);
  else if (odd < 0.07) buf = Buffer.from('hello');
  else if (odd < 0.08) buf = Buffer.concat([buf, Buffer.from([0xff, 0xfe, 0x00])]);
  return buf;
}

/** A dropbox name: mostly plain; some long, unicode, upper-case, hidden, not .csv, or not UTF-8. */
function fileName(r: Random, i: number, round: number): Buffer {
  const base = `r${round}-f${i}`;
  const x = r();
  if (x < 0.04) return Buffer.from(`${base}-${'n'.repeat(int(r, 200, 251 - base.length))}.csv`.slice(0, 255));
  if (x < 0.07) return Buffer.from(`${base}-zähler-été-${'é'.repeat(int(r, 1, 100))}.csv`);
  if (x < 0.09) return Buffer.from(`${base}.CSV`);
  if (x < 0.1) return Buffer.from(`.${base}.csv`);
  if (x < 0.11) return Buffer.from(`${base}.txt`);
  if (x < 0.12) return Buffer.concat([Buffer.from(base), Buffer.from([0xff]), Buffer.from('.csv')]);
  return Buffer.from(`${base}.csv`);
}

interface Delivery {
  name: Buffer;
  bytes: Buffer;
}

/** A round of deliveries: new exports, re-deliveries of earlier bytes, and new bytes under earlier names. */
function round(r: Random, n: number, k: number, earlier: Delivery[]): Delivery[] {
  const out: Delivery[] = [];
  const used = new Set<string>();
  for (let i = 0; i < n; i++) {
    let d: Delivery;
    const prev = earlier.length ? pick(r, earlier) : null;
    const x = r();
    if (prev && x < 0.06)
      d = { name: fileName(r, i, k), bytes: prev.bytes }; // a byte-identical re-delivery
    else if (prev && x < 0.12)
      d = { name: prev.name, bytes: encode(r, mutate(r, baseRows(r))) }; // an old name again
    else d = { name: fileName(r, i, k), bytes: encode(r, mutate(r, baseRows(r))) };
    const key = d.name.toString('hex');
    if (used.has(key)) continue; // one file per name in a dropbox
    used.add(key);
    out.push(d);
  }
  return out;
}

/** Content hashes (with counts) of every file in the dropbox and under data/KW/, sidecars aside. */
function contents(root: string): Map<string, number> {
  const m = new Map<string, number>();
  const add = (file: Buffer | string) => {
    const h = sha256(fs.readFileSync(file));
    m.set(h, (m.get(h) ?? 0) + 1);
  };
  const box = path.join(root, '_dropbox/KW');
  for (const name of fs.readdirSync(box, { encoding: 'buffer' })) add(Buffer.concat([Buffer.from(`${box}/`), name]));
  for (const f of listFiles(path.join(root, 'data/KW')))
    if (!(f.startsWith('ERROR/') && f.endsWith('.json'))) add(path.join(root, 'data/KW', f));
  return m;
}

describe(`fuzzed exports through sort and build (seed ${SEED})`, () => {
  let site: { dir: string; cleanup: () => void };
  beforeAll(() => {
    site = tempDir('lptool-fuzz-', true);
  });
  afterAll(() => site.cleanup());

  it(`${2 * PER_ROUND} exports in two rounds: every byte in exactly one place; build never exits 2 or 3`, () => {
    const root = site.dir;
    const where = `LPTOOL_FUZZ_SEED=${SEED}`;
    fs.mkdirSync(path.join(root, '_dropbox/KW'), { recursive: true });
    fs.writeFileSync(path.join(root, 'lptool.yaml'), 'timezone: America/Los_Angeles\n');
    fs.writeFileSync(
      path.join(root, 'meter-data.csv'),
      `meter,name,multiplier\n${METERS.map((m, i) => `${m},feeder${i},${i + 1}.5`).join('\n')}\n`,
    );
    const r = seededRandom(SEED);
    const expected = new Map<string, number>();
    const all: Delivery[] = [];
    let tried = 0;
    const outcomes: Record<string, number> = {};
    for (const k of [1, 2]) {
      const deliveries = round(r, PER_ROUND, k, all);
      for (const d of deliveries) {
        const full = Buffer.concat([Buffer.from(`${root}/_dropbox/KW/`), d.name]);
        // a name from the earlier round whose file is still waiting in the dropbox: that one is replaced
        if (fs.existsSync(full)) {
          const h = sha256(fs.readFileSync(full));
          expected.set(h, expected.get(h)! - 1);
        }
        fs.writeFileSync(full, d.bytes);
        fs.utimesSync(full, OLD, OLD);
        const h = sha256(d.bytes);
        expected.set(h, (expected.get(h) ?? 0) + 1);
      }
      tried += deliveries.length;
      all.push(...deliveries);
      const s = lptool(['sort', '--root', root, '--settle', '0', '--json']);
      expect(s.stderr, where).toMatch(/^(lptool: (sort|build): .*\n)*$/); // rejects (problems), nothing else
      expect([0, 1], where).toContain(s.code);
      const summary = JSON.parse(s.stdout);
      for (const [key, n] of Object.entries(summary.counts as Record<string, number>))
        outcomes[key] = (outcomes[key] ?? 0) + n;
      for (const [h, n] of expected) if (n === 0) expected.delete(h);
      expect(contents(root), `${where}: byte conservation after round ${k}`).toEqual(expected);
      // what is left in the dropbox is only what sort must leave: hidden, not .csv, or a name that is not UTF-8
      for (const name of fs.readdirSync(path.join(root, '_dropbox/KW'), { encoding: 'buffer' })) {
        const text = name.toString('utf8');
        const leave = text.startsWith('.') || !/\.csv$/i.test(text) || !Buffer.from(text).equals(name);
        expect(leave, `${where}: ${name.toString('hex')} left in the dropbox`).toBe(true);
      }
      const store = JSON.parse(fs.readFileSync(path.join(root, '.processed-hashes.json'), 'utf8'));
      for (const [h, e] of Object.entries(store.files as Record<string, { dest: string }>))
        expect(sha256(fs.readFileSync(path.join(root, e.dest))), `${where}: ${e.dest}`).toBe(h);
    }
    const archive = () =>
      listFiles(path.join(root, 'data/KW')).map(
        (f) => `${f} ${sha256(fs.readFileSync(path.join(root, 'data/KW', f)))}`,
      );
    const filed = archive();
    const b = lptool(['build', '--root', root, '--json']);
    expect(b.stderr, where).toMatch(/^(lptool: (sort|build): .*\n)*$/); // bad rows, conflicts (problems), nothing else
    expect([0, 1], `${where}: build exit code`).toContain(b.code);
    const built = JSON.parse(b.stdout);
    expect(archive(), `${where}: build never touches the archive`).toEqual(filed);
    console.log(
      `fuzz (seed ${SEED}): ${tried} exports tried, sort: ${JSON.stringify(outcomes)}; build: ${built.meters.filter((m: { status: string }) => m.status === 'built').length} profiles, ${built.rowsRead} rows, ${built.badFiles.length} bad files, ${built.meters.reduce((n: number, m: { badRows: number }) => n + m.badRows, 0)} bad rows; 0 failed`,
    );
    expect(tried).toBeGreaterThanOrEqual(1000);
  }, 240_000);
});
