import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { LptError } from '@lptool/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { acquireLock, lockStatus, lockTiming } from './lock.js';

/*
 * The site lock across processes and hosts (issue 15): heartbeats, the takeover of a stale lock of another host,
 * and the compare-and-swap that keeps a takeover from removing a lock a third process has just created. The child
 * processes run the built module (packages/io/dist/lock.js; vitest's global setup builds it).
 */

const LOCK_JS = fileURLToPath(new URL('../dist/lock.js', import.meta.url));
let dir: string;
let lock: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lpt-lock-'));
  lock = path.join(dir, '.lptool.lock');
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

const lockedOut = (fn: () => unknown) => {
  try {
    fn();
  } catch (e) {
    expect((e as LptError).code).toBe('LPT_LOCKED');
    return;
  }
  throw new Error('expected LPT_LOCKED');
};

/** A lock of another host, last refreshed `ageMs` ago. */
function otherHostLock(ageMs: number, extra: object = { refreshMs: 10_000 }): void {
  fs.writeFileSync(
    lock,
    JSON.stringify({ pid: 4242, host: 'nas-2.example', command: 'lptool build', since: 'then', ...extra }),
  );
  const t = new Date(Date.now() - ageMs);
  fs.utimesSync(lock, t, t);
}

/** The pid of a process that has exited. */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', '0']);
  await new Promise((r) => child.on('exit', r));
  return child.pid!;
}

describe('a lock of another host (a shared folder)', () => {
  it('is taken over when its heartbeat is older than the stale time (60 s), and held while it is fresh', () => {
    otherHostLock(30_000);
    lockedOut(() => acquireLock(lock, { waitMs: 0 }));
    expect(lockStatus(lock)).toMatchObject({ state: 'held', holder: { host: 'nas-2.example' } });
    otherHostLock(61_000);
    expect(lockStatus(lock)).toMatchObject({ state: 'stale', reason: expect.stringMatching(/no heartbeat for 61 s/) });
    const release = acquireLock(lock, { waitMs: 0 });
    expect(JSON.parse(fs.readFileSync(lock, 'utf8'))).toMatchObject({ pid: process.pid, host: os.hostname() });
    release();
    expect(fs.existsSync(lock)).toBe(false);
    expect(fs.readdirSync(dir)).toEqual([]);
  });

  it('the stale time comes from LPTOOL_LOCK_STALE, and is never under 3 heartbeats of the holder', () => {
    otherHostLock(3_000, { refreshMs: 500 });
    acquireLock(lock, { waitMs: 0, env: { LPTOOL_LOCK_STALE: '2s', LPTOOL_LOCK_REFRESH: '500ms' } })();
    otherHostLock(100_000, { refreshMs: 60_000 }); // the holder beats every minute: stale after 3 min, not 60 s
    lockedOut(() => acquireLock(lock, { waitMs: 0 }));
    expect(() => lockTiming({ env: { LPTOOL_LOCK_STALE: '20s' } })).toThrow(/at least 3 × the heartbeat/);
    expect(lockTiming({ env: {} })).toEqual({ refreshMs: 10_000, staleMs: 60_000 });
  });

  it('a lock of a version without heartbeats never expires by age (it may be a long run)', () => {
    otherHostLock(3_600_000, {});
    lockedOut(() => acquireLock(lock, { waitMs: 0 }));
  });
});

