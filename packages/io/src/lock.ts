import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { LptError, parseDuration } from '@lptool/core';

/*
 * The site lock, `.lptool.lock`: one lptool run per site root at a time, also across the hosts of a shared folder
 * (NFS, SMB). Who may do what to the file:
 *
 * 1. A lock file appears at the path only whole and only where there was none: its content is written to a temp
 *    file that is then hard-linked to the path (link fails with EEXIST over an existing file; where the file system
 *    has no hard links, an O_EXCL create). So at any moment at most one process's lock file is at the path, and a
 *    process holds the lock exactly while its own file (its inode) is there.
 * 2. The holder keeps an fd of its file open. A heartbeat thread (a worker: it runs while the main thread is busy in
 *    a long synchronous stretch) sets the file's mtime every `refreshMs` through that fd, and the holder removes the
 *    file on release only while the path still holds that inode.
 * 3. Any other removal is a takeover of a stale lock, and takeovers are serialised by a second lock, the takeover
 *    mutex `<lock>.takeover`, created by rule 1 and held for a few system calls. Under the mutex the taker opens the
 *    lock, reads it and judges it (`judgeLock`) again, then renames the path to a unique aside name and checks that
 *    the file it moved is the inode it judged stale. Only then is it deleted; anything else is linked back (link
 *    never replaces a file) and the taker starts over. Then the mutex is released and the taker competes for the
 *    free path by rule 1 like everyone else.
 *
 * Why this is a compare-and-swap: between the judgement under the mutex and the rename, the file at the path can
 * only change if someone removes it — a takeover (excluded by the mutex) or its holder's release. A holder that is
 * judged stale is dead: on this host its pid is gone or is another process (pid and start time are exact), on
 * another host it has not refreshed its file for `staleMs`, six heartbeats. So the inode that the rename moves is
 * the one judged, and a lock that a third process creates after the rename is never touched: it is created by rule
 * 1 on a free path, and nobody renames or deletes it unless it too goes stale. Without the mutex this fails: two
 * takers both judge lock L0 stale; the first removes L0 and wins with L1; the second's rename then moves L1 away,
 * and while it puts L1 back a third process can create L2 — two holders. (lptool's earlier takeover had exactly
 * that window; the three-process test in io/lock.test.ts races it.) The mutex itself can be left behind by a taker
 * that is killed within those few calls; it is judged like a lock and cleared by the same rename-and-check.
 *
 * The one assumption: the clocks of the hosts that share a site agree to well within `staleMs` (NTP): the mtime a
 * holder writes is its clock, the age a waiter computes is its own.
 */

export interface LockOptions {
  /** How long to wait for another run to finish, ms (0 = do not wait). */
  waitMs?: number;
  pollMs?: number;
  /** Written into the lock for the message a waiting run prints. */
  command?: string;
  /** Heartbeat period, ms. Default: `LPTOOL_LOCK_REFRESH`, else 10 s. */
  refreshMs?: number;
  /** A lock of another host whose file is older than this is taken over. Default: `LPTOOL_LOCK_STALE`, else 60 s. */
  staleMs?: number;
  /** Told once when this run starts to wait. Default: a line on stderr when stderr is a terminal, else nothing. */
  onWait?: (holder: LockContent | null, waitMs: number) => void;
  /** Told when the lock turns out to have been taken over while this run held it. Default: a warning on stderr. */
  onLost?: (file: string) => void;
  env?: NodeJS.ProcessEnv;
}

/** What a lock file holds: who holds the site, and enough to tell that process from a later one with its pid. */
export interface LockContent {
  pid: number;
  host: string;
  command: string;
  since: string;
  /** The holder's start time, clock ticks after boot (`/proc/<pid>/stat` field 22); null where there is no /proc. */
  startTime?: string | null;
  /** The boot the holder ran in (`/proc/sys/kernel/random/boot_id`); null where there is none. */
  bootId?: string | null;
  /** The holder's heartbeat period, ms (locks of lptool before heartbeats have none, and never expire by age). */
  refreshMs?: number;
}

