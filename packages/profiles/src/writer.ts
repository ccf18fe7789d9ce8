import fs from 'node:fs';
import path from 'node:path';
import { type ExportRows, FIELD } from '@lptool/archive';
import { formatMicros, formatMicrosInto, powerFactorMicros, type Readings, type SiteClock } from '@lptool/core';
import { AtomicFile, csvField, type PendingFile } from '@lptool/io';
import { PROFILE_COLUMNS } from './columns.js';
import { type PendingSwap, ShadowAppend, shadowPathFor, startShadow } from './shadow.js';
import { appendColumnCache, type PendingCache, startColumnCache } from './sidecar.js';

/** The header line of lp/<name>.csv. */
export const PROFILE_HEADER = `${PROFILE_COLUMNS.join(',')}\n`;

/**
 * The rows of lp/<name>.csv (SPEC §4), in PROFILE_COLUMNS order, written as bytes: the start and end as local
 * ISO 8601 times with their offset, the meter id, Record No. and Event Type (CSV-quoted only where they must
 * be), the four readings as the export wrote them (trimmed), the six derived values and PF_net in millionths
 * with 6 decimals, trailing zeros trimmed. A field read from bytes in printable ASCII is copied as it is; any
 * other (text rows, spaces, other characters) is taken as text, trimmed and quoted as a string would be.
 * One buffer for the rows of a flush, reused; each row's sidecar columns beside it.
 */
export class RowWriter {
  private buf = Buffer.allocUnsafe(1 << 16);
  private pos = 0;
  private readonly cols = new SidecarColumns();
  private readonly meterField: Buffer;
  /** The last row's end, and where its text is in the buffer. */
  private lastEnd = Number.NaN;
  private lastEndAt = 0;
  private lastEndLength = 0;

  constructor(
    meter: string,
    private readonly clock: SiteClock,
    private readonly legacyNet: boolean,
  ) {
    this.meterField = Buffer.from(csvField(meter));
  }

  /** Start the rows of a new flush. */
  reset(): void {
    this.pos = 0;
    this.lastEnd = Number.NaN;
    this.cols.length = 0;
  }

  /** The rows written since `reset`, and their sidecar columns (views: valid until the next `reset`). */
  taken(): WrittenRows {
    return { count: this.cols.length, bytes: this.buf.subarray(0, this.pos), ...this.cols.view() };
  }

  /** No rows. */
  empty(): WrittenRows {
    this.reset();
    return this.taken();
  }

  /**
   * Row i of an export, starting at `s` and ending at `e`, with its derived values at `micros[at … at + 5]`
   * and its readings (for PF_net).
   */
  row(rows: ExportRows, i: number, s: number, e: number, micros: Float64Array, at: number, r: Readings): void {
    this.room(rows, i);
    const { buf, clock } = this;
    let pos = this.pos;
    if (s === this.lastEnd) {
      // a row starts where the last one ended: its start's text is that end's, a few bytes back
      for (let k = this.lastEndAt, end = k + this.lastEndLength; k < end; k++) buf[pos++] = buf[k]!;
    } else pos = clock.formatInto(s, buf, pos);
    buf[pos++] = COMMA;
    this.lastEndAt = pos;
    pos = clock.formatInto(e, buf, pos);
    this.lastEnd = e;
    this.lastEndLength = pos - this.lastEndAt;
    buf[pos++] = COMMA;
    this.meterField.copy(buf, pos);
    pos += this.meterField.length;
    buf[pos++] = COMMA;
    pos = this.field(rows, i, FIELD.record, pos, true);
    buf[pos++] = COMMA;
    pos = this.field(rows, i, FIELD.event, pos, true);
    for (let k = 0; k < 4; k++) {
      buf[pos++] = COMMA;
      pos = this.field(rows, i, FIELD.readings + k, pos, false);
    }
    for (let k = 0; k < 6; k++) {
      buf[pos++] = COMMA;
      pos = formatMicrosInto(micros[at + k]!, buf, pos);
    }
    buf[pos++] = COMMA;
    const pf = micros[at + 5] === 0 ? null : powerFactorMicros(r, this.legacyNet); // (empty where MVA_net is 0)
    if (typeof pf === 'number') pos = formatMicrosInto(pf, buf, pos);
    else if (pf !== null) pos += buf.write(formatMicros(pf), pos, 'latin1');
    buf[pos++] = NEWLINE;
    this.pos = pos;
    this.cols.add(s, e, micros[at + 4]!, micros[at + 5]!);
  }

