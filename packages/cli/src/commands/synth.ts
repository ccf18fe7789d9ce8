import fs from 'node:fs';
import path from 'node:path';
import { LptError, parseDuration } from '@lptool/core';
import { synthBess, synthSite } from '@lptool/synth';
import type { CommandResult, Io } from '../output.js';

function count(v: unknown, flag: string, min = 0): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < min)
    throw new LptError('LPT_USAGE', `${flag} — expected a whole number ≥ ${min}, got ${JSON.stringify(v)}`, {
      key: flag,
    });
  return n;
}

function emptyTarget(out: string): string {
  const dir = path.resolve(out);
  if (fs.existsSync(dir) && fs.readdirSync(dir).length)
    throw new LptError('LPT_USAGE', `--out — expected a new or empty folder, got ${dir} with files in it`, {
      key: '--out',
    });
  return dir;
}

export async function site(_a: string[], o: Record<string, unknown>, _io: Io): Promise<CommandResult> {
  const out = emptyTarget(String(o.out));
  const t = performance.now();
  const m = synthSite({
    out,
    meters: count(o.meters, '--meters', 1),
    days: count(o.days, '--days', 1),
    start: String(o.start),
    tz: String(o.tz),
    clock: o.clock as 'legal' | 'standard',
    seed: count(o.seed, '--seed'),
    fileDays: count(o.fileDays, '--file-days', 1),
    intervalMs: parseDuration(String(o.interval), '--interval'),
    gaps: count(o.gaps, '--gaps'),
    sequenceErrors: count(o.sequenceErrors, '--sequence-errors'),
    duplicates: count(o.duplicates, '--duplicates'),
    overlaps: count(o.overlaps, '--overlaps'),
  });
  const f = m.faults;
  const text = `synth site ${out}: ${m.meters.length} meters, ${m.files} export files, ${m.rows} rows in _dropbox/KW/ (${((performance.now() - t) / 1000).toFixed(1)} s); faults: ${f.gaps.length} gaps, ${f.sequenceErrors.length} sequence errors, ${f.duplicates.length} duplicates, ${f.overlaps.length} overlaps — see synth-manifest.json`;
  return { exitCode: 0, text, json: m };
}

export async function bess(_a: string[], o: Record<string, unknown>, _io: Io): Promise<CommandResult> {
  const out = emptyTarget(String(o.out));
  const t = performance.now();
  const r = synthBess({
    out,
    inverters: count(o.inverters, '--inverters', 1),
    days: count(o.days, '--days', 1),
    start: String(o.start),
    tz: String(o.tz),
    stepMs: parseDuration(String(o.step), '--step'),
    extraColumns: count(o.extraColumns, '--extra-columns'),
    format: o.format as 'csv' | 'parquet',
    seed: count(o.seed, '--seed'),
  });
  const text = `synth bess ${out}: ${r.columns} columns × ${r.rows} rows → ${path.basename(r.file)} (${(fs.statSync(r.file).size / 1e6).toFixed(1)} MB), ${path.basename(r.config)} (${((performance.now() - t) / 1000).toFixed(1)} s)`;
  return { exitCode: 0, text, json: r };
}
