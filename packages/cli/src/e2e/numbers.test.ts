import fs from 'node:fs';
import path from 'node:path';
import { cachePathFor, readColumnCache } from '@lptool/profiles';
import { afterEach, describe, expect, it } from 'vitest';
import { lptool, tempDir } from '../testing.js';

// What a number is (issues 19, 13.3, 13.4), through the real CLI on real files.

let cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups) c();
  cleanups = [];
});

const HEADER = 'meter,Record No.,Event Type,Start Time,End Time,kw_del,kw_rec,kva_del,kva_rec';

/** A site with meter-data.csv and one archived export per meter: rows of [kw_del, kw_rec, kva_del, kva_rec] from 11:00. */
function site(meters: { id: string; name: string; multiplier: string; rows: string[][] }[]): string {
  const t = tempDir('lptool-numbers-');
  cleanups.push(t.cleanup);
  fs.writeFileSync(path.join(t.dir, 'lptool.yaml'), 'timezone: America/Los_Angeles\n');
  fs.writeFileSync(
    path.join(t.dir, 'meter-data.csv'),
    `meter,name,multiplier\n${meters.map((m) => `${m.id},${m.name},${m.multiplier}`).join('\n')}\n`,
  );
  const dir = path.join(t.dir, 'data/KW/2024-07');
  fs.mkdirSync(dir, { recursive: true });
  const label = (q: number) => {
    const m = 11 * 60 + 15 * q;
    return `07/12/24 ${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}:00`;
  };
  for (const m of meters) {
    const lines = m.rows.map((r, i) => `${m.id},${i + 1},Normal,${label(i)},${label(i + 1)},${r.join(',')}`);
    fs.writeFileSync(path.join(dir, `${m.name}.csv`), `${HEADER}\n${lines.join('\n')}\n`);
  }
  return t.dir;
}
const profileRows = (root: string, name: string) =>
  fs
    .readFileSync(path.join(root, 'lp', `${name}.csv`), 'utf8')
    .trim()
    .split('\n')
    .slice(1)
    .map((l) => l.split(','));

describe('issue 19 — revenue numbers exact to the last digit', () => {
  it('the repro: multiplier 0.75 with 2.97/3.68 and 2.59/3.07 kW/kVA writes 0.002228, 0.001943 and 0.002303', () => {
    const root = site([
      {
        id: '1001',
        name: 'tie',
        multiplier: '0.75',
        rows: [
          ['2.97', '0', '3.68', '0'],
          ['2.59', '0', '3.07', '0'],
        ],
      },
    ]);
    expect(lptool(['build', '--root', root]).code).toBe(0);
    const rows = profileRows(root, 'tie');
    // MW_del, MW_rec, MVA_del, MVA_rec, MW_net, MVA_net, PF_net
    expect(rows[0]!.slice(9)).toEqual(['0.002228', '0', '0.00276', '0', '0.002228', '0.00276', '0.807065']);
    expect(rows[1]!.slice(9)).toEqual(['0.001943', '0', '0.002303', '0', '0.001943', '0.002303', '0.843648']);
  });

  it('merge sums the written values exactly, and the total PF comes from the exact sums', () => {
    // eleven feeders of 0.000001 MW are 0.000011; ten of about 1.2e9 MW each are exact to the millionth too (their
    // float sum is 12345679219.312342: the last digit lost to binary)
    const big = (k: number) => `${1234567890 + 7 * k}.${String(123457 + 111111 * k).slice(0, 6)}`; // MW
    const kw = (mw: string) => `${mw.slice(0, -7)}${mw.slice(-6, -3)}.${mw.slice(-3)}`; // × 1000
    const feeders = Array.from({ length: 11 }, (_, k) => ({
      id: String(2000 + k),
      name: `f${k}`,
      multiplier: '1',
      rows: [
        ['0.001', '0', '0.003', '0'],
        [k % 2 ? '100' : '200', '0', '300', '0'],
        k < 10 ? [kw(big(k)), '0', kw(big(k)), '0'] : ['0', '0', '0', '0'],
      ],
    }));
    const root = site(feeders);
    expect(lptool(['build', '--root', root]).code).toBe(0);
    expect(profileRows(root, 'f1')[2]![9]).toBe('1234567897.234568'); // (the MW written, as intended)
    expect(lptool(['merge', '--root', root]).code).toBe(0);
    const all = profileRows(root, 'all');
    expect(all[0]!.slice(2, 5)).toEqual(['0.000011', '0.000033', '0.333333']);
    expect(all[1]!.slice(2, 5)).toEqual(['1.7', '3.3', '0.515152']); // 6 × 0.2 + 5 × 0.1 over 3.3
    // the exact sum, worked out with BigInt: Σ of the ten values in millionths
    const sum = Array.from({ length: 10 }, (_, k) => BigInt(big(k).replace('.', ''))).reduce((a, b) => a + b);
    const text = `${sum / 1_000_000n}.${String(sum % 1_000_000n).padStart(6, '0')}`;
    expect(text).toBe('12345679219.312343');
    expect(all[2]!.slice(2, 5)).toEqual([text, text, '1']);
    // the same from the text (no sidecar) as from the sidecar
    fs.rmSync(path.join(root, 'lp/.cache'), { recursive: true });
    const fromCache = fs.readFileSync(path.join(root, 'lp/all.csv'), 'utf8');
    expect(lptool(['merge', '--root', root]).code).toBe(0);
    expect(fs.readFileSync(path.join(root, 'lp/all.csv'), 'utf8')).toBe(fromCache);
  });
});