export const DEFAULT_LOCK_REFRESH_MS = 10_000;
export const DEFAULT_LOCK_STALE_MS = 60_000;
/** A lock file whose content cannot be read (written by no lptool) counts as abandoned after this long. */
const GARBAGE_AFTER_MS = 5_000;

/** The heartbeat period and stale age: options, else `LPTOOL_LOCK_REFRESH` / `LPTOOL_LOCK_STALE`, else 10 s / 60 s. */
export function lockTiming(options: Pick<LockOptions, 'refreshMs' | 'staleMs' | 'env'> = {}): {
  refreshMs: number;
  staleMs: number;
} {
  const env = options.env ?? process.env;
  const refreshMs =
    options.refreshMs ??
    (env.LPTOOL_LOCK_REFRESH ? parseDuration(env.LPTOOL_LOCK_REFRESH, 'LPTOOL_LOCK_REFRESH') : DEFAULT_LOCK_REFRESH_MS);
  const staleMs =
    options.staleMs ??
    (env.LPTOOL_LOCK_STALE ? parseDuration(env.LPTOOL_LOCK_STALE, 'LPTOOL_LOCK_STALE') : DEFAULT_LOCK_STALE_MS);
  if (staleMs < 3 * refreshMs)
    throw new LptError(
      'LPT_CONFIG',
      `LPTOOL_LOCK_STALE — expected at least 3 × the heartbeat (${refreshMs} ms), got ${staleMs} ms`,
      { key: 'LPTOOL_LOCK_STALE' },
    );
  return { refreshMs, staleMs };
}

/** This machine's boot id, or null. */
export function currentBootId(): string | null {
  try {
    return fs.readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim() || null;
  } catch {
    return null;
  }
}

/**
 * A process's start time in clock ticks after boot: field 22 of `/proc/<pid>/stat` (fields are counted
 * after the command name, which is in parentheses and may itself hold spaces and parentheses). Null when
 * the process does not exist or there is no /proc.
 */
export function processStartTime(pid: number): string | null {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' '); // fields 3, 4, …
    return rest[22 - 3] ?? null;
  } catch {
    return null;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

const sleep = (ms: number) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);

function invalidLock(file: string, got: string): LptError {
  return new LptError(
    'LPT_LOCK_INVALID',
    `site lock — expected lptool's lock file (a process id > 0 and its host), got ${got}; if no lptool runs on this site, remove ${path.basename(file)} and run again`,
    { file },
  );
}

/** The lock's content, checked: null for text that is not a lock (being written by no lptool, or garbage). */
function parseLock(file: string, text: string): LockContent | null {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    return null;
  }
  if (typeof data !== 'object' || data === null) return null;
  const pid = (data as { pid?: unknown }).pid;
  if (typeof pid !== 'number' || !Number.isSafeInteger(pid) || pid <= 0)
    throw invalidLock(file, `pid ${JSON.stringify(pid) ?? 'missing'}`);
  // every lptool has written its host: without one, whose pid this is cannot be known, and waiting changes nothing
  const host = (data as { host?: unknown }).host;
  if (typeof host !== 'string' || host === '') throw invalidLock(file, `host ${JSON.stringify(host) ?? 'missing'}`);
  return data as LockContent;
}

/** A folder, a symlink or anything but a file where the lock belongs: LPT_LOCK_INVALID (lptool never makes one). */
function checkLockType(file: string, st: fs.Stats): void {
  if (st.isSymbolicLink()) throw invalidLock(file, `a symlink (to ${fs.readlinkSync(file)})`);
  if (st.isDirectory()) throw invalidLock(file, 'a folder');
  if (!st.isFile()) throw invalidLock(file, 'something that is not a file');
}

/**
 * The lock as it is: null when there is none or it cannot be read yet (garbage). A folder, a symlink, or a lock
 * naming no real process (pid 0, −1, not a number) is LPT_LOCK_INVALID (exit 2): waiting would not change it.
 */
export function readLock(file: string): LockContent | null {
  return inspectLock(file)?.holder ?? null;
}

/** One look at a lock file: which inode, how old, and what it says. */
export interface SeenLock {
  dev: bigint;
  ino: bigint;
  mtimeMs: number;
  holder: LockContent | null;
}

