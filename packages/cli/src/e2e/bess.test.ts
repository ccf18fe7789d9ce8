/** `lptool bess` end to end: the real CLI on the fixture site — stdout, stderr, exit codes, --json, --out. */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { cleanupsAfterEach, FIXTURES, lptool, tempDir } from '../testing.js';

const cleanups = cleanupsAfterEach();
function site() {
  const t = tempDir('lptool-bess-');
  cleanups.push(t.cleanup);
  fs.cpSync(path.join(FIXTURES, 'bess'), t.dir, { recursive: true });
  return t.dir;
}

describe('lptool bess', () => {
  it('the golden outputs; low coverage is a problem on stderr (in every mode) and exit 1', () => {
    const dir = site();
    const r = lptool(['bess', '-c', 'bess.yaml'], { cwd: dir });
    const low = 'lptool: bess: 2 enclosure(s) covered less than 90 % of the period: 1A2BAT3 (0.49), 1A2BAT4 (0.49)\n';
    expect([r.code, r.stderr]).toEqual([1, low]);
    expect(r.stdout).toContain('2 inverters, 4 inputs, 10 enclosures, 2 days (Australia/Sydney)');
    expect(lptool(['bess', '-c', 'bess.yaml', '-q'], { cwd: dir })).toEqual({ code: 1, stdout: '', stderr: low });
    for (const f of ['daily_energy_by_enclosure.csv', 'outliers_bottom5.csv', 'enclosure_summary.csv'])
      expect(fs.readFileSync(path.join(dir, 'out', f), 'utf8'), f).toBe(
        fs.readFileSync(path.join(FIXTURES, 'bess/expected', f), 'utf8'),
      );
  });

  it('--json, --out and a range', () => {
    const dir = site();
    const r = lptool(['bess', '-c', 'bess-groups.yaml', '--json', '--out', 'april', '--from', '2024-04-07'], {
      cwd: dir,
    });
    const s = JSON.parse(r.stdout);
    expect(s.days).toBe(1);
    expect(s.outputs.daily).toBe('april/daily_energy_by_enclosure.csv');
    expect(fs.existsSync(path.join(dir, 'april/discharged_heatmap.png'))).toBe(true);
  });

  it('a wrong config is exit 2 with one line naming the key; no -c is commander’s usage error', () => {
    const dir = site();
    const yaml = path.join(dir, 'bess.yaml');
    fs.writeFileSync(yaml, fs.readFileSync(yaml, 'utf8').replace('6: [3, 3]', '6: [3, 2]'));
    const r = lptool(['bess', '-c', 'bess.yaml'], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(
      /^lptool: LPT_CONFIG: bess\.yaml: split\.6 — expected parts that add up to 6, got 3 \+ 2 = 5/,
    );
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    const none = lptool(['bess'], { cwd: dir });
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/required option '-c, --config <file>' not specified/);
  });
});