  /** Field k of row i, trimmed (and CSV-quoted when `quote` and it must be), at `pos`; the position after it. */
  private field(rows: ExportRows, i: number, k: number, pos: number, quote: boolean): number {
    const { buf } = this;
    if (rows.isBytes(i)) {
      const b = rows.bytes!;
      const to = rows.end(i, k);
      let j = rows.start(i, k);
      let p = pos;
      for (; j < to; j++) {
        const c = b[j]!;
        if (c < 0x21 || c > 0x7e) break; // a space or another character: as text
        buf[p++] = c;
      }
      if (j === to || rows.column[k]! < 0) return p;
    }
    const t = rows.field(i, k).trim();
    return pos + buf.write(quote ? csvField(t) : t, pos);
  }

  /** Room in the buffer for row i (its text fields may take 3 bytes a character, quoted twice over). */
  private room(rows: ExportRows, i: number): void {
    let need = 512 + this.meterField.length;
    if (rows.isBytes(i))
      for (let k = FIELD.record; k < FIELD.readings + 4; k++) need += 3 * (rows.end(i, k) - rows.start(i, k));
    else for (let k = FIELD.record; k < FIELD.readings + 4; k++) need += 6 * rows.field(i, k).length;
    if (this.pos + need <= this.buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + need));
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }
}

const COMMA = 44;
const NEWLINE = 10;

/** The columns lp/.cache/<name>.bin keeps of each row (instants; MW_net, MVA_net in millionths). */
export interface SidecarRows {
  start: Float64Array;
  end: Float64Array;
  mwNet: Float64Array;
  mvaNet: Float64Array;
}

/** Rows as written: their count, their bytes, their sidecar columns. */
export interface WrittenRows extends SidecarRows {
  count: number;
  bytes: Uint8Array;
}

/** Sidecar columns that grow as rows are added. */
class SidecarColumns {
  length = 0;
  private start = new Float64Array(1024);
  private end = new Float64Array(1024);
  private mwNet = new Float64Array(1024);
  private mvaNet = new Float64Array(1024);

  add(s: number, e: number, mw: number, mva: number): void {
    if (this.length === this.start.length) {
      for (const key of ['start', 'end', 'mwNet', 'mvaNet'] as const) {
        const next = new Float64Array(this.length * 2);
        next.set(this[key]);
        this[key] = next;
      }
    }
    const k = this.length++;
    this.start[k] = s;
    this.end[k] = e;
    this.mwNet[k] = mw;
    this.mvaNet[k] = mva;
  }

  addAll(rows: {
    count: number;
    start: Float64Array;
    end: Float64Array;
    mwNet: Float64Array;
    mvaNet: Float64Array;
  }): void {
    const n = this.length + rows.count;
    if (n > this.start.length) {
      const size = Math.max(n, this.start.length * 2);
      for (const key of ['start', 'end', 'mwNet', 'mvaNet'] as const) {
        const next = new Float64Array(size);
        next.set(this[key].subarray(0, this.length));
        this[key] = next;
      }
    }
    for (const key of ['start', 'end', 'mwNet', 'mvaNet'] as const)
      this[key].set(rows[key].subarray(0, rows.count), this.length);
    this.length = n;
  }

  /** The columns so far (views). */
  view(): { start: Float64Array; end: Float64Array; mwNet: Float64Array; mvaNet: Float64Array } {
    const n = this.length;
    return {
      start: this.start.subarray(0, n),
      end: this.end.subarray(0, n),
      mwNet: this.mwNet.subarray(0, n),
      mvaNet: this.mvaNet.subarray(0, n),
    };
  }
}

