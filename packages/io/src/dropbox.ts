import type fs from 'node:fs';
import { isTempName } from './atomic.js';

/** What a dropbox entry is, as lstat sees it (a symlink is never followed). */
export type DropboxKind = 'file' | 'symlink' | 'folder' | 'other';

/** A dropbox entry as listed: its name (valid UTF-8), what it is, and its mtime. */
export interface DropboxItem {
  name: string;
  kind: DropboxKind;
  mtimeMs: number;
}

/** A listed entry from its name and lstat. */
export function dropboxItem(name: string, st: fs.Stats): DropboxItem {
  const kind = st.isSymbolicLink() ? 'symlink' : st.isDirectory() ? 'folder' : st.isFile() ? 'file' : 'other';
  return { name, kind, mtimeMs: st.mtimeMs };
}

/** What `sort` does with one entry of `_dropbox/KW/` (SPEC §9), before it reads a byte of it. */
export type DropboxEntry =
  | { kind: 'take' }
  /** Modified in the last `settleMs`: still being written, left for the next run. */
  | { kind: 'settling' }
  /** Never taken in (a warning names it): a hidden file, symlink, folder, or a name that is not `.csv`. */
  | { kind: 'aside'; why: string }
  /** A temp of lptool's own (a copy that a killed run left): not the operator's, passed over in silence. */
  | { kind: 'temp' };

/**
 * The one place that says which dropbox entries sort takes in (sort's planner) and which are a backlog
 * (doctor): regular `.csv` files, settled. Pure: an entry as listed in, the verdict out.
 */
export function dropboxEntry(item: DropboxItem, now: number, settleMs: number): DropboxEntry {
  const { name, kind } = item;
  if (name.startsWith('.')) return isTempName(name) ? { kind: 'temp' } : { kind: 'aside', why: 'hidden file' };
  if (kind === 'symlink') return { kind: 'aside', why: 'symlink (never followed)' };
  if (kind === 'folder') return { kind: 'aside', why: 'folder' };
  if (kind !== 'file') return { kind: 'aside', why: 'not a regular file' };
  if (!/\.csv$/i.test(name)) return { kind: 'aside', why: 'not a .csv file' };
  if (now - item.mtimeMs < settleMs) return { kind: 'settling' };
  return { kind: 'take' };
}
