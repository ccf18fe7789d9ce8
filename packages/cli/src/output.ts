import { ExitCode, isLptError } from '@lptool/core';
import { explainSystemError, systemErrorText } from '@lptool/io';

/** What every command adapter gives back to the CLI. */
export interface CommandResult {
  exitCode: ExitCode;
  /** Human summary for stdout (cron mails it). */
  text: string;
  /** Machine summary for `--json`. */
  json: unknown;
  /** Lines for stderr, also with `--json` (stdout stays the summary): `lptool: warning: …`, `lptool: note: …`. */
  warnings?: string[];
  notes?: string[];
}

export interface Io {
  out: (s: string) => void;
  err: (s: string) => void;
}

/**
 * Map anything thrown to one stderr line and an exit code (SPEC §8), in one place. A full or read-only
 * disk or a refused permission is the machine's state, not a bug: one line saying what to do, exit 2.
 */
export function exitCodeFor(e: unknown, io: Io): ExitCode {
  const system = explainSystemError(e);
  if (system) {
    io.err(`lptool: ${system.toLine()}${process.env.LPTOOL_DEBUG ? `\n${(e as Error).stack}` : ''}`);
    return system.exitCode;
  }
  if (isLptError(e)) {
    io.err(`lptool: ${e.toLine()}`);
    return e.exitCode;
  }
  const err = e as Error;
  io.err(
    `lptool: LPT_INTERNAL: ${systemErrorText(e)}${process.env.LPTOOL_DEBUG ? `\n${err?.stack}` : ' (set LPTOOL_DEBUG=1 for the stack)'}`,
  );
  return ExitCode.internal;
}

/** What ended a run, for the end event of its logs: the code and message of exitCodeFor's line. */
export function errorForLog(e: unknown): { code: string; message: string } {
  const known = explainSystemError(e) ?? (isLptError(e) ? e : null);
  if (known) return { code: known.code, message: known.message };
  return { code: 'LPT_INTERNAL', message: systemErrorText(e) };
}
