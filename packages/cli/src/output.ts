import { ExitCode, isLptError } from '@lptool/core';
import { explainSystemError, systemErrorText } from '@lptool/io';
import { type Progress, type ProgressStream, progressWriter } from './progress.js';

/** What every command adapter gives back to the CLI. */
export interface CommandResult {
  exitCode: ExitCode;
  /** Human summary for stdout (cron mails it). */
  text: string;
  /** What the operator asked stdout to carry (`--out -`: the CSV): written whatever --quiet says. */
  data?: string | undefined;
  /** Machine summary for `--json`. */
  json: unknown;
  /**
   * What needs attention — rejects, conflicts, bad rows, gaps under --fail-on-gaps: one line each on stderr in every
   * mode (also --quiet and --json), so `>/dev/null` never hides them. The text on stdout does not repeat them.
   */
  problems?: string[];
  /** Lines for stderr, also with `--json` (stdout stays the summary): `lptool: warning: …`, `lptool: note: …`. */
  warnings?: string[];
  /** For a person at a terminal (stderr): not under --quiet. */
  notes?: string[];
}

export interface Io {
  out: (s: string) => void;
  err: (s: string) => void;
  /** How the operator asked for output: --quiet, --verbose (set by the CLI before a command runs). */
  mode?: OutputMode;
  /** stderr, for progress lines (a terminal only; see progress.ts). */
  progressStream?: ProgressStream;
}

/** The output flags every command has (declare.ts adds them), and --json where a command has it. */
export interface OutputMode {
  quiet: boolean;
  verbose: boolean;
  json: boolean;
}

/**
 * A command's result on the streams: problems and warnings on stderr always; notes on stderr unless --quiet; on
 * stdout the JSON with --json (a script asked for it, also under --quiet), else the data asked for (`--out -`, also
 * under --quiet), else the summary text unless --quiet.
 */
export function emitResult(r: CommandResult, mode: OutputMode, io: Io): void {
  for (const p of r.problems ?? []) io.err(`lptool: ${p}`);
  for (const w of r.warnings ?? []) io.err(`lptool: warning: ${w}`);
  if (!mode.quiet) for (const n of r.notes ?? []) io.err(`lptool: note: ${n}`);
  if (mode.json) io.out(JSON.stringify(r.json, null, 2));
  else if (r.data !== undefined) io.out(r.data.replace(/\n$/, ''));
  else if (!mode.quiet && r.text) io.out(r.text.replace(/\n$/, ''));
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

/** A progress line for a command on a terminal's stderr — none under --quiet or --json, or without a terminal. */
export function progressFor(io: Io, label: string, unit: string): Progress {
  const mode = io.mode;
  return progressWriter(io.progressStream, label, unit, { enabled: !mode?.quiet && !mode?.json });
}
