/**
 * `lptool run`: sort → build → merge → gaps (→ bess when the site has a bess.yaml, → report with --report) in one
 * process under one lock —
 * the line cron calls. The steps are the commands' own functions with the CLI's defaults (`optionsOf`), each opened
 * `within` the run's site: one settings load (one zone warning), one lock, which no step takes again. One summary;
 * the exit code is the worst of the steps'.
 */
import fs from 'node:fs';
import path from 'node:path';
import { type BessOptions, bess, bessUpToDate } from '@lptool/bess';
import { ExitCode, isLptError, LptError } from '@lptool/core';
import { type GapsOptions, type GapsSummary, gaps, gapsProblems } from '@lptool/gaps';
import { type Logger, openSite, requireMeterData, type Site, type SiteOptions } from '@lptool/io';
import { type MergeOptions, type MergeSummary, merge } from '@lptool/merge';
import { type BuildOptions, type BuildSummary, build, buildProblems } from '@lptool/profiles';
import type { ReportOptions } from '@lptool/report';
import { type SortOptions, type SortSummary, sort, sortProblems } from '@lptool/sort';
import { optionsOf } from '../commands.js';
import { type CommandResult, errorForLog, type Io, progressFor } from '../output.js';

export interface RunOptions extends SiteOptions {
  settleMs: number;
  lockWaitMs: number;
  /** A bess.yaml to run after gaps; default: bess.yaml, else bess/bess.yaml of the root, when there. */
  bessConfig?: string | undefined;
  /** Refresh the HTML report (lp/report/ of the root) after the pipeline. */
  report?: boolean | undefined;
}

type StepName = 'sort' | 'build' | 'merge' | 'gaps' | 'bess' | 'report';

/** What became of one step: its exit code and summary, or why it did not run, or the error that stopped it. */
export interface StepOutcome {
  step: StepName;
  exitCode: number;
  /** One line for the run's summary. */
  line: string;
  /** Set when the step did not run (nothing changed for it, not configured, an earlier step failed). */
  skipped?: string;
  error?: { code: string; message: string };
  summary?: unknown;
}

/** What the steps after one need of it. */
interface RunState {
  site: Site;
  options: RunOptions;
  io: Io;
  problems: string[];
  warnings: string[];
  /** Profiles this run wrote (built or appended), and whether lp/all.csv was rewritten: what gaps checks. */
  changed: string[];
  totalRewritten: boolean;
  /** Something the report shows changed in this run: an export sorted, a profile or the total written, bess run. */
  siteChanged: boolean;
}

type StepFn = (s: RunState) => Promise<{ exitCode: number; line: string; summary: unknown; skipped?: string }>;

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

/** The steps' options: the CLI's defaults for the site's flags, opened within the run's site. */
function stepOptions<O>(name: string, s: RunState, flags: Record<string, unknown> = {}, args?: unknown): O {
  const { root, tz, clock, interval } = s.options;
  const site = { root, ...(tz ? { tz } : {}), ...(clock ? { clock } : {}), ...(interval ? { interval } : {}) };
  return { ...optionsOf<O>(name, { ...site, ...flags }, args), env: s.options.env, within: s.site };
}

async function sortStep(s: RunState) {
  const progress = progressFor(s.io, 'sort', 'files');
  const o = stepOptions<SortOptions>('sort', s, {});
  let r: SortSummary;
  try {
    r = await sort({ ...o, settleMs: s.options.settleMs, onProgress: (d, n) => progress.update(d, n) });
  } finally {
    progress.finish();
  }
  s.problems.push(...sortProblems(r));
  const c = r.counts;
  if (c.archived + c.error + c.duplicate + c.failed > 0) s.siteChanged = true;
  const waiting = c.settling ? `, ${c.settling} still being written` : '';
  const line =
    c.archived + c.error + c.duplicate + c.failed === 0
      ? `nothing to sort${waiting}`
      : `${c.archived} archived, ${c.error} rejected, ${plural(c.duplicate, 'duplicate')}${c.failed ? `, ${c.failed} left in place` : ''}${waiting}`;
  return { exitCode: r.exitCode, line, summary: r };
}

