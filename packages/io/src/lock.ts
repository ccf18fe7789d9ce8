import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { LptError } from '@lptool/core';

export interface LockOptions {
  /** How long to wait for another run to finish, ms (0 = do not wait). */
  waitMs?: number;
  pollMs?: number;
  /** Written into the lock for the message a waiting run prints. */
  command?: string;
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
    `site lock — expected lptool's lock file (a process id > 0), got ${got}; if no lptool runs on this site, remove ${path.basename(file)} and run again`,
    { file },
  );
}

/**
 * The lock as it is: null when there is none or it cannot be read yet (being written, or garbage — the
 * caller waits and then clears it). A folder, a symlink, or a lock naming no real process (pid 0, −1, not
 * a number) is LPT_LOCK_INVALID (exit 2): lptool never makes one, and waiting would not change it.
 */
export function readLock(file: string): LockContent | null {
  const st = fs.lstatSync(file, { throwIfNoEntry: false });
  if (!st) return null;
  if (st.isSymbolicLink()) throw invalidLock(file, `a symlink (to ${fs.readlinkSync(file)})`);
  if (st.isDirectory()) throw invalidLock(file, 'a folder');
  if (!st.isFile()) throw invalidLock(file, 'something that is not a file');
  let data: unknown;
  try {
    data = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch {
    return null;
  }
  if (typeof data !== 'object' || data === null) return null;
  const pid = (data as { pid?: unknown }).pid;
  if (typeof pid !== 'number' || !Number.isSafeInteger(pid) || pid <= 0)
    throw invalidLock(file, `pid ${JSON.stringify(pid) ?? 'missing'}`);
  return data as LockContent;
}

/**
 * Is the holder of a lock on this host gone? Yes when the machine rebooted since (another boot id, or a
 * lock file older than the boot), when its pid is not alive, or when that pid now belongs to a process
 * that started at another time (pids are reused: after a reboot the pid of a lock is often some
 * unrelated process). A lock of another host is never judged from here.
 */
export function isStaleLock(holder: LockContent, file: string): boolean {
  if (holder.host !== os.hostname()) return false;
  const boot = currentBootId();
  if (holder.bootId && boot && holder.bootId !== boot) return true;
  const st = fs.statSync(file, { throwIfNoEntry: false });
  const bootedAt = Date.now() - os.uptime() * 1000;
  if (st && st.mtimeMs < bootedAt - 1000) return true;
  if (!isAlive(holder.pid)) return true;
  const started = holder.startTime ? processStartTime(holder.pid) : null;
  return started !== null && started !== holder.startTime;
}

/**
 * One lptool run per site root at a time: a lock file created with O_EXCL
 * holding pid, host, command, the process start time and the boot id. A second
 * run waits up to `waitMs`, then fails with LPT_LOCKED (exit 1). A stale lock
 * (`isStaleLock`) is renamed away (only one contender's rename can succeed)
 * and taken over. Returns the release function.
 */
export function acquireLock(file: string, options: LockOptions = {}): () => void {
  const { waitMs = 30_000, pollMs = 200, command = 'lptool' } = options;
  const deadline = Date.now() + waitMs;
  const content: LockContent = {
    pid: process.pid,
    host: os.hostname(),
    command,
    since: new Date().toISOString(),
    startTime: processStartTime(process.pid),
    bootId: currentBootId(),
  };
  for (;;) {
    try {
      const fd = fs.openSync(file, 'wx');
      fs.writeSync(fd, JSON.stringify(content));
      fs.closeSync(fd);
      return releaseFor(file, content);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    const holder = readLock(file);
    if (holder && isStaleLock(holder, file)) {
      takeOverStale(file, holder);
      continue;
    }
    if (holder === null) {
      // being written right now, or empty garbage: give it a moment, then treat as stale if unchanged
      sleep(Math.min(pollMs, 50));
      if (readLock(file) === null) {
        const st = fs.lstatSync(file, { throwIfNoEntry: false });
        if (st?.isFile() && Date.now() - st.mtimeMs > 5_000) fs.rmSync(file, { force: true });
      }
    }
    if (Date.now() >= deadline) {
      const who = holder
        ? `pid ${holder.pid} on ${holder.host} (${holder.command}, since ${holder.since})`
        : 'another process';
      throw new LptError(
        'LPT_LOCKED',
        `site is locked — expected no other lptool run, got ${who}; waited ${Math.round(waitMs / 1000)}s`,
        { file },
        { holder },
      );
    }
    sleep(pollMs);
  }
}

/** Move a stale lock aside; if another contender replaced it meanwhile, put theirs back. */
function takeOverStale(file: string, holder: LockContent): void {
  const aside = `${file}.stale-${process.pid}`;
  try {
    fs.renameSync(file, aside);
    let taken: LockContent | null = null;
    try {
      taken = readLock(aside);
    } catch {
      /* not ours to judge: it goes */
    }
    if (taken && (taken.pid !== holder.pid || taken.since !== holder.since)) fs.renameSync(aside, file);
    else fs.rmSync(aside, { force: true });
  } catch {
    /* lost the race; retry */
  }
}

function releaseFor(file: string, content: LockContent): () => void {
  let released = false;
  return () => {
    if (released) return;
    released = true;
    let now: LockContent | null = null;
    try {
      now = readLock(file);
    } catch {
      return; // not our lock any more
    }
    if (now && now.pid === content.pid && now.host === content.host && now.since === content.since)
      fs.rmSync(file, { force: true });
  };
}
