import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { REPO, tempDir } from '../packages/cli/src/testing.js';

const work = tempDir('lptool-bench-');
afterAll(() => work.cleanup());

describe('pnpm bench --quick', () => {
  it('generates its data with synth and measures every step beside its floors', () => {
    const r = spawnSync(
      process.execPath,
      [
        path.join(REPO, 'bench/run.mjs'),
        '--quick',
        '--no-peer',
        '--out',
        path.join(work.dir, 'out'),
        '--cache',
        path.join(work.dir, 'cache'),
      ],
      {
        encoding: 'utf8',
      },
    );
    expect(r.status, r.stderr).toBe(0);
    for (const step of [
      'floor: cat',
      'floor: sha256sum',
      'floor: bare csv-parse pass',
      'lptool sort (6 files into an empty site)',
      'lptool build (full, first run)',
      'lptool merge',
      'lptool gaps (all profiles)',
      'lptool report (',
      'lptool build (incremental, +1 day/meter)',
      'lptool gaps --png (one profile, 14 days)',
      'lptool bess (csv,',
      'lptool bess (parquet,',
      'lptool export parquet (new dataset)',
      'lptool export parquet (nothing changed)',
      'lptool export postgres (first load, local server)',
    ])
      expect(r.stdout).toContain(step);
    expect(r.stdout).toMatch(/build \+ merge \+ gaps: [\d.]+s \(no peer\)/);
    expect(r.stdout).toMatch(
      /report: [\d.]+ MB in \d+ files, written in [\d.]+s; every chart drawn [\d.]+s after load/,
    );
    expect(r.stdout).toMatch(/label resolution .*: [\d,]+ labels\/s/);
    expect(r.stdout).toMatch(
      /export: [\d,]+ rows — Parquet [\d,]+ rows\/s, [\d.]+ bytes\/row; PostgreSQL [\d,]+ rows\/s/,
    );
  }, 120_000);
});
