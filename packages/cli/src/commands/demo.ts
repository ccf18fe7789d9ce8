import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { type BessOptions, bess } from '@lptool/bess';
import { isLptError, LptError } from '@lptool/core';
import { type GapsOptions, gaps } from '@lptool/gaps';
import { type MergeOptions, merge } from '@lptool/merge';
import { type BuildOptions, build } from '@lptool/profiles';
import { type SortOptions, sort } from '@lptool/sort';
import { applyDeliveryTimes } from '@lptool/synth';
import { optionsOf } from '../commands.js';
import type { CommandResult } from '../output.js';

/** The bundled sample site: three feeders over the 2024 fall-back night with the faults a real dropbox has, and BESS telemetry (bess/). */
export const SAMPLE_SITE = fileURLToPath(new URL('../../../../fixtures/sample-site', import.meta.url));

interface Step {
  step: string;
  exitCode: number;
  lines: string[];
}

/** Runs one step, turning an LptError into its exit code so the demo goes on and shows it. */
async function step(
  name: string,
  steps: Step[],
  fn: () => Promise<{ exitCode: number; lines: string[] }>,
): Promise<void> {
  try {
    const r = await fn();
    steps.push({ step: name, exitCode: r.exitCode, lines: r.lines });
  } catch (e) {
    steps.push({
      step: name,
      exitCode: isLptError(e) ? e.exitCode : 3,
      lines: [isLptError(e) ? e.toLine() : String((e as Error)?.stack ?? e)],
    });
  }
}

/** Copies the sample site to `out` (a new or empty folder) with the delivery times synth recorded. */
function copySample(out: string): void {
  if (fs.existsSync(out) && fs.readdirSync(out).length) {
    throw new LptError(
      'LPT_USAGE',
      `--out — expected a new or empty folder for the demo site, got ${out} with files in it`,
      { key: '--out' },
    );
  }
  fs.cpSync(SAMPLE_SITE, out, { recursive: true });
  // delivery times as synth recorded them (git keeps no mtimes): re-deliveries come after the originals
  const manifest = JSON.parse(fs.readFileSync(path.join(out, 'synth-manifest.json'), 'utf8')) as {
    deliveries: string[];
  };
  applyDeliveryTimes(path.join(out, '_dropbox/KW'), manifest.deliveries);
}

type StepRun = (root: string, pictures: string[]) => Promise<{ exitCode: number; lines: string[] }>;

/** sort → build → merge → gaps --png → bess, each with the options the CLI gives it, and what to show of it. */
const STEPS: [string, StepRun][] = [
  [
    'sort',
    async (root) => {
      const s = await sort(optionsOf<SortOptions>('sort', { root, settle: '0' }));
      const months = [
        ...new Set(s.files.filter((f) => f.outcome === 'archived').map((f) => f.dest.split('/')[2])),
      ].sort();
      return {
        exitCode: s.exitCode,
        lines: [
          `${s.counts.archived} exports archived into data/KW/{${months.join(',')}}, ${s.counts.error} rejected, ${s.counts.duplicate} duplicate`,
          ...s.files.filter((f) => f.reason).map((f) => `rejected ${f.name} → ${f.dest} (+ .json): ${f.message}`),
          ...s.files
            .filter((f) => f.outcome === 'duplicate')
            .map((f) => `duplicate ${f.name} → ${f.dest}: ${f.message}`),
        ],
      };
    },
  ],
  [
    'build',
    async (root) => {
      const b = await build(optionsOf<BuildOptions>('build', { root }));
      const dst = (m: (typeof b.meters)[number]) =>
        m.dstDays.length ? `, DST day ${m.dstDays.map((d) => `${d.date} (${d.intervals} intervals)`).join(', ')}` : '';
      return {
        exitCode: b.exitCode,
        lines: [
          ...b.meters.map((m) => `lp/${m.name}.csv: ${m.rows} rows ${m.first} → ${m.last}${dst(m)}`),
          ...b.conflicts.map(
            (c) => `conflict ${c.start}: kept ${c.kept.file} (${c.kept.values}), dropped ${c.dropped.file}`,
          ),
        ],
      };
    },
  ],
  [
    'merge',
    async (root) => {
      const m = await merge(optionsOf<MergeOptions>('merge', { root }));
      return {
        exitCode: m.exitCode,
        lines: [
          `${m.output}: ${m.rows} intervals of ${m.feeders.length} feeders, ${m.incomplete} incomplete (feeders_reporting < feeders_expected)`,
        ],
      };
    },
  ],
  [
    'gaps --png',
    async (root, pictures) => {
      const g = await gaps(optionsOf<GapsOptions>('gaps', { root, png: true }, []));
      const rel = (p: string) => path.relative(root, path.resolve(root, p));
      return {
        exitCode: g.exitCode,
        lines: g.profiles.map((p) => {
          if (p.picture) pictures.push(path.resolve(p.picture));
          const list = p.gaps.map((x) => `${x.gap_start} → ${x.gap_end} (${x.missing_intervals})`).join('; ');
          // a total that dips by a whole missing feeder is not "0 gaps" and nothing more: its partial runs are listed
          const partial = p.partialRanges.map((r) => `${r.start} → ${r.end} (${r.intervals})`).join('; ');
          return `${rel(p.file)}: ${p.gaps.length} gap${p.gaps.length === 1 ? '' : 's'}${list ? ` — ${list}` : ''}${p.partial ? `; ${p.partial} partial totals (feeders_reporting < feeders_expected) — ${partial}` : ''}`;
        }),
      };
    },
  ],
  [
    'bess',
    async (root, pictures) => {
      const b = await bess(optionsOf<BessOptions>('bess', { config: path.join(root, 'bess/bess.yaml') }));
      pictures.push(path.resolve(b.outputs.heatmap));
      const written = [b.outputs.daily, b.outputs.outliers, b.outputs.summary];
      return {
        exitCode: b.exitCode,
        lines: [
          `${b.inverters} inverters, ${b.inputs} inputs, ${b.enclosures} enclosures, ${b.days} days (${b.timezone}) from ${b.files.length} telemetry files`,
          `wrote ${written.map((p) => path.relative(root, path.resolve(p))).join(', ')}`,
          ...b.warnings,
        ],
      };
    },
  ],
];

export async function run(o: { out: string | undefined }): Promise<CommandResult> {
  const root = o.out ? path.resolve(o.out) : fs.mkdtempSync(path.join(os.tmpdir(), 'lptool-demo-'));
  copySample(root);
  const steps: Step[] = [];
  const pictures: string[] = [];
  for (const [name, fn] of STEPS) await step(name, steps, () => fn(root, pictures));
  const text = [
    `lptool demo: a copy of the bundled sample site (3 feeders over the 2024 fall-back night in America/Los_Angeles; BESS telemetry over the 2024 DST end in Australia/Sydney) in`,
    `  ${root}`,
    '',
    ...steps.flatMap((s, i) => [
      `${i + 1}. lptool ${s.step.padEnd(11)} exit ${s.exitCode}`,
      ...s.lines.map((l) => `     ${l}`),
    ]),
    '',
    'Pictures:',
    ...pictures.map((p) => `  ${p}`),
    '',
    `Logs: ${path.join(root, 'logs')}/*.log · try: lptool gaps ${path.join(root, 'lp/south.csv')} --format vl.json`,
  ].join('\n');
  const crashed = steps.some((s) => s.exitCode === 3);
  return { exitCode: crashed ? 3 : 0, text, json: { root, steps, pictures } };
}