describe('the heartbeat', () => {
  it('refreshes the lock while the holder is busy in a long synchronous stretch, and stops on release', async () => {
    const script = `
      import { acquireLock } from ${JSON.stringify(LOCK_JS)};
      const release = acquireLock(process.argv[1], { refreshMs: 100, staleMs: 600, command: 'lptool build' });
      process.stdout.write('held\\n');
      const t = Date.now(); while (Date.now() - t < 1500) {} // a build that never yields
      release();
      process.stdout.write('released\\n');
      setTimeout(() => {}, 600); // alive a while after release: nothing may touch the path any more
    `;
    const child = spawn(process.execPath, ['--input-type=module', '-e', script, lock]);
    const out = lines(child);
    expect(await out.next()).toBe('held');
    const ages: number[] = [];
    const mtimes = new Set<number>();
    for (let t = Date.now(); Date.now() - t < 1200; await pause(50)) {
      const st = fs.statSync(lock, { throwIfNoEntry: false });
      if (!st) break;
      mtimes.add(st.mtimeMs);
      ages.push(Date.now() - st.mtimeMs);
    }
    expect(mtimes.size).toBeGreaterThanOrEqual(4); // ~12 beats in 1.2 s; a loaded machine may skip some
    expect(Math.max(...ages)).toBeLessThan(600); // never stale for another host
    expect(await out.next()).toBe('released');
    expect(fs.existsSync(lock)).toBe(false);
    // a lock someone else makes now is not touched by the released holder
    otherHostLock(61_000);
    const before = fs.statSync(lock).mtimeMs;
    await new Promise((r) => child.on('exit', r));
    expect(fs.statSync(lock).mtimeMs).toBe(before);
  });

  it('does not keep the process alive: a holder that never releases exits, and its lock is taken over', async () => {
    const script = `import { acquireLock } from ${JSON.stringify(LOCK_JS)}; acquireLock(process.argv[1], { command: 'lptool sort' });`;
    const child = spawn(process.execPath, ['--input-type=module', '-e', script, lock]);
    const t0 = Date.now();
    const code = await new Promise((r) => child.on('exit', r));
    expect(code).toBe(0);
    expect(Date.now() - t0).toBeLessThan(8_000); // the heartbeat period is 10 s: it did not wait for a beat
    expect(JSON.parse(fs.readFileSync(lock, 'utf8')).pid).toBe(child.pid);
    acquireLock(lock, { waitMs: 0 })();
  });

  it('notices when its lock was taken away, stops touching it, and says so on release', async () => {
    const lost: string[] = [];
    const release = acquireLock(lock, { refreshMs: 50, staleMs: 150, onLost: (f) => lost.push(f) });
    const aside = `${lock}.moved`;
    fs.renameSync(lock, aside);
    await pause(200);
    const t = fs.statSync(aside).mtimeMs;
    await pause(200);
    expect(fs.statSync(aside).mtimeMs).toBe(t);
    release();
    expect(lost).toEqual([lock]);
  });
});

describe('what a killed creator or taker leaves', () => {
  it('is removed by the next run that holds the lock: temps and aside names of dead pids, a stale takeover mutex', async () => {
    const dead = await deadPid();
    const host = os.hostname();
    const left = [
      `.lptool.lock.${host}.${dead}-0badc0de.tmp`, // killed between writing its lock and linking it
      `.lptool.lock.stale-${host}.${dead}-0badc0de`, // killed between moving a stale lock aside and deleting it
    ];
    for (const n of left) fs.writeFileSync(path.join(dir, n), '{}');
    const mutex = `${lock}.takeover`;
    fs.writeFileSync(mutex, JSON.stringify({ pid: dead, host, command: 'x', since: 'then' }));
    const live = `.lptool.lock.${host}.${process.pid}-0badc0de.tmp`; // a live creator's: kept
    fs.writeFileSync(path.join(dir, live), '{}');
    const release = acquireLock(lock, { waitMs: 0 });
    expect(fs.readdirSync(dir).sort()).toEqual(['.lptool.lock', live].sort());
    release();
  });
});

