import type { RejectReason } from '@lptool/archive';
import { escapeFileName } from '@lptool/io';
import type { Outcome } from './hash-store.js';

export interface SortedFile {
  name: string;
  outcome: Outcome | 'would-archive' | 'would-reject' | 'would-duplicate';
  hash: string;
  /** Site-relative destination. */
  dest: string;
  reason?: RejectReason;
  message?: string;
  meter?: string;
  rows?: number;
  first?: string;
  last?: string;
}

export interface SortSummary {
  root: string;
  dryRun: boolean;
  files: SortedFile[];
  counts: { archived: number; error: number; duplicate: number; settling: number; ignored: number; failed: number };
  errorsByReason: Partial<Record<RejectReason, number>>;
  /** Things left alone, with why (symlinks, folders, other names, still being written). */
  skipped: {
    name: string;
    why: string /** still being written (--settle): the next run takes it */;
    settling?: true;
  }[];
  /** Inputs that could not be handled (a name that is not UTF-8, a file that vanished or could not be read): left where they were. */
  failed: { name: string; why: string }[];
  warnings: string[];
  recovered: { recorded: number; forgotten: number; cleanedTemps: number } | null;
  /** Files hashed into a new `.processed-hashes.json` because it was missing while the archive had files. */
  rebuiltStore: number | null;
  exitCode: 0 | 1;
}

export function emptySummary(root: string, dryRun: boolean): SortSummary {
  return {
    root,
    dryRun,
    files: [],
    counts: { archived: 0, error: 0, duplicate: 0, settling: 0, ignored: 0, failed: 0 },
    errorsByReason: {},
    skipped: [],
    failed: [],
    warnings: [],
    recovered: null,
    rebuiltStore: null,
    exitCode: 0,
  };
}

/**
 * The human summary: counts per outcome and what sort did to the store. What needs attention — rejects, files left
 * in place or skipped, warnings — is `sortProblems`' lines, which the CLI writes on stderr in every mode.
 */
export function formatSortSummary(s: SortSummary): string {
  const c = s.counts;
  const verb = s.dryRun ? 'would be ' : '';
  const failed = c.failed ? `, ${c.failed} left in place (could not be handled)` : '';
  const out = [
    `${s.dryRun ? '[dry run] ' : ''}sort ${s.root}: ${c.archived} ${verb}archived, ${c.error} ${verb}rejected, ${c.duplicate} duplicate${c.duplicate === 1 ? '' : 's'}, ${c.settling} still being written, ${c.ignored} ignored${failed}`,
  ];
  if (s.rebuiltStore) out.push(`rebuilt the missing hash store from the archive: ${s.rebuiltStore} files`);
  if (s.recovered)
    out.push(`recovered an interrupted run: ${s.recovered.recorded} moves recorded, ${s.recovered.forgotten} to redo`);
  return out.join('\n');
}

/** Rejects, files left in place or skipped, warnings: a line each (`sort: SEQUENCE-ERROR north.csv → …: why`). */
export function sortProblems(s: SortSummary): string[] {
  const out: string[] = [];
  const dry = s.dryRun ? 'would be ' : '';
  for (const f of s.files)
    if (f.reason) out.push(`${f.reason} ${escapeFileName(f.name)} ${dry}→ ${escapeFileName(f.dest)}: ${f.message}`);
  for (const k of s.failed) out.push(`left in place ${escapeFileName(k.name)}: ${k.why}`);
  for (const k of s.skipped) if (!k.settling) out.push(`skipped ${escapeFileName(k.name)}: ${k.why}`);
  for (const w of s.warnings.slice(0, 20)) out.push(`warning ${w}`);
  if (s.warnings.length > 20) out.push(`… ${s.warnings.length - 20} more warnings in logs/dropbox.log`);
  return out.map((l) => `sort: ${l}`);
}