async function buildStep(s: RunState) {
  const progress = progressFor(s.io, 'build', 'meters');
  let r: BuildSummary;
  try {
    const o = stepOptions<BuildOptions>('build', s);
    r = await build({ ...o, onProgress: (d, n, rows) => progress.update(d, n, rows) });
  } finally {
    progress.finish();
  }
  s.problems.push(...buildProblems(r));
  const by = (st: string) => r.meters.filter((m) => m.status === st);
  s.changed = [...by('built'), ...by('appended')].map((m) => path.join(s.site.layout.lp, `${m.name}.csv`));
  if (s.changed.length || r.conflicts.length || r.badRows.length) s.siteChanged = true;
  const parts = [
    ...(['built', 'appended', 'failed', 'kept'] as const).map((st) => (by(st).length ? `${by(st).length} ${st}` : '')),
    `${by('up-to-date').length} up to date`,
    r.conflicts.length ? plural(r.conflicts.length, 'conflict') : '',
    r.badRows.length ? plural(r.badRows.length, 'bad row') : '',
  ].filter(Boolean);
  return { exitCode: r.exitCode, line: `${plural(r.meters.length, 'profile')}: ${parts.join(', ')}`, summary: r };
}

async function mergeStep(s: RunState) {
  const r: MergeSummary = await merge(stepOptions<MergeOptions>('merge', s));
  s.warnings.push(...r.warnings);
  s.totalRewritten = !r.unchanged;
  if (s.totalRewritten) s.siteChanged = true;
  const line = r.unchanged
    ? `${r.output} unchanged`
    : `${r.output} written: ${r.rows} intervals, ${r.incomplete} incomplete`;
  // a feeder that stopped (or is late) leaves the newest intervals partial: said once, for the intervals this run added
  const p = r.partialEnd;
  if (!p) return { exitCode: r.exitCode, line, summary: r };
  const who = p.missing.map((m) => `${m.name} (${m.last ? `its data stops at ${m.last}` : 'its profile has no rows'})`);
  s.problems.push(`${r.output}: ${plural(p.intervals, 'interval')} at the end without ${who.join(', ')}`);
  return { exitCode: Math.max(r.exitCode, ExitCode.flagged), line, summary: r };
}

/** Gaps in what this run wrote (new data); profiles left as they were were checked when they were written. */
async function gapsStep(s: RunState) {
  const files = [...s.changed, ...(s.totalRewritten ? [path.join(s.site.layout.lp, 'all.csv')] : [])];
  if (!files.length) return { exitCode: 0, line: 'no new data to check', summary: null, skipped: 'nothing changed' };
  const r: GapsSummary = await gaps(stepOptions<GapsOptions>('gaps', s, { failOnGaps: true }, files));
  // named as in the site (lp/north.csv), wherever cron runs from
  const root = s.site.layout.root;
  const inSite = r.profiles.map((p) => ({ ...p, file: path.relative(root, path.resolve(p.file)) }));
  s.problems.push(...gapsProblems({ ...r, profiles: inSite }));
  const found = r.profiles.reduce((n, p) => n + p.gaps.length, 0);
  const odd = r.profiles.reduce((n, p) => n + p.duplicates.length + p.outOfOrder.length, 0);
  const line = `${plural(found, 'gap')}${odd ? `, ${odd} duplicate or out-of-order rows` : ''} in ${plural(r.profiles.length, 'profile')} checked`;
  return { exitCode: r.exitCode, line, summary: r };
}

/** The bess.yaml of a run: --bess, else bess.yaml or bess/bess.yaml of the root, when there. */
export function findBessConfig(root: string, given: string | undefined): string | null {
  if (given) {
    if (!fs.existsSync(given))
      throw new LptError('LPT_USAGE', `--bess — expected a bess.yaml, got ${given} (no such file)`, { key: '--bess' });
    return path.resolve(given);
  }
  return ['bess.yaml', 'bess/bess.yaml'].map((f) => path.join(root, f)).find((f) => fs.existsSync(f)) ?? null;
}

async function bessStep(s: RunState) {
  const config = findBessConfig(s.site.layout.root, s.options.bessConfig);
  if (!config) return { exitCode: 0, line: 'not configured', summary: null, skipped: 'no bess.yaml' };
  if (await bessUpToDate(config))
    return { exitCode: 0, line: 'outputs up to date', summary: null, skipped: 'telemetry unchanged' };
  const progress = progressFor(s.io, 'bess', 'files');
  try {
    const o = optionsOf<BessOptions>('bess', { config });
    const r = await bess({ ...o, onProgress: (d, n, rows) => progress.update(d, n, rows) });
    s.problems.push(...r.warnings.map((w) => `bess: ${w}`));
    s.siteChanged = true;
    return { exitCode: r.exitCode, line: `${r.enclosures} enclosures, ${r.days} days`, summary: r };
  } finally {
    progress.finish();
  }
}