/**
 * Can the profile's shadow be renamed over it — is lp/.cache on the file system of lp/? Not when another disk is
 * mounted at lp/.cache (a rename across file systems fails): then an append copies the profile, as without a shadow.
 * (A bind mount of the same file system there is not seen here: `commitSwaps` copies the shadow over the profile.)
 */
function shadowCanSwap(output: string): boolean {
  const cache = fs.statSync(path.dirname(shadowPathFor(output)), { throwIfNoEntry: false });
  return cache !== undefined && cache.dev === fs.statSync(path.dirname(output)).dev;
}

/** How a profile is written: an append (through its shadow when it has a trusted one), or in full. */
export interface WriteMode {
  /** Add rows to the profile as it is: its size and mtime now, and its shadow's size when the shadow is trusted. */
  append: { previousOutput: { size: number; mtimeMs: number }; shadowSize: number | null } | null;
  /** An extract (`build --out`): a plain file — no shadow, no sidecar. */
  extract: boolean;
}

/** What a written profile leaves for the commit step: temps to rename, or an appended shadow to swap in. */
export interface WrittenProfile {
  pending?: PendingFile[];
  swap?: PendingSwap;
  /** A new profile's sidecar, as a temp put in place with it. */
  pendingCache?: PendingCache;
}

/**
 * Writes one profile without replacing anything: a full profile to a temp beside it (with an empty shadow,
 * filled by its first append), an append to the end of its shadow (or to a copy of it when it has no trusted shadow), and
 * the sidecar's rows. `finish` leaves all of it for the commit step (`commitProfiles`), which puts
 * profiles, shadows and sidecars in place together; `abort` drops it.
 */
export class ProfileWriter {
  private readonly out: AtomicFile | ShadowAppend;
  private readonly side = new SidecarColumns();
  private left: WrittenProfile = {};

  constructor(
    readonly output: string,
    private readonly mode: WriteMode,
  ) {
    const append = mode.append;
    this.out =
      append?.shadowSize != null && shadowCanSwap(output)
        ? new ShadowAppend(output, append.previousOutput.size, append.shadowSize)
        : new AtomicFile(output, append ? output : undefined);
    if (!append) this.out.write(PROFILE_HEADER);
  }

  /** The rows of a flush, and their sidecar columns. */
  write(rows: WrittenRows): void {
    if (rows.count) this.out.writeBytes(rows.bytes);
    this.side.addAll(rows);
  }

  /** Finish the file and the sidecar, for the commit step. */
  finish(): WrittenProfile {
    const { out, output, mode } = this;
    let written: string; // where the profile's bytes are now (a rename keeps size and mtime, which the sidecar records)
    if (out instanceof ShadowAppend) {
      this.left.swap = out.detach();
      written = out.shadow;
    } else {
      const profile = out.detach();
      this.left.pending = mode.extract ? [profile] : [profile, startShadow(profile)];
      written = profile.temp;
    }
    const side = this.side.view();
    const fresh = { start: side.start, end: side.end, MW_net: side.mwNet, MVA_net: side.mvaNet };
    // an append adds its rows to the sidecar in place (dropping one that no longer matches); a new profile's
    // sidecar waits as a temp, to be put in place with the profile or dropped with it
    if (mode.append) appendColumnCache(output, mode.append.previousOutput, fresh, written);
    else if (!mode.extract) {
      const cache = startColumnCache(output, fresh, written);
      if (cache) this.left.pendingCache = cache;
    }
    return this.left;
  }

  /** Drop what was written (a shadow written to is no longer what the manifest records: it is not trusted again). */
  abort(): void {
    this.out.abort();
    for (const f of [...(this.left.pending ?? []), ...(this.left.pendingCache ? [this.left.pendingCache] : [])])
      fs.rmSync(f.temp, { force: true });
    this.left = {};
  }
}
