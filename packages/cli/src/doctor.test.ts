import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exportText, lptool, PIPELINE, synthSite } from './testing.js';

/*
 * `lptool doctor` end to end on a synth site: healthy after the pipeline (exit 0); a delivered export that waits
 * is a backlog naming `lptool sort` (exit 1); after sort the profile is behind (`lptool build`), after build the
 * total (`lptool merge`), after merge healthy again. Its checks one by one: packages/site/src/diagnose.test.ts.
 */

let site: ReturnType<typeof synthSite>;
let root: string;
beforeAll(() => {
  site = synthSite(['--meters', '2', '--days', '7'], PIPELINE);
  root = site.root;
});
afterAll(() => site.cleanup());

const doctor = (...args: string[]) => lptool(['doctor', '--root', root, ...args]);
const fixes = (stdout: string) => [...stdout.matchAll(/^ {4}fix: (.*)$/gm)].map((m) => m[1]);

describe('lptool doctor', () => {
  it('a site after sort, build and merge is healthy: exit 0, with the settings, runs, profiles and disk', () => {
    const r = doctor();
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`site      ${root}\n`);
    expect(r.stdout).toContain('timezone  America/Los_Angeles (lptool.yaml)\n');
    expect(r.stdout).toContain('lock      free\n');
    expect(r.stdout).toContain('dropbox   empty\n');
    expect(r.stdout).toMatch(/^ {2}sort {12}\S+Z \(\d+s ago\) {2}exit 0 {2}\d+ ms$/m);
    expect(r.stdout).toMatch(
      /^ {2}lp\/north\.csv {2}2024-01-01T00:00:00-08:00 … 2024-01-08T00:00:00-08:00 {2}672 rows {2}up to date$/m,
    );
    expect(r.stdout).toMatch(/^disk {6}profiles [\d.]+ kB; lp\/\.cache [\d.]+ kB \(shadows/m);
    expect(r.stdout).toMatch(/\nhealthy: nothing needs attention\n$/);
    const json = JSON.parse(doctor('--json').stdout);
    expect(json).toMatchObject({ healthy: true, findings: [], exitCode: 0 });
    expect(json.facts.settings.sources).toEqual({
      timezone: 'lptool.yaml',
      clock: 'lptool.yaml',
      interval: 'lptool.yaml',
    });
    expect(json.facts.runs.find((x: { command: string }) => x.command === 'build').last).toMatchObject({
      event: 'end',
      exitCode: 0,
      durationMs: expect.any(Number),
      run: expect.stringMatching(/^\d{8}T\d{6}Z-[0-9a-f]{8}$/),
    });
  });

  it('an export that waits in the dropbox is a backlog naming lptool sort; then build, then merge', async () => {
    const north = fs.readFileSync(path.join(root, 'meter-data.csv'), 'utf8').split('\n')[1]!.split(',')[0]!;
    const file = path.join(root, '_dropbox', 'KW', 'north-late.csv');
    fs.writeFileSync(file, exportText(north, '2024-01-08T00:00', 96));
    const old = new Date(Date.now() - 3_600_000); // an FTP client keeps the export's own time: only ctime says when it came
    fs.utimesSync(file, old, old);
    expect(doctor().code).toBe(0); // it came just now: not a backlog at the default 15m
    const arrived = fs.statSync(file).ctimeMs;
    while (Date.now() - arrived < 1_200) await new Promise((r) => setTimeout(r, 100));
    const late = doctor('--backlog-age', '1s');
    expect(late.code).toBe(1);
    expect(late.stdout).toMatch(/^dropbox {3}1 to sort \([\d.]+ kB, oldest \ds\)$/m);
    expect(late.stdout).toContain('  - 1 export in _dropbox/KW/ waiting to be sorted, the oldest for');
    expect(fixes(late.stdout)).toEqual(['lptool sort']);

    expect(lptool(['sort', '--root', root]).code).toBe(0);
    const behind = doctor();
    expect(behind.code).toBe(1);
    expect(behind.stdout).toMatch(/lp\/north\.csv .* {2}1 archived file not built$/m);
    expect(fixes(behind.stdout)).toEqual(['lptool build']);
    // -q: no view, and what is unhealthy on stderr with its fix (cron mails it), exit 1
    const quiet = doctor('-q');
    expect([quiet.code, quiet.stdout]).toEqual([1, '']);
    expect(quiet.stderr).toMatch(/^lptool: doctor: 1 profile behind the archive.* — fix: lptool build\n$/);

    expect(lptool(['build', '--root', root]).code).toBe(0);
    const total = doctor();
    expect(total.code).toBe(1);
    expect(total.stdout).toContain('  - lp/all.csv is older than lp/north.csv: the total misses their latest rows');
    expect(fixes(total.stdout)).toEqual(['lptool merge']);

    expect(lptool(['merge', '--root', root]).code).toBe(0);
    expect(doctor().code).toBe(0);
  });

  it('a lock left by a dead run is stale: exit 1, naming what died and that the next run takes it over', async () => {
    const child = spawn(process.execPath, ['-e', '0']);
    await new Promise((r) => child.on('exit', r));
    const lock = path.join(root, '.lptool.lock');
    fs.writeFileSync(
      lock,
      JSON.stringify({
        pid: child.pid,
        host: os.hostname(),
        command: 'lptool build',
        since: '2024-11-04T03:00:00.000Z',
      }),
    );
    try {
      const r = doctor();
      expect(r.code).toBe(1);
      expect(r.stdout).toMatch(
        new RegExp(
          `^lock {6}STALE by pid ${child.pid} \\(lptool build, since 2024-11-04T03:00:00\\.000Z\\), written \\d+s ago — process ${child.pid} is gone$`,
          'm',
        ),
      );
      expect(fixes(r.stdout)).toEqual(['lptool build (run again what died; its log says how far it got)']);
    } finally {
      fs.rmSync(lock);
    }
  });

  it('no time zone anywhere, and no meter-data.csv: each named with its fix', () => {
    const bare = path.join(site.dir, 'bare');
    fs.mkdirSync(path.join(bare, '_dropbox', 'KW'), { recursive: true });
    const r = lptool(['doctor', '--root', bare]);
    expect(r.code).toBe(1);
    expect(fixes(r.stdout)).toEqual([
      expect.stringMatching(/^lptool init --tz \S+ \(or the meters' zone\)$/),
      'lptool init (writes its header), then add a line per meter: meter,name,multiplier',
    ]);
    const given = lptool(['doctor', '--root', bare, '--tz', 'Europe/Berlin']);
    expect(given.stdout).toContain('timezone  Europe/Berlin (flag)\n');
  });

  it('a root that does not exist: lptool init', () => {
    const r = lptool(['doctor', '--root', path.join(site.dir, 'nowhere'), '--json']);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout).findings).toEqual([
      {
        check: 'root',
        problem: `the site root ${path.join(site.dir, 'nowhere')} does not exist`,
        fix: `lptool init --root ${path.join(site.dir, 'nowhere')} (or give the right --root / LPTOOL_ROOT)`,
      },
    ]);
  });
});
