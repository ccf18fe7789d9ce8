import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lptool, synthSite } from './testing.js';

/*
 * Every command that logs ends each run's log with an end event carrying the run's duration, the exit code,
 * lptool's version and the run id that all of the run's lines carry (issue 15).
 */

let site: ReturnType<typeof synthSite>;
let root: string;
beforeAll(() => {
  site = synthSite(['--meters', '2', '--days', '3']);
  root = site.root;
});
afterAll(() => site.cleanup());

type Line = { event?: string; run?: string; version?: string; durationMs?: number; exitCode?: number; cmd?: string };
const logLines = (name: string): Line[] =>
  fs
    .readFileSync(path.join(root, 'logs', `${name}.log`), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));

describe('run ids, versions and durations in the logs', () => {
  it.each([
    ['sort', ['sort', '--settle', '0'], 'dropbox'],
    ['build', ['build'], 'build'],
    ['merge', ['merge'], 'merge'],
    ['gaps', ['gaps'], 'gaps'],
    ['export parquet', ['export', 'parquet'], 'export'],
  ])('lptool %s: one run id on every line of the run, the end with durationMs and exitCode', (_name, args, log) => {
    const before = fs.existsSync(path.join(root, 'logs', `${log}.log`)) ? logLines(log).length : 0;
    const r = lptool([...args, '--root', root]);
    expect(r.code).toBe(0);
    const run = logLines(log).slice(before);
    const ids = new Set(run.map((l) => l.run));
    expect(ids.size).toBe(1);
    expect([...ids][0]).toMatch(/^\d{8}T\d{6}Z-[0-9a-f]{8}$/);
    expect(run.every((l) => l.version === '0.1.0')).toBe(true);
    expect(run[0]!.event).toBe('start');
    const ends = run.filter((l) => l.event === 'end');
    expect(ends).toHaveLength(1);
    expect(ends[0]).toMatchObject({ exitCode: 0, durationMs: expect.any(Number) });
    expect(run.at(-1)).toBe(ends[0]);
  });

  it('a run that fails with exit 2 after it began still ends its log, with the error', () => {
    fs.mkdirSync(path.join(root, 'old'), { recursive: true });
    fs.writeFileSync(path.join(root, 'old', 'one.csv'), 'Start Time,MW_net\n2024-01-01T00:00:00-08:00,1\n');
    const before = logLines('gaps').length;
    const r = lptool(['gaps', 'old/one.csv', '--root', root], { cwd: root });
    expect(r.code).toBe(2);
    const run = logLines('gaps').slice(before);
    expect(run.map((l) => l.event)).toEqual(['start', 'end']);
    expect(run[1]).toMatchObject({ exitCode: 2, error: { code: 'LPT_INTERVAL_AMBIGUOUS' } });
    expect(run[0]!.run).toBe(run[1]!.run);
  });

  it('a failing export postgres (loaded from its own folder, with its own copy of io) ends its log in the run too', () => {
    const before = logLines('export').length;
    const r = lptool(['export', 'postgres', '--root', root, '--url', 'postgres://lptool@127.0.0.1:9/meters']);
    expect(r.code).toBe(2);
    const run = logLines('export').slice(before);
    expect(run.map((l) => l.event)).toEqual(['start', 'failed', 'end']);
    expect(run[2]).toMatchObject({ cmd: 'export postgres', exitCode: 2, error: { code: 'LPT_DB_UNREACHABLE' } });
    expect(new Set(run.map((l) => l.run)).size).toBe(1);
  });

  it('two runs have two ids', () => {
    lptool(['merge', '--root', root]);
    const ends = logLines('merge').filter((l) => l.event === 'end');
    expect(ends.length).toBeGreaterThanOrEqual(2);
    expect(ends.at(-1)!.run).not.toBe(ends.at(-2)!.run);
  });
});
