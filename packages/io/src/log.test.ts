import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { beginRun, createLogger, endRun, LPTOOL_VERSION } from './log.js';

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lpt-log-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

const lines = (file: string) =>
  fs
    .readFileSync(path.join(dir, file), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));

describe('run events (issue 15)', () => {
  it("every line carries the run id and lptool's version; the end its duration", async () => {
    const id = beginRun();
    expect(id).toMatch(/^\d{8}T\d{6}Z-[0-9a-f]{8}$/);
    const log = createLogger(dir, 'build', { cmd: 'build' });
    log.info({ event: 'start' }, 'build started');
    log.info({ event: 'built', meter: 'north' }, 'built north');
    await new Promise((r) => setTimeout(r, 60));
    log.info({ event: 'end', exitCode: 0 }, 'build finished');
    endRun(0);
    const [start, built, end] = lines('build.log');
    for (const l of [start, built, end]) expect(l).toMatchObject({ run: id, version: LPTOOL_VERSION, cmd: 'build' });
    expect(start.durationMs).toBeUndefined();
    expect(end.durationMs).toBeGreaterThanOrEqual(55);
    expect(end.durationMs).toBeLessThan(5_000);
    expect(lines('build.log')).toHaveLength(3); // its own end stands: endRun adds none
  });

  it('a run that ends without an end event of its own gets one with the exit code and the error', () => {
    const id = beginRun();
    const log = createLogger(dir, 'gaps', { cmd: 'gaps' });
    const aside = createLogger(dir, 'dropbox-error', { cmd: 'sort' }); // logs no start: no end either
    log.info({ event: 'start' }, 'gaps started');
    aside.warn({ event: 'rejected' }, 'x');
    endRun(2, { code: 'LPT_INTERVAL_AMBIGUOUS', message: 'interval — …' });
    expect(lines('gaps.log')[1]).toMatchObject({
      event: 'end',
      run: id,
      exitCode: 2,
      error: { code: 'LPT_INTERVAL_AMBIGUOUS' },
      durationMs: expect.any(Number),
    });
    expect(lines('dropbox-error.log')).toHaveLength(1);
    const next = beginRun();
    expect(next).not.toBe(id);
  });

  it('the version is the CLI package version', () => {
    const pkg = JSON.parse(fs.readFileSync(new URL('../../cli/package.json', import.meta.url), 'utf8'));
    expect(LPTOOL_VERSION).toBe(pkg.version);
  });
});

describe('log rotation (the README snippet: plain rename, no copytruncate)', () => {
  it('a run keeps writing to the file it opened; the next run opens a new one', () => {
    beginRun();
    const running = createLogger(dir, 'dropbox', { cmd: 'sort' });
    running.info({ event: 'start' }, 'sort started');
    fs.renameSync(path.join(dir, 'dropbox.log'), path.join(dir, 'dropbox.log.1')); // logrotate, mid-run
    running.info({ event: 'end', exitCode: 0 }, 'sort finished');
    expect(lines('dropbox.log.1').map((l) => l.event)).toEqual(['start', 'end']); // nothing lost
    expect(fs.existsSync(path.join(dir, 'dropbox.log'))).toBe(false);
    beginRun();
    createLogger(dir, 'dropbox', { cmd: 'sort' }).info({ event: 'start' }, 'sort started'); // the next cron run
    expect(lines('dropbox.log').map((l) => l.event)).toEqual(['start']);
    expect(lines('dropbox.log.1')).toHaveLength(2);
  });
});
