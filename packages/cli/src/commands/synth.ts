import fs from 'node:fs';
import path from 'node:path';
import { LptError } from '@lptool/core';
import { type BessSynthOptions, type SiteSynthOptions, synthBess, synthSite } from '@lptool/synth';
import type { CommandResult } from '../output.js';

/** --out: a new or empty folder (two sites in one folder would mix). */
function emptyTarget(out: string): string {
  const dir = path.resolve(out);
  if (fs.existsSync(dir) && fs.readdirSync(dir).length)
    throw new LptError('LPT_USAGE', `--out — expected a new or empty folder, got ${dir} with files in it`, {
      key: '--out',
    });
  return dir;
}

const seconds = (since: number) => ((performance.now() - since) / 1000).toFixed(1);

export async function site(o: SiteSynthOptions): Promise<CommandResult> {
  const out = emptyTarget(o.out);
  const t = performance.now();
  const m = synthSite({ ...o, out });
  const f = m.faults;
  const text = `synth site ${out}: ${m.meters.length} meters, ${m.files} export files, ${m.rows} rows in _dropbox/KW/ (${seconds(t)} s); faults: ${f.gaps.length} gaps, ${f.sequenceErrors.length} sequence errors, ${f.duplicates.length} duplicates, ${f.overlaps.length} overlaps — see synth-manifest.json`;
  return { exitCode: 0, text, json: m };
}

export async function bess(o: BessSynthOptions): Promise<CommandResult> {
  const out = emptyTarget(o.out);
  const t = performance.now();
  const r = synthBess({ ...o, out });
  const text = `synth bess ${out}: ${r.columns} columns × ${r.rows} rows → ${path.basename(r.file)} (${(fs.statSync(r.file).size / 1e6).toFixed(1)} MB), ${path.basename(r.config)} (${seconds(t)} s)`;
  return { exitCode: 0, text, json: r };
}