/**
 * Open the lock and read it through one fd, so the inode, the mtime and the content belong together (and on NFS the
 * open revalidates the attributes a stat might take from a cache). Null when there is no lock.
 */
export function inspectLock(file: string): SeenLock | null {
  const st = fs.lstatSync(file, { throwIfNoEntry: false });
  if (!st) return null;
  checkLockType(file, st);
  let fd: number;
  try {
    fd = fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null; // released meanwhile
    if ((e as NodeJS.ErrnoException).code === 'ELOOP') checkLockType(file, fs.lstatSync(file));
    throw e;
  }
  try {
    const fst = fs.fstatSync(fd, { bigint: true });
    const text = fs.readFileSync(fd, 'utf8');
    return { dev: fst.dev, ino: fst.ino, mtimeMs: Number(fst.mtimeMs), holder: parseLock(file, text) };
  } finally {
    fs.closeSync(fd);
  }
}

/** Is a holder on this host gone: a reboot since, its pid dead, or its pid now another process (pids are reused). */
function sameHostVerdict(holder: LockContent, mtimeMs: number): string | null {
  const boot = currentBootId();
  if (holder.bootId && boot && holder.bootId !== boot) return 'the machine has rebooted since';
  const bootedAt = Date.now() - os.uptime() * 1000;
  if (mtimeMs < bootedAt - 1000) return 'the lock is older than the last boot';
  if (!isAlive(holder.pid)) return `process ${holder.pid} is gone`;
  if (holder.startTime) {
    const started = processStartTime(holder.pid);
    return started !== null && started !== holder.startTime ? `pid ${holder.pid} is now another process` : null;
  }
  return reusedPidVerdict(holder.pid, mtimeMs);
}

/**
 * A lock without the holder's start time (lptool before 0.2 wrote none; or emptied by hand) whose pid is alive:
 * is that pid still its writer? No when the process started after the lock was last written (a holder alive is
 * older than its lock; a pid reused after it died started later), or when it is not a Node.js process at all
 * (every lptool run is one): then the lock is stale. Else it may be a run of an older lptool — held.
 */
function reusedPidVerdict(pid: number, mtimeMs: number): string | null {
  const startedAt = processStartedAt(pid);
  // the boot time is read in whole seconds: a start within 2 s of the lock's mtime is not told apart
  if (startedAt !== null && startedAt > mtimeMs + 2000)
    return `pid ${pid} is another process (started ${new Date(startedAt).toISOString()}, after the lock was written)`;
  const program = processProgram(pid);
  if (program !== null && !isNodeProgram(program))
    return `pid ${pid} is another process (${program.comm}, not an lptool run) and the lock records no start time`;
  return null;
}

/** When a process started (ms since 1970), from /proc: the boot time plus its start in clock ticks; null without /proc. */
function processStartedAt(pid: number): number | null {
  const ticks = processStartTime(pid);
  if (ticks === null) return null;
  try {
    const btime = /^btime (\d+)$/m.exec(fs.readFileSync('/proc/stat', 'utf8'));
    // (Linux reports start times in USER_HZ, 100 per second on every architecture it runs on)
    return btime ? Number(btime[1]) * 1000 + Number(ticks) * 10 : null;
  } catch {
    return null;
  }
}

/** A process's program: the name of its executable (`/proc/<pid>/comm`) and its command line; null without /proc. */
function processProgram(pid: number): { comm: string; cmdline: string[] } | null {
  try {
    const comm = fs.readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
    const cmdline = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
    return { comm, cmdline };
  } catch {
    return null;
  }
}

/** Could this process be an lptool run: Node.js (`node`, `nodejs`), or a command line that names lptool? */
function isNodeProgram({ comm, cmdline }: { comm: string; cmdline: string[] }): boolean {
  const exe = path.basename(cmdline[0] ?? '');
  return /^node(js)?$/.test(comm) || /^node(js)?$/.test(exe) || cmdline.some((a) => /lptool/i.test(a));
}

