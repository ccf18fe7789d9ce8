import { createHash } from 'node:crypto';

/** The longest file name (one path component) Linux file systems take, in bytes. */
export const MAX_NAME_BYTES = 255;

/** What a temp name adds to the name it stands for: `.` + `.tmp-` + pid (≤ 10 digits) + `-` + 8 hex. */
export const TEMP_NAME_EXTRA_BYTES = 1 + 5 + 10 + 1 + 8;

const bytes = (s: string) => Buffer.byteLength(s, 'utf8');

/** The longest prefix of `s` of at most `max` UTF-8 bytes that does not split a character. */
function cutToBytes(s: string, max: number): string {
  let used = 0;
  let out = '';
  for (const ch of s) {
    const n = bytes(ch);
    if (used + n > max) break;
    used += n;
    out += ch;
  }
  return out;
}

/**
 * A file name made of `stem` + `suffix` that fits in `max` bytes. A name that fits is returned as it is;
 * a longer one keeps the start of its stem, then `~` and 10 hex digits of the SHA-256 of the whole name
 * (so two long names that share a start still get different names), then the suffix, whole — so a
 * reject stays `…_PARSE-ERROR.csv` and a clash stays `….2.csv`.
 */
export function fitName(stem: string, suffix = '', max = MAX_NAME_BYTES): string {
  const whole = stem + suffix;
  if (bytes(whole) <= max) return whole;
  const mark = `~${createHash('sha256').update(whole).digest('hex').slice(0, 10)}`;
  const room = max - bytes(suffix) - mark.length;
  if (room < 1) return cutToBytes(mark + suffix, max); // (a suffix that alone is too long: not one lptool makes)
  return cutToBytes(stem, room) + mark + suffix;
}

/** The part of a temp name that stands for the target's name: the name itself, shortened when a temp of it would not fit. */
export function tempStemFor(baseName: string): string {
  return fitName(baseName, '', MAX_NAME_BYTES - TEMP_NAME_EXTRA_BYTES);
}

/**
 * A file name as text a person can read and paste: valid UTF-8 as it is, every other byte as `\xNN`,
 * control characters escaped too (a name must not break a log line or a terminal).
 */
export function escapeFileName(name: Buffer | string): string {
  const buf = typeof name === 'string' ? Buffer.from(name) : name;
  let out = '';
  let i = 0;
  while (i < buf.length) {
    const n = utf8Length(buf, i);
    if (n === 0) {
      out += `\\x${buf[i]!.toString(16).toUpperCase().padStart(2, '0')}`;
      i++;
      continue;
    }
    const ch = buf.subarray(i, i + n).toString('utf8');
    const code = ch.codePointAt(0)!;
    out += code < 0x20 || code === 0x7f ? `\\x${code.toString(16).toUpperCase().padStart(2, '0')}` : ch;
    i += n;
  }
  return out;
}

/** A name for a file whose name is not valid UTF-8: each byte that is not part of a valid character as `%NN`. */
export function safeFileName(name: Buffer): string {
  return escapeFileName(name).replace(/\\x([0-9A-F]{2})/g, '%$1');
}

/** Is this name valid UTF-8 (so that the string Node gives for it names the same file)? */
export function isUtf8Name(name: Buffer): boolean {
  for (let i = 0; i < name.length; ) {
    const n = utf8Length(name, i);
    if (n === 0) return false;
    i += n;
  }
  return true;
}

/** Length of the valid UTF-8 sequence starting at `i` (1–4), or 0 when the bytes there are not one. */
function utf8Length(b: Buffer, i: number): number {
  const c = b[i]!;
  if (c < 0x80) return 1;
  const cont = (k: number) => i + k < b.length && (b[i + k]! & 0xc0) === 0x80;
  if (c >= 0xc2 && c <= 0xdf) return cont(1) ? 2 : 0;
  if (c >= 0xe0 && c <= 0xef) {
    if (!cont(1) || !cont(2)) return 0;
    const c1 = b[i + 1]!;
    if ((c === 0xe0 && c1 < 0xa0) || (c === 0xed && c1 > 0x9f)) return 0; // overlong, or a surrogate
    return 3;
  }
  if (c >= 0xf0 && c <= 0xf4) {
    if (!cont(1) || !cont(2) || !cont(3)) return 0;
    const c1 = b[i + 1]!;
    if ((c === 0xf0 && c1 < 0x90) || (c === 0xf4 && c1 > 0x8f)) return 0;
    return 4;
  }
  return 0;
}
