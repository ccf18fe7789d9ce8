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
  LPT_DB_UNREACHABLE: ExitCode.usage,
  LPT_DB_AUTH: ExitCode.usage,
  LPT_DB_SCHEMA: ExitCode.usage,
  LPT_SITE_LAYOUT: ExitCode.usage,
  LPT_LOCK_INVALID: ExitCode.usage,
  LPT_MANIFEST_CORRUPT: ExitCode.usage,
  LPT_DROPBOX_CHANGED: ExitCode.usage,
  // the machine, not the data: a full or read-only disk, permissions (exit 2, with what to do)
  LPT_DISK_FULL: ExitCode.usage,
  LPT_READ_ONLY: ExitCode.usage,
  LPT_NO_PERMISSION: ExitCode.usage,
  // data problems found while running (exit 1 when the run finishes)
  LPT_PARSE: ExitCode.flagged,
  LPT_BAD_TIME: ExitCode.flagged,
  LPT_SEQUENCE_BREAK: ExitCode.flagged,
  LPT_EMPTY: ExitCode.flagged,
  LPT_BAD_VALUE: ExitCode.flagged,
  LPT_UNKNOWN_METER: ExitCode.flagged,
  LPT_LOCKED: ExitCode.flagged,
  LPT_DB_LOAD: ExitCode.flagged,
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
    super(boundMessage(message));
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
  const file = where.file === undefined ? '' : cutText(escapeText(where.file), 200);
  if (file) parts.push(where.line !== undefined ? `${file}:${where.line}` : file);
  else if (where.line !== undefined) parts.push(`line ${where.line}`);
  if (where.column) parts.push(`column ${cutText(escapeText(where.column), GOT_MAX)}`);
  if (where.key) parts.push(`key ${cutText(escapeText(where.key), GOT_MAX)}`);
  return parts.length ? ` (${parts.join(', ')})` : '';
}

/**
 * An LptError, also one made by another copy of this module: the CLI bundle loads some packages (plot, report, export)
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

/** The most characters of a "got" value a message shows (after escaping). */
export const GOT_MAX = 80;
/** The most characters of a whole message (a one-line error, never kilobytes of a file). */
export const MESSAGE_MAX = 600;

/**
 * Text as it may safely go to a terminal or a log line: control characters
 * (C0, DEL, C1), line and paragraph separators, U+FFFD (what undecodable bytes
 * read as) and lone surrogates are written as escapes (`\n`, `\x00`, `\ufffd`).
 */
export function escapeText(s: string): string {
  let out = '';
  let from = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    const high = c >= 0xd800 && c <= 0xdbff;
    const low = c >= 0xdc00 && c <= 0xdfff;
    if (high && i + 1 < s.length && isLowSurrogate(s.charCodeAt(i + 1))) {
      i++; // a whole pair: a character beyond the BMP
      continue;
    }
    if (!(c < 0x20 || (c >= 0x7f && c <= 0x9f) || c === 0x2028 || c === 0x2029 || c === 0xfffd || high || low))
      continue;
    out += s.slice(from, i) + escapeOf(c);
    from = i + 1;
  }
  return from === 0 ? s : out + s.slice(from);
}

const isLowSurrogate = (c: number) => c >= 0xdc00 && c <= 0xdfff;

function escapeOf(c: number): string {
  if (c === 0x0a) return '\\n';
  if (c === 0x0d) return '\\r';
  if (c === 0x09) return '\\t';
  return c < 0x100 ? `\\x${c.toString(16).padStart(2, '0')}` : `\\u${c.toString(16).padStart(4, '0')}`;
}

/** At most `max` characters (never cutting an escape or a surrogate pair in two), marking a cut with its full length. */
export function cutText(s: string, max: number = GOT_MAX): string {
  if (s.length <= max) return s;
  let end = max - 1;
  // back off from the middle of an escape (\xNN, \uNNNN, \n …) or a surrogate pair
  const tail = s.slice(Math.max(0, end - 5), end);
  const esc = tail.search(/\\(x[0-9a-f]{0,1}|u[0-9a-f]{0,3})?$/);
  if (esc >= 0) end = Math.max(0, end - 5) + esc;
  if (/[\ud800-\udbff]/.test(s.charAt(end - 1))) end--;
  return `${s.slice(0, end)}… (${s.length} chars)`;
}

/** A value for "got …" in a message: JSON-quoted, escaped, cut to about 80 characters. */
export function showGot(value: string): string {
  return `"${cutText(escapeText(value.replace(/["\\]/g, (c) => `\\${c}`)), GOT_MAX - 2)}"`;
}

/** The end of the JSON string literal that starts at `at` (a `"`), or -1. */
function jsonStringEnd(s: string, at: number): number {
  for (let i = at + 1; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x5c) i++;
    else if (c === 0x22) return i + 1;
  }
  return -1;
}

/** Where a raw (unquoted) "got" value ends: at `; `, ` — `, `: `, ` (` or the end of the message. */
function rawValueEnd(s: string, at: number): number {
  let end = s.length;
  for (const d of ['; ', ' — ', ': ', ' (']) {
    const k = s.indexOf(d, at);
    if (k >= 0 && k < end) end = k;
  }
  return end;
}

/**
 * What every error message becomes (LptError applies it, so it holds for every message in the
 * toolkit, however it was put together): each value after "got " is shown escaped and cut to about
 * 80 characters — a JSON-quoted value as a quoted value, a raw one up to the next `; `, ` — `, `: ` or
 * ` (` — the rest of the text is escaped, and the whole is cut to MESSAGE_MAX characters. A file of
 * binary junk or a megabyte-long line can never reach stderr or a log as more than one short line.
 */
export function boundMessage(message: string): string {
  let out = '';
  let pos = 0;
  const got = /\bgot /g;
  for (let m = got.exec(message); m; m = got.exec(message)) {
    const at = m.index + m[0].length;
    if (at < pos) continue;
    out += escapeText(message.slice(pos, at));
    let end = -1;
    if (message.charAt(at) === '"') {
      end = jsonStringEnd(message, at);
      let value: string | null = null;
      try {
        value = end > 0 ? (JSON.parse(message.slice(at, end)) as string) : null;
      } catch {
        value = null;
      }
      if (value !== null) out += showGot(value);
      else end = -1;
    }
    if (end < 0) {
      end = rawValueEnd(message, at);
      out += cutText(escapeText(message.slice(at, end)), GOT_MAX);
    }
    pos = end;
    got.lastIndex = end;
  }
  out += escapeText(message.slice(pos));
  return cutText(out, MESSAGE_MAX);
}
