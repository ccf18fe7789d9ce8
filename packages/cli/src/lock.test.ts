import { type ChildProcessWithoutNullStreams, spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, lptool, lptoolOnTerminal, PIPELINE, REPO, synthSite } from './testing.js';

/*
 * The site lock as operators meet it (issue 15): every command that takes the lock has --lock-wait, and a run
 * that waits says so on a terminal, once — and says nothing when stderr is not a terminal (cron).
 */

const LOCK_JS = path.join(REPO, 'packages/io/dist/lock.js');
let site: ReturnType<typeof synthSite>;
let root: string;

beforeAll(() => {
  site = synthSite(['--meters', '2', '--days', '3'], PIPELINE);
  root = site.root;
});
afterAll(() => site.cleanup());

/** Another run holding the site's lock, until `release()`. */
async function holder(command = 'lptool build'): Promise<{ pid: number; release: () => Promise<void> }> {
  const script = `
    import { acquireLock } from ${JSON.stringify(LOCK_JS)};
    const release = acquireLock(process.argv[1], { command: ${JSON.stringify(command)} });
    process.stdout.write('held\\n');
    process.stdin.on('data', () => { release(); process.exit(0); });
  `;
  const child: ChildProcessWithoutNullStreams = spawn(process.execPath, [
    '--input-type=module',
    '-e',
    script,
    path.join(root, '.lptool.lock'),
  ]);
  await new Promise<void>((resolve, reject) => {
    child.stdout.once('data', () => resolve());
    child.once('exit', () => reject(new Error('the holder exited')));
  });
  return {
    pid: child.pid!,
    release: () =>
      new Promise((resolve) => {
        child.once('exit', () => resolve());
        child.stdin.write('go\n');
      }),
  };
}

const LOCKING: string[][] = [
  ['sort', '--settle', '0'],
  ['build'],
  ['merge'],
  ['report'],
  ['export', 'parquet'],
  ['export', 'postgres', '--url', 'postgres://lptool@127.0.0.1:9/meters'],
];

describe('--lock-wait on every command that takes the lock', () => {
  it.each(LOCKING.map((a) => [a.slice(0, 2).join(' ').replace(' --settle', ''), a]))(
    'lptool %s --lock-wait 0.5 waits, then exits 1 naming the holder (and prints nothing about waiting off a terminal)',
    async (_name, args) => {
      const h = await holder();
      try {
        const t0 = Date.now();
        const r = lptool([...args, '--root', root, '--lock-wait', '0.5']);
        expect(r.code).toBe(1);
        expect(Date.now() - t0).toBeGreaterThanOrEqual(500);
        expect(r.stderr).toMatch(
          new RegExp(
            `^lptool: LPT_LOCKED: site is locked — expected no other lptool run, got pid ${h.pid} on .* \\(lptool build, since `,
          ),
        );
        expect(r.stderr).not.toContain('waiting');
      } finally {
        await h.release();
      }
    },
  );
});

describe('a run that waits for the lock says so on a terminal', () => {
  it('once, however many polls it waits, and then the run goes on', async () => {
    const h = await holder('lptool build');
    const run = lptoolOnTerminal(['merge', '--root', root, '--lock-wait', '20']);
    await new Promise((r) => setTimeout(r, 1500)); // ~7 polls
    await h.release();
    const { code, out } = await run;
    expect(code).toBe(0);
    const said = out.split(/\r?\n/).filter((l) => l.includes('waiting for lock'));
    expect(said).toEqual([
      expect.stringMatching(
        new RegExp(
          `^lptool: waiting for lock held by pid ${h.pid} \\(lptool build, since \\d{4}-\\d\\d-\\d\\dT[\\d:.]+Z\\) — up to 20 s \\(--lock-wait\\)$`,
        ),
      ),
    ]);
    expect(out).toContain('merge');
  });

  it('a run that takes the lock at once says nothing about it', async () => {
    const { code, out } = await lptoolOnTerminal(['merge', '--root', root, '--lock-wait', '5']);
    expect(code).toBe(0);
    expect(out).not.toContain('waiting');
  });
});

describe('a long build keeps its lock fresh', () => {
  it('the lock file is rewritten every heartbeat while lptool build runs, and is gone when it ends', async () => {
    const bigSite = synthSite(['--meters', '12', '--days', '180'], [['sort', '--settle', '0']]);
    const big = bigSite.root;
    const lock = path.join(big, '.lptool.lock');
    const child = spawn(process.execPath, [BIN, 'build', '--root', big, '--full'], {
      env: { ...process.env, TZ: 'America/Los_Angeles', LPTOOL_LOCK_REFRESH: '100ms', LPTOOL_LOCK_STALE: '1s' },
      stdio: 'ignore',
    });
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    let done = false;
    void exited.then(() => {
      done = true;
    });
    const mtimes = new Set<number>();
    let oldest = 0;
    while (!done) {
      const st = fs.statSync(lock, { throwIfNoEntry: false });
      if (st) {
        mtimes.add(st.mtimeMs);
        oldest = Math.max(oldest, Date.now() - st.mtimeMs);
      }
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(await exited).toBe(0);
    expect(mtimes.size).toBeGreaterThanOrEqual(4); // the build takes ~1.5 s: ~15 beats
    expect(oldest).toBeLessThan(1000); // never stale for another host
    expect(fs.existsSync(lock)).toBe(false);
    bigSite.cleanup();
  });
});

it('script (util-linux) is there for the terminal tests', () => {
  expect(spawnSync('script', ['--version']).status).toBe(0);
  expect(fs.existsSync(LOCK_JS)).toBe(true);
});