describe('three processes race for one stale lock (compare-and-swap takeover)', () => {
  const ROUNDS = 36;
  let racers: Racer[] = [];
  afterEach(() => {
    for (const r of racers) r.child.kill('SIGKILL');
    racers = [];
  });

  it(`exactly one wins each of ${ROUNDS} rounds, and keeps the lock until it releases it`, async () => {
    racers = [0, 1, 2].map(() => racer(lock));
    const dead = await deadPid();
    const stale: Record<string, () => void> = {
      'dead pid on this host': () =>
        fs.writeFileSync(lock, JSON.stringify({ pid: dead, host: os.hostname(), command: 'x', since: 'then' })),
      'another host, heartbeat 2 min old': () => otherHostLock(120_000),
      'content that is no lock, 1 min old': () => {
        fs.writeFileSync(lock, 'garbage');
        const t = new Date(Date.now() - 60_000);
        fs.utimesSync(lock, t, t);
      },
    };
    const kinds = Object.keys(stale);
    for (let round = 0; round < ROUNDS; round++) {
      const kind = kinds[round % kinds.length]!;
      stale[kind]!();
      const at = Date.now() + 40; // all three start at this instant (each spins until then)
      const said = await Promise.all(racers.map((r) => r.ask(`go ${at}`)));
      const winners = racers.filter((_, i) => said[i] === 'won');
      expect({ round, kind, said: [...said].sort() }).toEqual({ round, kind, said: ['lost', 'lost', 'won'] });
      // the losers must not have disturbed the winner's lock
      expect(JSON.parse(fs.readFileSync(lock, 'utf8')).pid).toBe(winners[0]!.child.pid);
      expect(await winners[0]!.ask('check')).toBe('held');
      expect(await winners[0]!.ask('release')).toBe('released');
      expect(fs.readdirSync(dir)).toEqual([]); // no lock, no aside name, no mutex, no temp left
    }
  });
});

interface Racer {
  child: ChildProcessWithoutNullStreams;
  ask: (line: string) => Promise<string>;
}

/** A process that, on `go <ms>`, spins until that instant and then tries the lock once (no waiting). */
function racer(file: string): Racer {
  const script = `
    import fs from 'node:fs';
    import readline from 'node:readline';
    import { acquireLock } from ${JSON.stringify(LOCK_JS)};
    const say = (s) => process.stdout.write(s + '\\n');
    let release = null;
    for await (const line of readline.createInterface({ input: process.stdin })) {
      const [cmd, at] = line.split(' ');
      if (cmd === 'go') {
        while (Date.now() < Number(at)) {}
        try { release = acquireLock(process.argv[1], { waitMs: 0, command: 'racer' }); say('won'); }
        catch (e) { say(e.code === 'LPT_LOCKED' ? 'lost' : 'error ' + e.message); }
      } else if (cmd === 'check') {
        say(JSON.parse(fs.readFileSync(process.argv[1], 'utf8')).pid === process.pid ? 'held' : 'displaced');
      } else if (cmd === 'release') { release(); release = null; say('released'); }
    }
  `;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script, file]);
  const out = lines(child);
  return {
    child,
    ask: async (line) => {
      child.stdin.write(`${line}\n`);
      return out.next();
    },
  };
}

/** A child's stdout, line by line; stderr is kept for the failure message. */
function lines(child: ChildProcessWithoutNullStreams): { next: () => Promise<string> } {
  const queue: string[] = [];
  const waiting: ((s: string) => void)[] = [];
  let buf = '';
  let err = '';
  child.stderr.on('data', (d) => {
    err += d;
  });
  child.stdout.on('data', (d) => {
    buf += d;
    for (let i = buf.indexOf('\n'); i >= 0; i = buf.indexOf('\n')) {
      const l = buf.slice(0, i);
      buf = buf.slice(i + 1);
      const w = waiting.shift();
      if (w) w(l);
      else queue.push(l);
    }
  });
  return {
    next: () =>
      queue.length
        ? Promise.resolve(queue.shift()!)
        : new Promise((resolve, reject) => {
            const timer = setTimeout(
              () => reject(new Error(`no answer from the child in 20 s; stderr: ${err}`)),
              20_000,
            );
            waiting.push((s) => {
              clearTimeout(timer);
              resolve(s);
            });
          }),
  };
}

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));
