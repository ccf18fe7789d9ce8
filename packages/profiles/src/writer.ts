import fs from 'node:fs';
import { formatMicros } from '@lptool/core';
import { AtomicFile, csvField, type PendingFile } from '@lptool/io';
import { PROFILE_COLUMNS } from './columns.js';
import { type PendingSwap, ShadowAppend, startShadowCopy } from './shadow.js';
import { appendColumnCache, type PendingCache, startColumnCache } from './sidecar.js';

/** The header line of lp/<name>.csv. */
export const PROFILE_HEADER = `${PROFILE_COLUMNS.join(',')}\n`;

/** One row's fields as build has them: the export's text, the derived values in millionths. */
export interface ProfileRow {
  start: string;
  end: string;
  /** The meter id, already a CSV field (`csvField`): it is the same on every row. */
  meterField: string;
  record: string;
  event: string;
  /** kw_del, kw_rec, kva_del, kva_rec as the export wrote them (trimmed decimal numbers). */
  readings: readonly [string, string, string, string];
  /** MW_del, MW_rec, MVA_del, MVA_rec, MW_net, MVA_net in millionths, at `micros[at … at + 5]`. */
  micros: Float64Array;
  at: number;
  pf: string;
}

/** One line of lp/<name>.csv (SPEC §4), in PROFILE_COLUMNS order, with its `\n`. */
export function profileLine(r: ProfileRow): string {
  const m = r.micros;
  const o = r.at;
  const [kwDel, kwRec, kvaDel, kvaRec] = r.readings;
  return `${r.start},${r.end},${r.meterField},${csvField(r.record)},${csvField(r.event)},${kwDel},${kwRec},${kvaDel},${kvaRec},${formatMicros(m[o]!)},${formatMicros(m[o + 1]!)},${formatMicros(m[o + 2]!)},${formatMicros(m[o + 3]!)},${formatMicros(m[o + 4]!)},${formatMicros(m[o + 5]!)},${r.pf}\n`;
}

/** The columns lp/.cache/<name>.bin keeps of each row (instants; MW_net, MVA_net in millionths). */
export interface SidecarRows {
  start: number[];
  end: number[];
  mwNet: number[];
  mvaNet: number[];
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
 * Writes one profile without replacing anything: a full profile to a temp beside it (with a copy to be its
 * next shadow), an append to the end of its shadow (or to a copy of it when it has no trusted shadow), and
 * the sidecar's rows. `finish` leaves all of it for the commit step (`commitProfiles`), which puts
 * profiles, shadows and sidecars in place together; `abort` drops it.
 */
export class ProfileWriter {
  private readonly out: AtomicFile | ShadowAppend;
  private readonly side: SidecarRows = { start: [], end: [], mwNet: [], mvaNet: [] };
  private left: WrittenProfile = {};

  constructor(
    readonly output: string,
    private readonly mode: WriteMode,
  ) {
    const append = mode.append;
    this.out =
      append?.shadowSize != null
        ? new ShadowAppend(output, append.previousOutput.size, append.shadowSize)
        : new AtomicFile(output, append ? output : undefined);
    if (!append) this.out.write(PROFILE_HEADER);
  }

  /** Rows, and their sidecar columns. */
  write(lines: readonly string[], side: SidecarRows): void {
    const { out, side: all } = this;
    for (let i = 0; i < lines.length; i++) out.write(lines[i]!);
    for (let i = 0; i < side.start.length; i++) {
      all.start.push(side.start[i]!);
      all.end.push(side.end[i]!);
      all.mwNet.push(side.mwNet[i]!);
      all.mvaNet.push(side.mvaNet[i]!);
    }
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
      this.left.pending = mode.extract ? [profile] : [profile, startShadowCopy(profile)];
      written = profile.temp;
    }
    const fresh = {
      start: Float64Array.from(this.side.start),
      end: Float64Array.from(this.side.end),
      MW_net: Float64Array.from(this.side.mwNet),
      MVA_net: Float64Array.from(this.side.mvaNet),
    };
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