describe('issue 19 — resample and stats take energies from the values as written, summed exactly', () => {
  it('5-minute intervals (1/12 h, no finite decimal): means, MWh and PF rounded half-up once from exact sums', () => {
    const t = tempDir('lptool-numbers-');
    cleanups.push(t.cleanup);
    fs.writeFileSync(path.join(t.dir, 'lptool.yaml'), 'timezone: America/Los_Angeles\n');
    const T0 = Date.parse('2024-07-15T00:00:00-07:00');
    const iso = (ms: number) => `${new Date(ms - 7 * 3_600_000).toISOString().slice(0, 19)}-07:00`;
    // hour 0: six intervals of 0.000001 MW; hour 1: three of ~1.2e9 MW; hour 2: 0.000001 and 0.000002 MW
    const mw = [
      ...Array.from({ length: 6 }, (_, i) => [i, '0.000001']),
      [12, '1234567890.123457'],
      [13, '1234567891.987651'],
      [14, '1234567892.555553'],
      [24, '0.000001'],
      [25, '0.000002'],
    ] as [number, string][];
    const lines = mw.map(([k, v]) => `${iso(T0 + k * 300_000)},${iso(T0 + (k + 1) * 300_000)},${v},${v},1`);
    const file = path.join(t.dir, 'p.csv');
    fs.writeFileSync(file, `Start Time,End Time,MW_net,MVA_net,PF_net\n${lines.join('\n')}\n`);
    expect(lptool(['resample', file, '--every', '1h', '--root', t.dir]).code).toBe(0);
    const out = fs.readFileSync(path.join(t.dir, 'resampled/p_1h.csv'), 'utf8').trim().split('\n');
    expect(out[0]).toBe('Start Time,End Time,MW_net,MVA_net,MWh_net,PF,intervals_present,intervals_expected');
    // worked out with BigInt: Σ in millionths; mean = Σ / n, energy = Σ / 12, each half-up
    const micros = (v: string) => BigInt(v.replace('.', '').replace(/^0+(?=\d)/, ''));
    const halfUp = (n: bigint, d: bigint) => (2n * n + d) / (2n * d);
    const six = (m: bigint) => `${m / 1_000_000n}.${String(m % 1_000_000n).padStart(6, '0')}`.replace(/\.?0+$/, '');
    const hour = (vs: string[]) => {
      const sum = vs.map(micros).reduce((a, b) => a + b);
      return [six(halfUp(sum, BigInt(vs.length))), six(halfUp(sum, 12n))];
    };
    const [m0, e0] = hour(mw.slice(0, 6).map((x) => x[1]));
    const [m1, e1] = hour(mw.slice(6, 9).map((x) => x[1]));
    const [m2, e2] = hour(mw.slice(9).map((x) => x[1]));
    expect([m0, e0, m2, e2]).toEqual(['0.000001', '0.000001', '0.000002', '0']); // 6/12 millionth: a tie, up
    expect(out.slice(1).map((l) => l.split(',').slice(2, 8).join(','))).toEqual([
      `${m0},${m0},${e0},1,6,12`,
      `${m1},${m1},${e1},1,3,12`,
      `${m2},${m2},${e2},1,2,12`,
    ]);
    const s = lptool(['stats', file, '--root', t.dir, '--json']);
    const total = mw.map((x) => micros(x[1])).reduce((a, b) => a + b);
    expect(JSON.parse(s.stdout).periods[0].mwhNet).toBe(Number(six(halfUp(total, 12n))));
  });
});