/** The verdict on a lock: null when it is held, else why it is stale. */
export function judgeLock(seen: SeenLock, staleMs: number, now = Date.now()): string | null {
  const age = now - seen.mtimeMs;
  const { holder } = seen;
  if (!holder) return age > GARBAGE_AFTER_MS ? 'its content is not a lock' : null;
  if (holder.host === os.hostname()) return sameHostVerdict(holder, seen.mtimeMs);
  // another host: only its heartbeat tells. A lock of a version without one never expires (it could be a long run).
  if (!holder.refreshMs) return null;
  const limit = Math.max(staleMs, 3 * holder.refreshMs);
  return age > limit
    ? `no heartbeat for ${Math.round(age / 1000)} s (stale after ${Math.round(limit / 1000)} s)`
    : null;
}

/**
 * Is the holder of a lock gone? (On this host: exact, from pid, start time and boot id; on another host: no
 * heartbeat for the stale time.)
 */
export function isStaleLock(holder: LockContent, file: string, staleMs = lockTiming().staleMs): boolean {
  const st = fs.statSync(file, { throwIfNoEntry: false });
  return judgeLock({ dev: 0n, ino: 0n, mtimeMs: st?.mtimeMs ?? Date.now(), holder }, staleMs) !== null;
}

/** The lock as doctor shows it. */
export interface LockStatus {
  state: 'free' | 'held' | 'stale' | 'invalid';
  holder: LockContent | null;
  /** Since the file was last written or refreshed (the heartbeat), ms. */
  ageMs: number | null;
  /** Why it is stale or invalid. */
  reason: string | null;
}

export function lockStatus(file: string, options: Pick<LockOptions, 'staleMs' | 'refreshMs' | 'env'> = {}): LockStatus {
  let seen: SeenLock | null;
  try {
    seen = inspectLock(file);
  } catch (e) {
    return { state: 'invalid', holder: null, ageMs: null, reason: (e as Error).message };
  }
  if (!seen) return { state: 'free', holder: null, ageMs: null, reason: null };
  const reason = judgeLock(seen, lockTiming(options).staleMs);
  return { state: reason ? 'stale' : 'held', holder: seen.holder, ageMs: Date.now() - seen.mtimeMs, reason };
}

/**
 * Put a whole file at `file` only if there is none (rule 1 above); returns an fd of it, or null when one is there.
 * The temp is created beside it, so the link stays on one file system.
 */
function createExclusive(file: string, text: string): number | null {
  const temp = `${file}.${ownTag()}.tmp`;
  const fd = fs.openSync(temp, 'wx');
  try {
    fs.writeSync(fd, text);
    fs.linkSync(temp, file);
    return fd;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    fs.closeSync(fd);
    if (code === 'EEXIST') return null;
    if (code === 'EPERM' || code === 'ENOTSUP' || code === 'ENOSYS' || code === 'EOPNOTSUPP')
      return createExclusiveNoLinks(file, text);
    throw e;
  } finally {
    fs.rmSync(temp, { force: true });
  }
}

/** Where hard links are refused (some SMB and FUSE shares): O_EXCL, and the content right after. */
function createExclusiveNoLinks(file: string, text: string): number | null {
  let fd: number;
  try {
    fd = fs.openSync(file, 'wx');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return null;
    throw e;
  }
  fs.writeSync(fd, text);
  return fd;
}

const sameFile = (a: { dev: bigint; ino: bigint } | undefined, b: { dev: bigint; ino: bigint }) =>
  a !== undefined && a.dev === b.dev && a.ino === b.ino;

/**
 * Remove the file at `file` only if it is still the inode `judged` (rule 3): rename it aside, check, and delete it
 * or put it back. Returns whether it was removed.
 */
function removeIfSame(file: string, judged: SeenLock): boolean {
  const aside = `${file}.stale-${ownTag()}`;
  try {
    fs.renameSync(file, aside);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw e;
  }
  const moved = fs.lstatSync(aside, { bigint: true, throwIfNoEntry: false });
  if (moved && sameFile(moved, judged)) {
    fs.rmSync(aside, { force: true });
    return true;
  }
  try {
    fs.linkSync(aside, file); // not the one judged: back where it was, never over another
  } catch {
    /* the path has been taken meanwhile (or the share has no links): the newer file stays */
  }
  fs.rmSync(aside, { force: true });
  return false;
}

