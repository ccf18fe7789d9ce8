import os from 'node:os';
import path from 'node:path';
import { LptError } from '@lptool/core';

/**
 * This platform's errno names by number (os.constants.errno: `122 → EDQUOT` on Linux), and on Linux the file
 * system's errnos that table lacks.
 */
const ERRNO_NAMES = new Map<number, string>([
  ...(process.platform === 'linux'
    ? ([
        [117, 'EUCLEAN'],
        [123, 'ENOMEDIUM'],
      ] as const)
    : []),
  ...Object.entries(os.constants.errno).map(([name, n]) => [n, name] as const),
]);

/**
 * The errno code of a Node system error (`ENOSPC` …), if it is one. Some errnos reach Node without a name
 * (libuv has none for EDQUOT, ESTALE, ENOLCK …: the code is then `Unknown system error -122`): those are
 * named by their number, from the platform's table.
 */
export function errnoOf(e: unknown): string | undefined {
  const err = e as NodeJS.ErrnoException | null;
  const code = err?.code;
  if (typeof code === 'string' && /^E[A-Z0-9]+$/.test(code)) return code;
  const errno = err?.errno;
  return typeof errno === 'number' && errno < 0 ? ERRNO_NAMES.get(-errno) : undefined;
}

/**
 * Errors of the machine rather than of one file: a full or read-only disk, no file handles left. A run
 * stops on them (one file failing with them would only be followed by the next); any other error while
 * handling one input concerns that input only, and the run goes on without it.
 */
export function isSiteWideError(e: unknown): boolean {
  const code = errnoOf(e);
  return code === 'ENOSPC' || code === 'EDQUOT' || code === 'EROFS' || code === 'EMFILE' || code === 'ENFILE';
}

/** Where a system error happened, for the message: its path relative to the working folder when it has one. */
function placeOf(e: NodeJS.ErrnoException): string {
  const p = typeof e.path === 'string' ? e.path : undefined;
  if (!p) return '';
  const rel = path.relative(process.cwd(), p);
  return rel && !rel.startsWith('..') ? rel : p;
}

/**
 * A full disk, a read-only file system or a permission refused, as one line that says what to do
 * (exit 2, SPEC §8): every write is a temp file renamed into place and every move is journaled, so
 * nothing half-written is left and a re-run finishes the job. Null for any other error.
 */
export function explainSystemError(e: unknown): LptError | null {
  const code = errnoOf(e);
  if (!code) return null;
  const err = e as NodeJS.ErrnoException;
  const where = placeOf(err);
  const op = err.syscall ? ` (${err.syscall})` : '';
  const file = where ? { file: where } : {};
  const safe = 'nothing half-written was kept and a re-run finishes the job';
  switch (code) {
    case 'ENOSPC':
    case 'EDQUOT':
      return new LptError(
        'LPT_DISK_FULL',
        `disk full — expected room to write, got ${code}${op}; ${safe}: free space (or raise the quota) and run again`,
        file,
      );
    case 'EROFS':
      return new LptError(
        'LPT_READ_ONLY',
        `read-only file system — expected to write, got EROFS${op}; ${safe}: remount it read-write (or use --root on a writable copy) and run again`,
        file,
      );
    case 'EACCES':
    case 'EPERM':
      return new LptError(
        'LPT_NO_PERMISSION',
        `permission denied — expected to be allowed to ${err.syscall ?? 'access'} it, got ${code}; run lptool as the user that owns the site, or fix the permissions, and run again`,
        file,
      );
    default:
      return null;
  }
}

/**
 * The message of an error that no rule explains, for the one line of an internal failure: Node's text, with an
 * errno it could not name named (`Unknown system error -116: Unknown system error -116, open …` →
 * `ESTALE: errno 116, open …`).
 */
export function systemErrorText(e: unknown): string {
  const message = (e as Error)?.message ?? String(e);
  const name = errnoOf(e);
  if (!name) return message;
  return message
    .replace(/Unknown system error -(\d+): Unknown system error -\1/, `${name}: errno $1`)
    .replaceAll(/Unknown system error -(\d+)/g, `${name} (errno $1)`);
}
