import fs from 'node:fs';

/**
 * What lptool records of a file it wrote, to trust it later without reading it: its size, mtime, ctime and
 * inode. Size and mtime alone can be put back by hand — an edit that keeps the length, then `touch -r` — but
 * the ctime is set by the kernel on every change (also by `touch` itself: nothing can set it back short of the
 * clock), and the inode tells a file put in its place. So a file is trusted while all four are what was
 * recorded; a record of an older lptool without ctime and inode is never trusted (the profile is rebuilt once).
 * The price: a copy of the site (`cp -a`, a restore) is not trusted either, and its first build rebuilds its
 * profiles in full — lptool cannot tell a copy from an edit.
 */
export interface FileStamp {
  size: number;
  mtimeMs: number;
  /** Absent in the records of an older lptool (then never trusted). */
  ctimeMs?: number | undefined;
  ino?: number | undefined;
}

/** The stamp of a file from its stat. */
export function stampOf(st: fs.Stats): Required<FileStamp> {
  return { size: st.size, mtimeMs: st.mtimeMs, ctimeMs: st.ctimeMs, ino: st.ino };
}

/** The stamp of the file at a path now, or null when there is none. */
export function stampNow(file: string): Required<FileStamp> | null {
  const st = fs.statSync(file, { throwIfNoEntry: false });
  return st ? stampOf(st) : null;
}

/** Is a file (as stamped now) still the one recorded: the same size, mtime, ctime and inode? */
export function sameStamp(now: FileStamp | null, recorded: FileStamp | null | undefined): boolean {
  return (
    !!now &&
    !!recorded &&
    recorded.ctimeMs !== undefined &&
    recorded.ino !== undefined &&
    now.size === recorded.size &&
    now.mtimeMs === recorded.mtimeMs &&
    now.ctimeMs === recorded.ctimeMs &&
    now.ino === recorded.ino
  );
}

/** Is the file at this path exactly as recorded (see FileStamp)? */
export function isAsRecorded(file: string, recorded: FileStamp | null | undefined): boolean {
  return sameStamp(stampNow(file), recorded);
}