/**
 * The HTML report (--report): refreshed when this run changed something it shows, or when there is none yet. The
 * report package is loaded only here (it stays outside the CLI bundle: it copies vega's browser builds).
 */
async function reportStep(s: RunState) {
  const index = path.join(s.site.layout.lp, 'report', 'index.html');
  if (!s.siteChanged && fs.existsSync(index))
    return { exitCode: 0, line: 'up to date', summary: null, skipped: 'nothing changed' };
  const { report } = await import('@lptool/report');
  const bessConfig = findBessConfig(s.site.layout.root, s.options.bessConfig) ?? undefined;
  const r = await report({ ...stepOptions<ReportOptions>('report', s), bessConfig });
  const out = path.relative(s.site.layout.root, r.index) || r.index;
  return { exitCode: r.exitCode, line: `${out} written`, summary: r };
}

const STEPS: [StepName, StepFn][] = [
  ['sort', sortStep],
  ['build', buildStep],
  ['merge', mergeStep],
  ['gaps', gapsStep],
  ['bess', bessStep],
  ['report', reportStep],
];

/** Each step in turn; one that fails (exit 2 or 3) is named and stops the ones after it, which depend on it. */
async function runSteps(state: RunState, log: Logger): Promise<StepOutcome[]> {
  const outcomes: StepOutcome[] = [];
  let stopped: StepName | null = null;
  for (const [step, fn] of STEPS.filter(([name]) => name !== 'report' || state.options.report)) {
    if (stopped) {
      outcomes.push({ step, exitCode: 0, line: `not run (${stopped} failed)`, skipped: `${stopped} failed` });
      continue;
    }
    try {
      const r = await fn(state);
      outcomes.push({ step, ...r });
    } catch (e) {
      const error = errorForLog(e);
      const exitCode = isLptError(e) ? e.exitCode : ExitCode.internal;
      state.problems.push(`${step}: ${isLptError(e) ? e.toLine() : `${error.code}: ${error.message}`}`);
      outcomes.push({ step, exitCode, line: `failed (${error.code}, exit ${exitCode})`, error });
      if (exitCode >= ExitCode.usage) stopped = step;
    }
    const last = outcomes[outcomes.length - 1]!;
    log.info({ event: 'step', step, exitCode: last.exitCode, skipped: last.skipped, error: last.error }, last.line);
  }
  return outcomes;
}

/** `lptool run` on a site: the steps under one lock, one summary. */
export async function run(options: RunOptions, io: Io): Promise<CommandResult> {
  const t0 = performance.now();
  const site = openSite(options, ['dropbox', 'archive', 'lp', 'logs']);
  requireMeterData(site.layout); // before sort moves anything: build would stop on it
  const state: RunState = {
    site,
    options,
    io,
    problems: [],
    warnings: [],
    changed: [],
    totalRewritten: false,
    siteChanged: false,
  };
  const steps = await site.locked({ command: 'run', logs: ['run'], lockWaitMs: options.lockWaitMs }, async ([log]) => {
    log!.info({ event: 'start', root: site.layout.root }, 'run started');
    const outcomes = await runSteps(state, log!);
    const exitCode = Math.max(...outcomes.map((o) => o.exitCode));
    log!.info({ event: 'end', exitCode, steps: outcomes.map((o) => [o.step, o.exitCode]) }, 'run finished');
    return outcomes;
  });
  const exitCode = Math.max(...steps.map((o) => o.exitCode)) as ExitCode;
  const durationMs = Math.round(performance.now() - t0);
  const text = formatRun(site.layout.root, steps, durationMs, io.mode?.verbose ?? false);
  const json = { command: 'run', schema: 1, root: site.layout.root, exitCode, durationMs, steps };
  return { exitCode, text, json, problems: state.problems, warnings: state.warnings };
}

/** One line: each step's outcome (with --verbose, a line per step with why it was skipped). */
export function formatRun(root: string, steps: StepOutcome[], durationMs: number, verbose: boolean): string {
  const head = `run ${root}: exit ${Math.max(...steps.map((s) => s.exitCode))} in ${(durationMs / 1000).toFixed(1)} s`;
  if (verbose)
    return [
      head,
      ...steps.map(
        (s) => `  ${s.step.padEnd(6)} exit ${s.exitCode}  ${s.line}${s.skipped ? ` (skipped: ${s.skipped})` : ''}`,
      ),
    ].join('\n');
  return `${head} — ${steps.map((s) => `${s.step}: ${s.line}`).join(' · ')}`;
}
