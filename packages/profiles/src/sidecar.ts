import fs from 'node:fs';
import path from 'node:path';
import { crc32 } from 'node:zlib';
import { clearStaleTemps, type PendingFile, tempNameFor } from '@lptool/io';
import { type FileStamp, sameStamp, stampNow } from './stamp.js';

/**
 * A binary column sidecar of a CSV lptool wrote: `lp/.cache/<name>.bin` holds some
 * of its columns as Float64 (start/end instants, MW_net in millionths, …), so merge
 * and gaps need not parse 16-column text again. Every value is a finite number:
 * a column with NaN or ±Infinity in it is never cached (a CSV cell that is not a
 * number is for the text reader to report, not for a cache to turn into 0). It is used only while the CSV still has
 * the size, mtime, ctime and inode recorded in it (`FileStamp`: an edit that keeps the length and puts the
 * mtime back still changes the ctime) and its bytes match the CRC-32 recorded in it; anything else makes
 * readers take the CSV itself. The ctime and inode are those of the CSV in its place: a sidecar written
 * beside a temp (which its rename gives a new ctime) is *sealed* with them once the CSV is in place, and
 * until then it is not trusted.
 *
 * It is only a cache, so it is never fsync'd and an append writes it in place
 * (the data first, then the header): a crash, a torn write or a concurrent
 * reader can only ever make it fail its checks — never give wrong numbers.
 *
 * Layout: a 512-byte header — `LPTC3\n`, one JSON line {size, mtimeMs, rows,
 * columns, crc}, space padding, `\n` — then the rows, each row its columns'
 * Float64 values (little endian), so appending rows appends bytes.
 */
const MAGIC = 'LPTC3\n'; // 3: power columns hold integer millionths (2: MW as doubles)
const HEADER = 512;

interface Meta {
  /** The CSV's size and mtime when the sidecar was written; its ctime and inode once sealed (else null). */
  size: number;
  mtimeMs: number;
  ctimeMs?: number | null;
  ino?: number | null;
  rows: number;
  columns: string[];
  /** CRC-32 of everything after the header. */
  crc: number;
}

export function cachePathFor(csvPath: string): string {
  return path.join(path.dirname(csvPath), '.cache', `${path.basename(csvPath, '.csv')}.bin`);
}

function headerBytes(meta: Meta): Buffer {
  const text = `${MAGIC}${JSON.stringify(meta)}`;
  if (text.length > HEADER - 1) throw new Error('column cache header too long');
  const out = Buffer.alloc(HEADER, 0x20);
  out.write(text, 0, 'latin1');
  out[HEADER - 1] = 0x0a;
  return out;
}

function parseHeader(buf: Buffer): Meta | null {
  if (buf.length < HEADER || buf.toString('latin1', 0, MAGIC.length) !== MAGIC) return null;
  try {
    return JSON.parse(buf.toString('latin1', MAGIC.length, HEADER)) as Meta;
  } catch {
    return null;
  }
}

/** Interleave equal-length columns into rows of Float64 values. */
function rowBytes(columns: Float64Array[], names: number, rows: number): Buffer {
  const data = new Float64Array(rows * names);
  for (let k = 0; k < names; k++) {
    const col = columns[k]!;
    for (let i = 0; i < rows; i++) data[i * names + k] = col[i]!;
  }
  return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
}

function columnsOf(columns: Record<string, Float64Array>): { names: string[]; cols: Float64Array[]; rows: number } {
  const names = Object.keys(columns);
  const cols = names.map((n) => columns[n]!);
  const rows = cols.length ? cols[0]!.length : 0;
  if (cols.some((c) => c.length !== rows)) throw new Error('column cache: columns of different lengths');
  for (const c of cols) for (let i = 0; i < rows; i++) if (!Number.isFinite(c[i]!)) throw new Error('not a number');
  return { names, cols, rows };
}

/** A sidecar written to a temp, waiting for its CSV to be in place (`commitColumnCaches`). */
export interface PendingCache extends PendingFile {
  /** The CSV it describes, at its place. */
  csv: string;
}

/**
 * Write the sidecar for a CSV that has just been written, in its place. Failures are ignored (it is only a
 * cache).
 */
export function writeColumnCache(csvPath: string, columns: Record<string, Float64Array>): void {
  const pending = startColumnCache(csvPath, columns);
  if (pending) commitColumnCaches([pending]);
}

/**
 * Write the sidecar of a CSV that is still a temp (`written`; rename keeps its size and mtime) to a temp of its
 * own, for the caller to put in place once the CSV is (`commitColumnCaches`) or drop if the CSV is not
 * committed; null if it could not be written.
 */
export function startColumnCache(
  csvPath: string,
  columns: Record<string, Float64Array>,
  written: string = csvPath,
): PendingCache | null {
  const file = cachePathFor(csvPath);
  let temp = '';
  try {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    clearStaleTemps(file);
    temp = tempNameFor(file);
    const st = fs.statSync(written);
    const { names, cols, rows } = columnsOf(columns);
    const data = rowBytes(cols, names.length, rows);
    const meta = {
      size: st.size,
      mtimeMs: st.mtimeMs,
      ctimeMs: null,
      ino: null,
      rows,
      columns: names,
      crc: crc32(data),
    };
    fs.writeFileSync(temp, Buffer.concat([headerBytes(meta), data]));
    return { temp, target: file, csv: csvPath };
  } catch {
    if (temp) fs.rmSync(temp, { force: true });
    return null;
  }
}

/**
 * Put sidecar temps in place once their CSVs are: each sealed with its CSV's ctime and inode, then renamed
 * (a sidecar is never fsync'd; a failure only leaves a CSV without one).
 */
