import fs from 'node:fs';
import path from 'node:path';
import { isTempName } from './atomic.js';
import { peekCsv } from './csv-stream.js';

/**
 * lptool's own outputs that are not load profiles — gap lists, pictures,
 * resampled profiles, stats tables, and the folders they go in — recognised by
 * name and, for CSVs, by header (a stats table can be written anywhere with
 * `--out`). Commands that take profiles skip them with a note, so globs such
 * as `lp/*.csv` keep working after lptool has written beside the profiles.
 */
export type DerivedKind =
  | 'gap list'
  | 'picture'
  | 'resampled profile'
  | 'stats table'
  | 'output folder'
  | 'internal file';

/** Folders lptool writes beside profiles (`resample`'s default output, `stats --png`, `report`). */
const OUTPUT_FOLDERS = new Set(['resampled', 'stats', 'report']);

/**
 * lptool's own bookkeeping: `lp/.cache/` (sidecars, profile shadows), the build manifest, the lock and the
 * hash store with its journal — never a profile, never to be read as one or written beside.
 */
const INTERNAL_FOLDER = '.cache';
const INTERNAL_FILES = new Set([
  '.build-manifest.json',
  '.lptool.lock',
  '.lptool.lock.takeover',
  '.processed-hashes.json',
  '.processed-hashes.journal',
]);

/**
 * What kind of lptool output a file name alone says it is (`north_gaps.csv`, `north_gaps.png`), or null. Matched
 * without regard to case — and meter names are checked with this very function (a meter whose lp/<name>.csv it
 * would take for an output is refused), so the name rule and the detection cannot disagree.
 */
export function derivedKindOfName(base: string): DerivedKind | null {
  if (/_gaps\.csv$/i.test(base)) return 'gap list';
  if (/\.(png|svg)$/i.test(base) || /\.vl\.json$/i.test(base)) return 'picture';
  if (INTERNAL_FILES.has(base) || /\.csv\.shadow$/i.test(base) || isTempName(base)) return 'internal file';
  return null;
}

/** A CSV file's header names (its head read by the CSV core), or [] when it cannot be read as CSV. */
function headerOf(file: string): string[] {
  try {
    return peekCsv(file, file).header ?? [];
  } catch {
    return [];
  }
}

/** What kind of lptool output a path is, or null for a profile (or anything else: the reader judges that). */
export function derivedKind(file: string): DerivedKind | null {
  const base = path.basename(file);
  const st = fs.statSync(file, { throwIfNoEntry: false });
  const parent = path.basename(path.dirname(path.resolve(file)));
  if (st?.isDirectory())
    return OUTPUT_FOLDERS.has(base) ? 'output folder' : base === INTERNAL_FOLDER ? 'internal file' : null;
  if (parent === INTERNAL_FOLDER) return 'internal file';
  const byName = derivedKindOfName(base);
  if (byName) return byName;
  if (parent === 'resampled') return 'resampled profile';
  if (!st?.isFile() || !/\.csv$/i.test(base)) return null;
  const header = headerOf(file);
  if (header[0] === 'gap_start' && header.includes('missing_intervals')) return 'gap list';
  if (header[0] === 'profile' && header[1] === 'period' && header.includes('completeness_pct')) return 'stats table';
  if (header.includes('intervals_present') && header.includes('intervals_expected')) return 'resampled profile';
  return null;
}

export interface SkippedInput {
  file: string;
  kind: DerivedKind;
}

/** The inputs that may be profiles, and lptool's own outputs among them (skipped). */
export function skipDerived(files: readonly string[]): { files: string[]; skipped: SkippedInput[] } {
  const kept: string[] = [];
  const skipped: SkippedInput[] = [];
  for (const f of files) {
    const kind = derivedKind(f);
    if (kind) skipped.push({ file: f, kind });
    else kept.push(f);
  }
  return { files: kept, skipped };
}

/** One note for what was skipped: `skipped 2 of lptool's own outputs (not profiles): a_gaps.csv, b_gaps.csv (gap list)`. */
export function skippedNote(
  skipped: readonly SkippedInput[],
  show: (file: string) => string = (f) => f,
): string | null {
  if (!skipped.length) return null;
  const kinds = [...new Set(skipped.map((s) => s.kind))];
  const byKind = kinds.map((k) => {
    const files = skipped.filter((s) => s.kind === k).map((s) => show(s.file));
    return `${files.slice(0, 5).join(', ')}${files.length > 5 ? ` and ${files.length - 5} more` : ''} (${k}${files.length > 1 ? 's' : ''})`;
  });
  return `skipped ${skipped.length} of lptool's own output${skipped.length > 1 ? 's' : ''} (not profiles): ${byKind.join('; ')}`;
}
