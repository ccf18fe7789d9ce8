import fs from 'node:fs';
import os from 'node:os';
import { LptError } from '@lptool/core';

export interface LockOptions {
  /** How long to wait for another run to finish, ms (0 = do not wait). */
  waitMs?: number;
  pollMs?: number;
  /** Written into the lock for the message a waiting run prints. */
  command?: string;
}

interface LockContent {
  pid: number;
  host: string;
  command: string;
  since: string;
}

function readLock(file: string): LockContent | null {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as LockContent;
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

/**
 * One lptool run per site root at a time: a lock file created with O_EXCL
 * holding pid, host and command. A second run waits up to `waitMs`, then fails
 * with LPT_LOCKED (exit 1). A lock whose process is dead (same host) is stale:
 * it is renamed away (only one contender's rename can succeed) and taken over.
 * Returns the release function.
 */
export function acquireLock(file: string, options: LockOptions = {}): () => void {
  const { waitMs = 30_000, pollMs = 200, command = 'lptool' } = options;
  const deadline = Date.now() + waitMs;
  const content: LockContent = { pid: process.pid, host: os.hostname(), command, since: new Date().toISOString() };
  for (;;) {
    try {
      const fd = fs.openSync(file, 'wx');
      fs.writeSync(fd, JSON.stringify(content));
      fs.closeSync(fd);
      let released = false;
      return () => {
        if (released) return;
        released = true;
        const now = readLock(file);
        if (now && now.pid === process.pid && now.host === content.host) fs.rmSync(file, { force: true });
      };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    const holder = readLock(file);
    if (holder && holder.host === content.host && !isAlive(holder.pid)) {
      // stale: move it aside; if someone else already did, our rename fails and we just retry
      const aside = `${file}.stale-${process.pid}`;
      try {
        fs.renameSync(file, aside);
        const taken = readLock(aside);
        if (taken && taken.pid !== holder.pid)
          fs.renameSync(aside, file); // we moved a fresh lock: put it back
        else fs.rmSync(aside, { force: true });
      } catch {
        /* lost the race; retry */
      }
      continue;
    }
    if (holder === null) {
      // being written right now, or empty garbage: give it a moment, then treat as stale if unchanged
      sleep(Math.min(pollMs, 50));
      if (readLock(file) === null && fs.existsSync(file)) {
        const st = fs.statSync(file, { throwIfNoEntry: false });
        if (st && Date.now() - st.mtimeMs > 5_000) fs.rmSync(file, { force: true });
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