export function commitColumnCaches(pending: readonly PendingCache[]): void {
  for (const p of pending) {
    try {
      if (!sealCache(p.temp, p.csv)) throw new Error('stale');
      fs.renameSync(p.temp, p.target);
    } catch {
      fs.rmSync(p.temp, { force: true });
    }
  }
}

/**
 * Seal the sidecar of a CSV that is now in its place (after an append's swap): record the CSV's ctime and
 * inode, when the sidecar describes its size and mtime — else remove it.
 */
export function sealColumnCache(csvPath: string): boolean {
  const file = cachePathFor(csvPath);
  if (sealCache(file, csvPath)) return true;
  fs.rmSync(file, { force: true });
  return false;
}

/** The header of the open sidecar `fd`, or null when it is none. */
function headerAt(fd: number): Meta | null {
  const head = Buffer.alloc(HEADER);
  fs.readSync(fd, head, 0, HEADER, 0);
  return parseHeader(head);
}

/** Write the CSV's ctime and inode into the header of the sidecar `file` if it describes the CSV's size and mtime. */
function sealCache(file: string, csvPath: string): boolean {
  let fd: number | undefined;
  try {
    fd = fs.openSync(file, 'r+');
    const meta = headerAt(fd);
    const csv = stampNow(csvPath);
    if (!meta || !csv || meta.size !== csv.size || meta.mtimeMs !== csv.mtimeMs) return false;
    fs.writeSync(fd, headerBytes({ ...meta, ctimeMs: csv.ctimeMs, ino: csv.ino }), 0, HEADER, 0);
    return true;
  } catch {
    return false;
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

/** Does the sidecar's header describe this CSV as it is now (size, mtime, ctime, inode)? */
const describes = (meta: Meta, csv: FileStamp | null) =>
  sameStamp(csv, {
    size: meta.size,
    mtimeMs: meta.mtimeMs,
    ctimeMs: meta.ctimeMs ?? undefined,
    ino: meta.ino ?? undefined,
  });

/**
 * Add rows to the sidecar of a CSV that has just had rows appended (`written`: where the appended bytes are,
 * before the swap puts them in place). `before` is the CSV's size and mtime before the append: the sidecar
 * must have been describing exactly that file — still in its place, as sealed — with these columns. The
 * sidecar is left unsealed, for `sealColumnCache` once the CSV is in place. Returns false (and removes the
 * sidecar, so readers take the CSV) when it was not.
 */
export function appendColumnCache(
  csvPath: string,
  before: { size: number; mtimeMs: number },
  columns: Record<string, Float64Array>,
  written: string = csvPath,
): boolean {
  const file = cachePathFor(csvPath);
  let fd: number | undefined;
  try {
    fd = fs.openSync(file, 'r+');
    const meta = headerAt(fd);
    const { names, cols, rows } = columnsOf(columns);
    if (
      !meta ||
      meta.size !== before.size ||
      meta.mtimeMs !== before.mtimeMs ||
      !describes(meta, stampNow(csvPath)) ||
      meta.columns.join('\u0000') !== names.join('\u0000') ||
      fs.fstatSync(fd).size !== HEADER + meta.rows * names.length * 8
    )
      throw new Error('stale');
    const data = rowBytes(cols, names.length, rows);
    fs.writeSync(fd, data, 0, data.length, HEADER + meta.rows * names.length * 8);
    const st = fs.statSync(written);
    const next = {
      size: st.size,
      mtimeMs: st.mtimeMs,
      ctimeMs: null,
      ino: null,
      rows: meta.rows + rows,
      columns: names,
      crc: crc32(data, meta.crc),
    };
    fs.writeSync(fd, headerBytes(next), 0, HEADER, 0);
    return true;
  } catch {
    fs.rmSync(file, { force: true });
    return false;
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

/** The named columns from a CSV's sidecar, or null when there is none, it is damaged, or the CSV changed since. */
export function readColumnCache<K extends string>(
  csvPath: string,
  names: readonly K[],
): Record<K, Float64Array> | null {
  try {
    const csv = stampNow(csvPath);
    return columnsFrom(fs.readFileSync(cachePathFor(csvPath)), names, (meta) => describes(meta, csv));
  } catch {
    return null;
  }
}

/**
 * The named columns of a sidecar file of this run not yet in place (`PendingCache.temp`), checked against its
 * own CRC only: its CSV is a temp too. Null when it cannot be read.
 */
export function readPendingColumnCache<K extends string>(
  file: string,
  names: readonly K[],
): Record<K, Float64Array> | null {
  try {
    return columnsFrom(fs.readFileSync(file), names, () => true);
  } catch {
    return null;
  }
}

/** The named columns of a sidecar's bytes, if its header passes `trusted`, its length fits and its CRC matches. */
function columnsFrom<K extends string>(
  buf: Buffer,
  names: readonly K[],
  trusted: (meta: Meta) => boolean,
): Record<K, Float64Array> | null {
  const meta = parseHeader(buf);
  if (!meta || !trusted(meta)) return null;
  const width = meta.columns.length;
  if (buf.length !== HEADER + meta.rows * width * 8) return null;
  const body = buf.subarray(HEADER);
  if (crc32(body) !== meta.crc) return null;
  const rows = new Float64Array(meta.rows * width);
  Buffer.from(rows.buffer).set(body);
  const out = {} as Record<K, Float64Array>;
  for (const n of names) {
    const k = meta.columns.indexOf(n);
    if (k < 0) return null;
    const col = new Float64Array(meta.rows);
    for (let i = 0; i < meta.rows; i++) col[i] = rows[i * width + k]!;
    out[n] = col;
  }
  return out;
}
