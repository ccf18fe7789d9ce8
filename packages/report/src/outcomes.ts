/**
 * What sort and build left behind for people to look at: rejects (the JSON
 * sidecars beside data/KW/ERROR/*.csv), re-deliveries and the last sort run
 * (logs/dropbox.log), overlapping exports that disagreed (logs/build.log).
 * Log lines are pino JSON; collectors take them one at a time (`push`) so a
 * log of any length streams through. Pure: no fs.
 */

export interface Reject {
  /** Site-relative path of the rejected file, data/KW/ERROR/<stem>_<REASON>.csv. */
  file: string;
  /** Its name in the dropbox. */
  source: string;
  reason: string;
  code: string;
  message: string;
  /** The rows named, first few. */
  rows: { line: number; message: string }[];
  rowsTotal: number;
  /** When sort rejected it (ISO, UTC). */
  at: string;
}

/** One ERROR sidecar (as parsed JSON) → a reject row; a sidecar that is not an object gives a row saying so. */
export function rejectFromSidecar(file: string, sidecar: unknown): Reject {
  const s = (sidecar && typeof sidecar === 'object' ? sidecar : {}) as Record<string, unknown>;
  const text = (v: unknown, d = '') => (typeof v === 'string' ? v : d);
  const rows = Array.isArray(s.rows) ? (s.rows as { line?: unknown; message?: unknown }[]) : [];
  return {
    file,
    source: text(s.file, file.split('/').pop()),
    reason: text(s.reason, 'UNKNOWN'),
    code: text(s.code),
    message: text(s.message, 'the sidecar is not lptool JSON'),
    rows: rows.slice(0, 5).map((r) => ({ line: Number(r.line) || 0, message: text(r.message) })),
    rowsTotal: rows.length,
    at: text(s.at),
  };
}

/** Newest first, then by file. */
export function byTimeDesc<T extends { at: string; file: string }>(a: T, b: T): number {
  return a.at < b.at ? 1 : a.at > b.at ? -1 : a.file < b.file ? -1 : a.file > b.file ? 1 : 0;
}

function parseLine(line: string): Record<string, unknown> | null {
  try {
    const v = JSON.parse(line) as unknown;
    return v && typeof v === 'object' ? (v as Record<string, unknown>) : null;
  } catch {
    return null; // a torn last line of a killed run
  }
}

export interface Duplicate {
  /** Name in the dropbox, where it went (data/KW/DUPLICATE/…) and the file it repeats. */
  file: string;
  dest: string;
  original: string;
  at: string;
}

export interface SortRun {
  at: string;
  counts: Record<string, number>;
  errorsByReason: Record<string, number>;
}

/** logs/dropbox.log → every duplicate and the last finished run. */
export class SortLogCollector {
  private readonly duplicates: Duplicate[] = [];
  private lastRun: SortRun | null = null;

  push(line: string): void {
    // most lines are archived files: skip them before parsing
    if (!line.includes('"event":"duplicate"') && !line.includes('"event":"end"')) return;
    const e = parseLine(line);
    if (!e) return;
    const at = String(e.time ?? '');
    if (e.event === 'duplicate')
      this.duplicates.push({
        file: String(e.file ?? ''),
        dest: String(e.dest ?? ''),
        original: String(e.original ?? ''),
        at,
      });
    else if (e.event === 'end' && e.counts && typeof e.counts === 'object')
      this.lastRun = {
        at,
        counts: e.counts as Record<string, number>,
        errorsByReason: (e.errorsByReason ?? {}) as Record<string, number>,
      };
  }

  result(): { duplicates: Duplicate[]; lastRun: SortRun | null } {
    return { duplicates: [...this.duplicates].sort(byTimeDesc), lastRun: this.lastRun };
  }
}

export interface ConflictRow {
  meter: string;
  /** Interval start, ISO local with offset. */
  start: string;
  kept: { file: string; line: number; values: string };
  dropped: { file: string; line: number; values: string };
  /** When it was last logged. */
  at: string;
}

/**
 * logs/build.log → the conflicts that still stand. Each full build of a meter
 * logs its conflicts again, an append logs none (it only happens when nothing
 * overlaps); so a conflict is kept once, with its latest time, and only while
 * both exports are still in the archive (`inArchive`): build resolves the same
 * two files the same way every time.
 */
export class ConflictCollector {
  private readonly byKey = new Map<string, ConflictRow>();

  constructor(private readonly inArchive: (file: string) => boolean) {}

  push(line: string): void {
    if (!line.includes('"event":"conflict"')) return;
    const e = parseLine(line);
    if (e?.event !== 'conflict') return;
    const side = (v: unknown) => {
      const o = (v && typeof v === 'object' ? v : {}) as Record<string, unknown>;
      return { file: String(o.file ?? ''), line: Number(o.line) || 0, values: String(o.values ?? '') };
    };
    const c: ConflictRow = {
      meter: String(e.meter ?? ''),
      start: String(e.start ?? ''),
      kept: side(e.kept),
      dropped: side(e.dropped),
      at: String(e.time ?? ''),
    };
    this.byKey.set(`${c.meter}\n${c.start}\n${c.kept.file}\n${c.dropped.file}`, c);
  }

  /** Standing conflicts by meter and interval. */
  result(): ConflictRow[] {
    return [...this.byKey.values()]
      .filter((c) => this.inArchive(c.kept.file) && this.inArchive(c.dropped.file))
      .sort((a, b) => (a.meter < b.meter ? -1 : a.meter > b.meter ? 1 : Date.parse(a.start) - Date.parse(b.start)));
  }
}