describe('issue 13.3 — a non-finite value or result is a bad row, never a blank cell', () => {
  function hostileSite() {
    return site([
      {
        id: '3001',
        name: 'inf',
        multiplier: '28.8',
        rows: [
          ['1', '0', '2', '0'],
          ['Infinity', '0', '2', '0'],
          ['1', '0', '9e999', '0'],
          ['3', '0', '4', '0'],
        ],
      },
      {
        id: '3002',
        name: 'huge',
        multiplier: '1e12',
        rows: [
          ['5e10', '0', '6e10', '0'], // 5e19 MW: beyond what any double holds to the millionth
          ['0', '0', '0', '0'],
        ],
      },
      { id: '3003', name: 'absurd', multiplier: '1e308', rows: [['5', '0', '6', '0']] },
    ]);
  }

  it('build names each bad cell (file, line, column), writes only whole rows and exits 1', () => {
    const root = hostileSite();
    const r = lptool(['build', '--root', root]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      'lptool: build: bad row data/KW/2024-07/inf.csv:3 column kw_del: kw_del — expected a decimal number, got "Infinity"',
    );
    expect(r.stderr).toContain(
      'lptool: build: bad row data/KW/2024-07/inf.csv:4 column kva_del: kva_del — expected a finite number, got "9e999"',
    );
    expect(r.stderr).toMatch(
      /bad row data\/KW\/2024-07\/huge\.csv:2 column kw_del: kw_del — expected MW_del within ±9007199254\.740991 \(the range kept exact\), got 5e10 × multiplier 1e12 \/ 1000/,
    );
    // a multiplier that overflows whatever it multiplies is the meter-data line's fault: that meter stops
    expect(r.stderr).toMatch(
      /absurd failed: multiplier — expected a number between 1e-300 and 1e300, got "1e308" \(meter-data\.csv:4, column multiplier\)/,
    );
    for (const name of ['inf', 'huge']) {
      for (const row of profileRows(root, name)) {
        expect(
          row.slice(9, 15).every((cell) => /^-?\d+(\.\d+)?$/.test(cell)),
          row.join(','),
        ).toBe(true);
      }
    }
    expect(profileRows(root, 'inf').map((r) => r[3])).toEqual(['1', '4']);
    expect(profileRows(root, 'huge').map((r) => r.slice(3, 16).join(','))).toEqual(['2,Normal,0,0,0,0,0,0,0,0,0,0,']);
    // the sidecar holds exactly the written MW_net, in millionths — never a blank read as 0
    const cache = readColumnCache(path.join(root, 'lp/inf.csv'), ['MW_net', 'MVA_net'] as const)!;
    expect([...cache.MW_net]).toEqual([28_800, 86_400]);
    expect([...cache.MVA_net]).toEqual([57_600, 115_200]);
  });

  it('merge leaves a bad interval out of the feeder (not 0 MW), and stats reads lptool’s own profiles', () => {
    const root = hostileSite();
    lptool(['build', '--root', root]);
    expect(lptool(['merge', '--root', root]).code).toBe(0);
    const all = profileRows(root, 'all');
    // 11:15 and 11:30 of inf are bad: only huge reports there, with its own 0 MW (of 3 meters: absurd has no profile)
    expect(all.map((r) => `${r[0]!.slice(11, 16)} ${r[2]} ${r[6]}/${r[7]}`)).toEqual([
      '11:00 0.0288 1/3',
      '11:15 0 1/3',
      '11:45 0.0864 1/3',
    ]);
    const s = lptool(['stats', 'lp/inf.csv', 'lp/huge.csv', 'lp/all.csv', '--root', root, '--json'], { cwd: root });
    expect(s.stderr).toBe('');
    expect(s.code).toBe(0);
    expect(JSON.parse(s.stdout).periods[0]).toMatchObject({ profile: 'inf', mwhNet: 0.0288, peakMw: 0.0864 });
  });

  it('a profile cell that is not a finite decimal is an error naming it, for merge as for gaps', () => {
    const root = site([{ id: '4001', name: 'p', multiplier: '1', rows: [['1', '0', '1', '0']] }]);
    lptool(['build', '--root', root]);
    const file = path.join(root, 'lp/p.csv');
    fs.writeFileSync(file, fs.readFileSync(file, 'utf8').replace(',0.001,0.001,1\n', ',Infinity,0.001,1\n'));
    const m = lptool(['merge', '--root', root]);
    expect(m.code).toBe(1);
    expect(m.stderr).toMatch(
      /LPT_PARSE: MW_net — expected a decimal number, got "Infinity" \(lp\/p\.csv:2, column MW_net\)/,
    );
    expect(fs.existsSync(path.join(root, 'lp/all.csv'))).toBe(false);
    expect(fs.existsSync(cachePathFor(path.join(root, 'lp/all.csv')))).toBe(false);
  });
});

describe('issue 13.4 — decimal numbers only', () => {
  it('0x1F, 0b11 and 0o7 are bad rows, not 31, 3 and 7 kW; a multiplier of 0x10 stops its meter', () => {
    const root = site([
      {
        id: '5001',
        name: 'hex',
        multiplier: '1',
        rows: [
          ['0x1F', '0', '40', '0'],
          ['0b11', '0', '40', '0'],
          ['1', '0o7', '40', '8'],
          ['1.5e1', '0', '2E1', '0'],
        ],
      },
      { id: '5002', name: 'mult', multiplier: '0x10', rows: [['1', '0', '1', '0']] },
    ]);
    const r = lptool(['build', '--root', root]);
    expect(r.code).toBe(1);
    for (const [line, column, text] of [
      [2, 'kw_del', '0x1F'],
      [3, 'kw_del', '0b11'],
      [4, 'kw_rec', '0o7'],
    ])
      expect(r.stderr).toContain(
        `lptool: build: bad row data/KW/2024-07/hex.csv:${line} column ${column}: ${column} — expected a decimal number, got "${text}"`,
      );
    expect(profileRows(root, 'hex').map((row) => row.slice(5, 11).join(','))).toEqual(['1.5e1,0,2E1,0,0.015,0']);
    expect(r.stderr).toMatch(
      /mult failed: multiplier — expected a decimal number, got "0x10" \(meter-data\.csv:3, column multiplier\)/,
    );
    expect(fs.existsSync(path.join(root, 'lp/mult.csv'))).toBe(false);
  });
});
