import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { LptError } from '@lptool/core';
import { tempStemFor } from './names.js';

const crashAt = process.env.LPTOOL_CRASH_AT;

/**
 * Fault injection for the crash tests: with `LPTOOL_CRASH_AT=<point>` (e.g. `swap-renamed:3`) the process
 * SIGKILLs itself when it reaches that point of a commit, so a test can stop it between any two steps.
 */
export function crashPoint(point: string, index: number): void {
  if (crashAt !== undefined && crashAt === `${point}:${index}`) process.kill(process.pid, 'SIGKILL');
}

/** fsync a directory so a rename inside it is durable (a no-op where directories cannot be opened). */
export function fsyncDir(dir: string): void {
  let fd: number | undefined;
  try {
    fd = fs.openSync(dir, 'r');
    fs.fsyncSync(fd);
  } catch {
    /* some platforms cannot fsync directories */
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

/** How every temp name of a file called `baseName` starts (the name is shortened when a temp of it would pass 255 bytes). */
export function tempPrefixFor(baseName: string): string {
  return `.${tempStemFor(baseName)}.tmp-`;
}

export function tempNameFor(target: string): string {
  return path.join(
    path.dirname(target),
    `${tempPrefixFor(path.basename(target))}${process.pid}-${randomBytes(4).toString('hex')}`,
  );
}

/**
 * Remove temp files of `target` left by lptool processes that died mid-write (their pid is gone); a live
 * writer's temp is never touched. Called whenever a new temp is started for the same target.
 */
export function clearStaleTemps(target: string): number {
  return clearStale(path.dirname(target), tempPrefixFor(path.basename(target)));
}

/**
 * Remove every temp file in `dir` left by an lptool process that died mid-write. For a command that owns the
 * folder (it holds the site lock) and may not write to each target again soon: an append through a shadow
 * never starts a temp of the profile, so a killed full build's temps would stay.
 */
export function clearStaleTempsIn(dir: string): number {
  return clearStale(dir, '.');
}

/**
 * Remove every temp file of `target`, whoever started it. Only for a caller that holds the site lock and
 * knows no writer of that target is left — e.g. after the worker thread that was writing it died.
 */
export function removeTempsOf(target: string): number {
  const prefix = tempPrefixFor(path.basename(target));
  let removed = 0;
  let names: string[] = [];
  try {
    names = fs.readdirSync(path.dirname(target));
  } catch {
    return 0;
  }
  for (const name of names) {
    if (!name.startsWith(prefix) || !isTempName(name)) continue;
    fs.rmSync(path.join(path.dirname(target), name), { force: true });
    removed++;
  }
  return removed;
}

function clearStale(dir: string, prefix: string): number {
  let removed = 0;
  let names: string[] = [];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return 0;
  }
  for (const name of names) {
    if (!name.startsWith(prefix) || !isTempName(name)) continue;
    const pid = Number(/\.tmp-(\d+)-[0-9a-f]{8}$/.exec(name)![1]);
    let alive = false;
    try {
      process.kill(pid, 0);
      alive = true;
    } catch (e) {
      alive = (e as NodeJS.ErrnoException).code === 'EPERM';
    }
    if (!alive && pid !== process.pid) {
      fs.rmSync(path.join(dir, name), { force: true });
      removed++;
    }
  }
  return removed;
}

/** Temp files lptool leaves behind only when killed mid-write; safe to delete. */
export function isTempName(name: string): boolean {
  return /^\..+\.tmp-\d+-[0-9a-f]{8}$/.test(name);
}

/**
 * Buffered writes to one open file descriptor through one reusable 1 MB buffer
 * (measured: joining string chunks cost 10 % of a build).
 */
export abstract class BufferedWriter {
  protected fd: number;
  private readonly buf = Buffer.allocUnsafe(1 << 20);
  private used = 0;
  protected done = false;
  /** Bytes written so far. */
  protected bytes = 0;

  protected constructor(fd: number) {
    this.fd = fd;
  }

  write(s: string): void {
    // a UTF-8 character is at most 3 bytes per UTF-16 unit
    if (this.used + s.length * 3 > this.buf.length) {
      this.flush();
      if (s.length * 3 > this.buf.length) {
        this.writeBytes(Buffer.from(s));
        return;
      }
    }
    this.used += this.buf.write(s, this.used);
  }

  writeBytes(data: Uint8Array): void {
    this.flush();
    let off = 0;
    while (off < data.length) off += fs.writeSync(this.fd, data, off, data.length - off);
    this.bytes += data.length;
  }

  protected flush(): void {
    let off = 0;
    while (off < this.used) off += fs.writeSync(this.fd, this.buf, off, this.used - off);
    this.bytes += this.used;
    this.used = 0;
  }

  /** Flush and close, leaving the fsync to whoever commits the file (see `startFsync`). */
  protected finish(): void {
    this.flush();
    this.done = true;
    fs.closeSync(this.fd);
  }
}

/**
 * A file written to a temp name beside its target and renamed over it on
 * `commit()` (after fsync), so readers never see a half-written file.
 */
/** What a path is when it is no regular file (followed through symlinks), or null. */
export function specialFileKind(file: string): string | null {
  let st: fs.Stats | undefined;
  try {
    st = fs.statSync(file, { throwIfNoEntry: false });
  } catch {
    return null; // ENOTDIR (a file in the way), ELOOP, EACCES: the folder checks and the writer say those
  }
  if (!st || st.isFile() || st.isDirectory()) return null;
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  if (st.isFIFO()) return 'a named pipe (FIFO)';
  if (st.isSocket()) return 'a socket';
  return 'no regular file';
}

/**
 * A new file is renamed over its target: over a device, a pipe or /dev/stdout that would replace the node itself
 * (as root, /dev/null). Such a target is refused (LPT_USAGE, exit 2) before anything is written.
 */
function refuseSpecialFile(target: string): void {
  const kind = specialFileKind(target);
  if (kind)
    throw new LptError(
      'LPT_USAGE',
      `output — expected a regular file to write, got ${target}, ${kind}; lptool writes a new file and renames it into place (for stdout give -)`,
      { file: target },
    );
}

export class AtomicFile extends BufferedWriter {
  readonly target: string;
  readonly temp: string;

  /**
   * @param startFrom begin with a copy of this file's bytes (made by the kernel, a reflink where the
   * file system has them) — an append that still replaces the target atomically.
   */
  constructor(target: string, startFrom?: string) {
    refuseSpecialFile(target);
    fs.mkdirSync(path.dirname(target), { recursive: true });
    clearStaleTemps(target);
    const temp = tempNameFor(target);
    if (startFrom) fs.copyFileSync(startFrom, temp, fs.constants.COPYFILE_EXCL | fs.constants.COPYFILE_FICLONE);
    super(fs.openSync(temp, startFrom ? 'a' : 'wx'));
    this.target = target;
    this.temp = temp;
  }

  commit(): void {
    if (this.done) return;
    this.flush();
    fs.fsyncSync(this.fd);
    fs.closeSync(this.fd);
    fs.renameSync(this.temp, this.target);
    fsyncDir(path.dirname(this.target));
    this.done = true;
  }

  /**
   * Finish writing but leave the target as it is, for `commitAll` to replace
   * with others (start its fsync early with `startFsync` to overlap other work).
   */
  detach(): PendingFile {
    if (this.done) throw new Error(`${this.target}: already committed or aborted`);
    this.finish();
    return { temp: this.temp, target: this.target };
  }

  abort(): void {
    if (this.done) return;
    this.done = true;
    try {
      fs.closeSync(this.fd);
    } catch {
      /* already closed */
    }
    fs.rmSync(this.temp, { force: true });
  }
}

/** A finished temp file waiting to replace its target (see `AtomicFile.detach`). */
export interface PendingFile {
  temp: string;
  target: string;
}

/** fsyncs started in this thread and not yet awaited, by file path. */
const syncing = new Map<string, Promise<void>>();

/**
 * Start a finished file's fsync on libuv's threads, so the disk works while
 * this thread goes on; `fileSynced(file)` awaits it.
 */
export function startFsync(file: string): void {
  if (syncing.has(file)) return;
  // callbacks, not fs.promises: a FileHandle costs ~0.4 ms more per file (measured over 50 profiles)
  const synced = new Promise<void>((resolve, reject) =>
    fs.open(file, 'r', (openError, fd) => {
      if (openError) return reject(openError);
      fs.fsync(fd, (syncError) => fs.close(fd, () => (syncError ? reject(syncError) : resolve())));
    }),
  );
  synced.catch(() => {}); // awaited (and reported) through fileSynced
  syncing.set(file, synced);
}

/** Resolves once a file is durable (through the fsync `startFsync` started, or a new one). */
export async function fileSynced(file: string): Promise<void> {
  startFsync(file);
  const synced = syncing.get(file)!;
  syncing.delete(file);
  return synced;
}

/**
 * Commit many detached files as one group: every temp is fsync'd in parallel on
 * libuv's threads (the disk sees one batch instead of a flush per file; measured
 * 50 profiles: 187 ms against 254 ms one by one), then each is renamed over its
 * target and each folder fsync'd once. Every rename comes after its own file is
 * durable, so each target is at all times either the old or the new file,
 * complete. On a failure the temps not yet renamed are removed.
 */
export async function commitAll(files: readonly PendingFile[]): Promise<void> {
  try {
    await Promise.all(files.map((f) => fileSynced(f.temp)));
    files.forEach((f, i) => {
      crashPoint('commit', i);
      fs.renameSync(f.temp, f.target);
    });
  } catch (e) {
    for (const f of files) fs.rmSync(f.temp, { force: true });
    throw e;
  }
  for (const dir of new Set(files.map((f) => path.dirname(f.target)))) fsyncDir(dir);
}

/** Write a whole file atomically (temp + fsync + rename + fsync of the folder). */
export function writeFileAtomic(target: string, data: string | Uint8Array): void {
  const f = new AtomicFile(target);
  try {
    if (typeof data === 'string') f.write(data);
    else f.writeBytes(data);
    f.commit();
  } catch (e) {
    f.abort();
    throw e;
  }
}

/** A move never overwrites: EEXIST (as rename(2) would give with RENAME_NOREPLACE) when `dest` exists. */
export function refuseExisting(dest: string): void {
  if (!fs.existsSync(dest)) return;
  const e = new Error(`EEXIST: target exists, ${dest}`) as NodeJS.ErrnoException;
  e.code = 'EEXIST';
  throw e;
}

/**
 * Move a file durably. Same file system: a rename (then fsync of both folders).
 * Across file systems: copy to a temp name beside the target, fsync, rename,
 * fsync the folder, and only then unlink the source — the input is never
 * deleted before its copy is durable. Never overwrites: fails with EEXIST if
 * the target exists.
 */
export function moveDurable(src: string, dest: string): void {
  fs.mkdirSync(path.dirname(dest), { recursive: true });
  refuseExisting(dest);
  try {
    // one rename: at every instant the file is in exactly one place (callers hold the site lock,
    // so the existence check above cannot race another lptool)
    fs.renameSync(src, dest);
    fsyncDir(path.dirname(dest));
    fsyncDir(path.dirname(src));
    return;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') throw e;
    if (code !== 'EXDEV' && code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP') throw e;
  }
  const temp = tempNameFor(dest);
  try {
    fs.copyFileSync(src, temp, fs.constants.COPYFILE_EXCL);
    const fd = fs.openSync(temp, 'r+');
    fs.fsyncSync(fd);
    fs.closeSync(fd);
    fs.linkSync(temp, dest);
    fs.unlinkSync(temp);
    fsyncDir(path.dirname(dest));
  } catch (e) {
    fs.rmSync(temp, { force: true });
    throw e;
  }
  try {
    fs.unlinkSync(src);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') {
      // the source cannot go (e.g. its folder is not writable): take the copy back, so the file stays in one place
      fs.rmSync(dest, { force: true });
      fsyncDir(path.dirname(dest));
      throw e;
    }
  }
  fsyncDir(path.dirname(src));
}

/**
 * Write a whole new file, never over an existing one: temp + fsync, then a hard link to the name (which fails if
 * the name exists, atomically: no check-then-write window), then the folder's fsync. False when the name is taken.
 */
export function writeFileNew(target: string, data: string): boolean {
  const temp = tempNameFor(target);
  try {
    fs.writeFileSync(temp, data, { flag: 'wx' });
    const fd = fs.openSync(temp, 'r+');
    fs.fsyncSync(fd);
    fs.closeSync(fd);
    fs.linkSync(temp, target);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw e;
  } finally {
    fs.rmSync(temp, { force: true });
  }
  fsyncDir(path.dirname(target));
  return true;
}
