/**
 * One error type for the whole toolkit. Every error carries a code; the CLI maps
 * the code's class to an exit code (SPEC §8) in one place.
 *
 * Messages read: what — expected X, got Y — where (file:line).
 */

/** Exit codes of SPEC §8. */
export const ExitCode = {
  ok: 0,
  /** The run finished but rejected or flagged something. */
  flagged: 1,
  /** Usage or configuration error, nothing done. */
  usage: 2,
  /** Internal failure. */
  internal: 3,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/** Every code, with the exit code it maps to. */
export const ErrorCodes = {
  // usage / configuration (exit 2)
  LPT_USAGE: ExitCode.usage,
  LPT_CONFIG: ExitCode.usage,
  LPT_BAD_TIMEZONE: ExitCode.usage,
  LPT_BAD_DURATION: ExitCode.usage,
  LPT_BAD_METER_DATA: ExitCode.usage,
  LPT_HASH_STORE_CORRUPT: ExitCode.usage,
  LPT_INPUT_MISSING: ExitCode.usage,
  LPT_INTERVAL_AMBIGUOUS: ExitCode.usage,
  LPT_INTERVAL_MISMATCH: ExitCode.usage,
  // data problems found while running (exit 1 when the run finishes)
  LPT_PARSE: ExitCode.flagged,
  LPT_BAD_TIME: ExitCode.flagged,
  LPT_SEQUENCE_BREAK: ExitCode.flagged,
  LPT_EMPTY: ExitCode.flagged,
  LPT_BAD_VALUE: ExitCode.flagged,
  LPT_UNKNOWN_METER: ExitCode.flagged,
  LPT_LOCKED: ExitCode.flagged,
  // internal (exit 3)
  LPT_INTERNAL: ExitCode.internal,
} as const;
export type ErrorCode = keyof typeof ErrorCodes;

/** Where in a file an error was found. Rows are 1-based file line numbers (the header is line 1). */
export interface ErrorLocation {
  file?: string;
  line?: number;
  column?: string;
  key?: string;
}

export class LptError extends Error {
  override readonly name = 'LptError';
  readonly code: ErrorCode;
  readonly where: ErrorLocation;
  readonly details: Record<string, unknown>;

  constructor(code: ErrorCode, message: string, where: ErrorLocation = {}, details: Record<string, unknown> = {}) {
    super(message);
    this.code = code;
    this.where = where;
    this.details = details;
  }

  get exitCode(): ExitCode {
    return ErrorCodes[this.code];
  }

  /** One readable line: `LPT_CODE: message (file:line, column X)`. */
  toLine(): string {
    return `${this.code}: ${this.message}${formatWhere(this.where)}`;
  }
}

export function formatWhere(where: ErrorLocation): string {
  const parts: string[] = [];
  if (where.file) parts.push(where.line !== undefined ? `${where.file}:${where.line}` : where.file);
  else if (where.line !== undefined) parts.push(`line ${where.line}`);
  if (where.column) parts.push(`column ${where.column}`);
  if (where.key) parts.push(`key ${where.key}`);
  return parts.length ? ` (${parts.join(', ')})` : '';
}

/**
 * An LptError, also one made by another copy of this module: the CLI bundle loads some packages (plot, report)
 * from their own folders, and their errors must still map to exit codes, not to an internal failure.
 */
export function isLptError(e: unknown): e is LptError {
  if (e instanceof LptError) return true;
  const x = e as Partial<LptError> | null;
  return (
    x instanceof Error &&
    x.name === 'LptError' &&
    typeof x.code === 'string' &&
    Object.hasOwn(ErrorCodes, x.code) &&
    typeof x.toLine === 'function'
  );
}
