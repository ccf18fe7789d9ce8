import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { profileRange } from './facts.js';
import { lastRuns } from './runs.js';

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lpt-runs-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

const line = (o: object) => `${JSON.stringify({ level: 30, time: '2024-11-04T10:00:00.000Z', pid: 7, ...o })}\n`;
const last = (command: string) => lastRuns(dir).find((r) => r.command === command)!.last;

describe('lastRuns: the last run of each command, from the end of its log', () => {
  it('the end of the last run, past megabytes of lines (read backwards across chunk boundaries)', () => {
    let text =
      line({ cmd: 'sort', event: 'start', run: 'r1' }) +
      line({ cmd: 'sort', event: 'end', run: 'r1', exitCode: 1, durationMs: 5 });
    text += line({ cmd: 'sort', event: 'start', run: 'r2', time: '2024-11-04T11:00:00.000Z' });
    const archived = line({ cmd: 'sort', event: 'archived', run: 'r2', file: `north-${'x'.repeat(300)}.csv` });
    text += archived.repeat(Math.ceil((3 << 20) / archived.length)); // ~3 MB: many 64 kB chunks
    text += line({
      cmd: 'sort',
      event: 'end',
      run: 'r2',
      exitCode: 0,
      durationMs: 1234,
      time: '2024-11-04T11:00:09.000Z',
    });
    fs.writeFileSync(path.join(dir, 'dropbox.log'), text);
    expect(last('sort')).toEqual({
      event: 'end',
      at: '2024-11-04T11:00:09.000Z',
      run: 'r2',
      pid: 7,
      exitCode: 0,
      durationMs: 1234,
      error: null,
    });
  });

  it('a start with no end after it: running, or killed', () => {
    fs.writeFileSync(
      path.join(dir, 'build.log'),
      line({ cmd: 'build', event: 'end', run: 'a', exitCode: 0 }) +
        line({ cmd: 'build', event: 'start', run: 'b' }) +
        line({ cmd: 'build', event: 'built', run: 'b' }),
    );
    expect(last('build')).toMatchObject({ event: 'start', run: 'b', exitCode: null });
  });

  it('export parquet and export postgres share export.log; each has its own last run, and its error', () => {
    fs.writeFileSync(
      path.join(dir, 'export.log'),
      line({
        cmd: 'export postgres',
        event: 'end',
        run: 'p',
        exitCode: 2,
        error: { code: 'LPT_DB_UNREACHABLE', message: 'm' },
      }) +
        line({ cmd: 'export parquet', event: 'start', run: 'q' }) +
        line({ cmd: 'export parquet', event: 'end', run: 'q', exitCode: 0 }),
    );
    expect(last('export parquet')).toMatchObject({ run: 'q', exitCode: 0 });
    expect(last('export postgres')).toMatchObject({ run: 'p', exitCode: 2, error: { code: 'LPT_DB_UNREACHABLE' } });
  });

  it('just after logrotate the runs are in <log>.1; no log at all is no run', () => {
    fs.writeFileSync(path.join(dir, 'merge.log'), '');
    fs.writeFileSync(path.join(dir, 'merge.log.1'), line({ cmd: 'merge', event: 'end', run: 'm', exitCode: 0 }));
    expect(last('merge')).toMatchObject({ run: 'm' });
    expect(last('gaps')).toBeNull();
  });

  it('a torn last line (a run killed mid-write) and lines of older versions are passed over', () => {
    fs.writeFileSync(
      path.join(dir, 'gaps.log'),
      `${line({ cmd: 'gaps', event: 'start', run: 'g' })}${line({ cmd: 'gaps', event: 'end', run: 'g', exitCode: 0 })}{"level":30,"cmd":"gaps","event":"end`,
    );
    expect(last('gaps')).toMatchObject({ run: 'g' });
  });
});

describe('profileRange: the first start and last end, from the ends of the file', () => {
  it('reads a profile and all.csv', () => {
    const f = path.join(dir, 'p.csv');
    const rows = Array.from(
      { length: 3000 },
      (_, i) => `2024-01-01T00:${String(i % 60).padStart(2, '0')}:00-08:00,E${i},1`,
    );
    fs.writeFileSync(f, `\uFEFFStart Time,End Time,MW_net\n${rows.join('\n')}\n\n`);
    expect(profileRange(f)).toEqual({ first: '2024-01-01T00:00:00-08:00', last: 'E2999' });
  });
  it('a header alone, no file, or no Start Time column: no range', () => {
    const f = path.join(dir, 'h.csv');
    fs.writeFileSync(f, 'Start Time,End Time,MW_net\n');
    expect(profileRange(f)).toEqual({ first: null, last: null });
    expect(profileRange(path.join(dir, 'none.csv'))).toEqual({ first: null, last: null });
    fs.writeFileSync(f, 'a,b\n1,2\n');
    expect(profileRange(f)).toEqual({ first: null, last: null });
  });
});