/** Take over the stale lock `judged` under the takeover mutex (rule 3). The caller then competes for the path. */
function takeOver(file: string, judged: SeenLock, staleMs: number, content: string): void {
  const mutex = `${file}.takeover`;
  const fd = createExclusive(mutex, content);
  if (fd === null) {
    clearStaleMutex(mutex, staleMs); // another taker is at it (or died at it)
    return;
  }
  const mine = fs.fstatSync(fd, { bigint: true });
  try {
    const now = inspectLock(file);
    if (now && sameFile(now, judged) && judgeLock(now, staleMs) !== null) removeIfSame(file, now);
  } finally {
    fs.closeSync(fd);
    if (sameFile(fs.lstatSync(mutex, { bigint: true, throwIfNoEntry: false }), mine)) fs.rmSync(mutex, { force: true });
  }
}

/** A takeover mutex whose holder died within its few system calls: removed by the same rename-and-check. */
function clearStaleMutex(mutex: string, staleMs: number): void {
  let seen: SeenLock | null;
  try {
    seen = inspectLock(mutex);
  } catch {
    return;
  }
  if (seen && judgeLock(seen, staleMs) !== null) removeIfSame(mutex, seen);
}

function waitingMessage(holder: LockContent | null, waitMs: number): string {
  const who = holder
    ? `pid ${holder.pid}${holder.host === os.hostname() ? '' : ` on ${holder.host}`} (${holder.command}, since ${holder.since})`
    : 'another process';
  return `lptool: waiting for lock held by ${who} — up to ${Math.round(waitMs / 1000)} s (--lock-wait)\n`;
}

const defaultOnWait = (holder: LockContent | null, waitMs: number) => {
  if (process.stderr.isTTY) process.stderr.write(waitingMessage(holder, waitMs));
};
const defaultOnLost = (file: string) =>
  process.stderr.write(
    `lptool: warning: the site lock (${file}) was taken over by another run while this one held it — its holder judged this run gone; check that the hosts' clocks agree\n`,
  );

/**
 * One lptool run per site root at a time (see the comment at the top). A second run waits up to `waitMs`
 * (saying so once on a terminal), then fails with LPT_LOCKED (exit 1). A stale lock is taken over. Returns the
 * release function.
 */
export function acquireLock(file: string, options: LockOptions = {}): () => void {
  const { waitMs = 30_000, pollMs = 200, command = 'lptool', onWait = defaultOnWait } = options;
  const { refreshMs, staleMs } = lockTiming(options);
  const deadline = Date.now() + waitMs;
  const content: LockContent = {
    pid: process.pid,
    host: os.hostname(),
    command,
    since: new Date().toISOString(),
    startTime: processStartTime(process.pid),
    bootId: currentBootId(),
    refreshMs,
  };
  const text = JSON.stringify(content);
  let told = false;
  for (;;) {
    const fd = createExclusive(file, text);
    if (fd !== null) return holdLock(file, fd, { refreshMs, staleMs }, options.onLost ?? defaultOnLost);
    const seen = inspectLock(file);
    if (!seen) continue; // released between the two calls
    const stale = judgeLock(seen, staleMs) !== null;
    if (stale) {
      takeOver(file, seen, staleMs, text);
      const after = inspectLock(file);
      if (!after || !sameFile(after, seen)) continue; // gone, or another's now: compete again at once
    }
    if (Date.now() >= deadline) throw lockedError(file, seen.holder, waitMs);
    if (!told && !stale) {
      onWait(seen.holder, waitMs);
      told = true;
    }
    // a stale lock that another taker is removing is gone in a moment
    sleep(Math.min(stale ? 20 : pollMs, Math.max(1, deadline - Date.now())));
  }
}

function lockedError(file: string, holder: LockContent | null, waitMs: number): LptError {
  const who = holder
    ? `pid ${holder.pid} on ${holder.host} (${holder.command}, since ${holder.since})`
    : 'another process';
  return new LptError(
    'LPT_LOCKED',
    `site is locked — expected no other lptool run, got ${who}; waited ${Math.round(waitMs / 1000)}s`,
    { file },
    { holder },
  );
}

