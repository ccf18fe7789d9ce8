import type fs from 'node:fs';
import { isTempName } from './atomic.js';

/** What `sort` does with one entry of `_dropbox/KW/` (SPEC §9), before it reads a byte of it. */
export type DropboxEntry =
  | { kind: 'take' }
  /** Modified in the last `settleMs`: still being written, left for the next run. */
  | { kind: 'settling' }
  /** Never taken in (a warning names it): a hidden file, symlink, folder, or a name that is not `.csv`. */
  | { kind: 'aside'; why: string }
  /** A temp of lptool's own (a copy that a killed run left): not the operator's, passed over in silence. */
  | { kind: 'temp' };

/** The one place that says which dropbox entries sort takes in (sort) and which are a backlog (doctor). */
export function dropboxEntry(name: string, st: fs.Stats, now: number, settleMs: number): DropboxEntry {
  if (name.startsWith('.')) return isTempName(name) ? { kind: 'temp' } : { kind: 'aside', why: 'hidden file' };
  if (st.isSymbolicLink()) return { kind: 'aside', why: 'symlink (never followed)' };
  if (st.isDirectory()) return { kind: 'aside', why: 'folder' };
  if (!st.isFile()) return { kind: 'aside', why: 'not a regular file' };
  if (!/\.csv$/i.test(name)) return { kind: 'aside', why: 'not a .csv file' };
  if (now - st.mtimeMs < settleMs) return { kind: 'settling' };
  return { kind: 'take' };
}