/*
 * The heartbeat thread. It shares one Int32 with the main thread: [0] 0 idle, 1 touching, 2 stop; [1] 1 when the
 * lock was found taken over (it then stops touching); [2] heartbeats done. The main thread stops it (0 → 2, waiting out a touch in progress)
 * before it closes the fd, so a touch never lands on another file that reuses the fd's number.
 */
const HEARTBEAT = `
const fs = require('node:fs');
const { workerData: d } = require('node:worker_threads');
const s = new Int32Array(d.state);
for (;;) {
  if (Atomics.wait(s, 0, 0, d.refreshMs) !== 'timed-out') break;
  if (Atomics.compareExchange(s, 0, 0, 1) !== 0) break;
  let lost = false;
  try {
    const st = fs.lstatSync(d.file, { bigint: true, throwIfNoEntry: false });
    lost = !st || String(st.dev) !== d.dev || String(st.ino) !== d.ino;
    if (!lost) {
      const now = new Date();
      fs.futimesSync(d.fd, now, now);
      Atomics.add(s, 2, 1);
    }
  } catch {}
  if (lost) Atomics.store(s, 1, 1);
  Atomics.store(s, 0, 0);
  Atomics.notify(s, 0);
  if (lost) break;
}
`;

function holdLock(
  file: string,
  fd: number,
  { refreshMs, staleMs }: { refreshMs: number; staleMs: number },
  onLost: (file: string) => void,
): () => void {
  const own = fs.fstatSync(fd, { bigint: true });
  clearLeftovers(file, staleMs);
  const state = new Int32Array(new SharedArrayBuffer(12));
  const worker = new Worker(HEARTBEAT, {
    eval: true,
    execArgv: [], // the script is CommonJS, whatever flags (--input-type=module) the process was started with
    workerData: { state: state.buffer, fd, file, refreshMs, dev: String(own.dev), ino: String(own.ino) },
  });
  worker.on('error', (e) => process.stderr.write(`lptool: warning: the lock's heartbeat stopped — ${e.message}\n`));
  worker.unref();
  let released = false;
  return () => {
    if (released) return;
    released = true;
    stopHeartbeat(state);
    void worker.terminate();
    const now = fs.lstatSync(file, { bigint: true, throwIfNoEntry: false });
    fs.closeSync(fd);
    if (sameFile(now, own)) fs.rmSync(file, { force: true });
    else onLost(file); // renamed away (the heartbeat may have seen it first: state[1]) or removed by another
  };
}

function stopHeartbeat(state: Int32Array): void {
  for (;;) {
    const was = Atomics.compareExchange(state, 0, 0, 2);
    if (was !== 1) break; // idle (now stopped) or stopped already
    Atomics.wait(state, 0, 1, 100); // a touch in progress: let it finish
  }
  Atomics.notify(state, 0);
}

/** `<host>.<pid>-<random>`: whose a temp or aside name is, so a run can tell that its maker is gone. */
const ownTag = () => `${os.hostname()}.${process.pid}-${randomBytes(4).toString('hex')}`;

/**
 * Temps and aside names of creators and takers that were killed within their few system calls (each lives for
 * microseconds), and a takeover mutex left by one: removed by the run that holds the lock next. A name of this host
 * whose pid is gone, or any older than the stale time.
 */
function clearLeftovers(file: string, staleMs: number): void {
  const dir = path.dirname(file);
  const base = path.basename(file);
  let names: string[] = [];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return;
  }
  const tag = /^\.(?:stale-)?(.+)\.(\d+)-[0-9a-f]{8}(?:\.tmp)?$/;
  for (const n of names) {
    const m = n.startsWith(`${base}.`) ? tag.exec(n.slice(base.length)) : null;
    if (!m || n.endsWith('.tmp') === n.slice(base.length).startsWith('.stale-')) continue; // `.stale-…` or `….tmp`
    const full = path.join(dir, n);
    const st = fs.lstatSync(full, { throwIfNoEntry: false });
    if (!st?.isFile()) continue;
    const gone = m[1] === os.hostname() && !isAlive(Number(m[2]));
    if (gone || Date.now() - st.mtimeMs > staleMs) fs.rmSync(full, { force: true });
  }
  clearStaleMutex(`${file}.takeover`, staleMs);
}
