import { age, DEFAULT_THRESHOLDS, diagnose, type Finding, type SiteFacts } from './diagnose.js';
import { type GatherOptions, gatherFacts } from './facts.js';

export interface DoctorOptions extends Omit<GatherOptions, 'settleMs'> {
  /** sort's --settle: files modified this recently wait for the next run. */
  settleMs: number;
  /** A dropbox export waiting longer than this is a backlog. */
  backlogMs: number;
  /** A profile whose last interval ends more than this before the latest profile's has stopped. */
  staleMs: number;
}

export interface DoctorSummary {
  root: string;
  healthy: boolean;
  findings: Finding[];
  facts: SiteFacts;
  exitCode: 0 | 1;
}

/** `lptool doctor`: the site's facts, and what is unhealthy with the command that fixes it. Exit 1 if anything is. */
export function doctor(options: DoctorOptions): DoctorSummary {
  const facts = gatherFacts(options);
  const findings = diagnose(facts, {
    ...DEFAULT_THRESHOLDS,
    backlogMs: options.backlogMs,
    staleMs: options.staleMs,
  });
  return { root: facts.root, healthy: findings.length === 0, findings, facts, exitCode: findings.length ? 1 : 0 };
}

const MB = 1024 * 1024;
function size(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < MB) return `${(bytes / 1024).toFixed(1)} kB`;
  if (bytes < 1024 * MB) return `${(bytes / MB).toFixed(1)} MB`;
  return `${(bytes / 1024 / MB).toFixed(1)} GB`;
}
const n = (x: number) => x.toLocaleString('en-US');
const took = (ms: number | null) => (ms === null ? '' : ms < 1000 ? `${ms} ms` : `${(ms / 1000).toFixed(1)} s`);

function settingsLines(f: SiteFacts): string[] {
  const out = [`site      ${f.root}${f.rootExists ? '' : ' (missing)'}`];
  if (!f.settings.ok) out.push(`settings  ${f.settings.error}`);
  else {
    const s = f.settings;
    out.push(`timezone  ${s.timezone} (${s.sources.timezone})`);
    out.push(`clock     ${s.clock} (${s.sources.clock})`);
    out.push(`interval  ${s.interval} (${s.sources.interval})`);
  }
  if (!('error' in f.lockTiming))
    out.push(
      `locks     heartbeat ${age(f.lockTiming.refreshMs)}, another host's lock stale after ${age(f.lockTiming.staleMs)} (${f.lockTiming.source})`,
    );
  const md = f.meterData;
  out.push(
    `meters    ${md.state === 'ok' ? `${n(md.meters)} in meter-data.csv` : md.state === 'invalid' ? md.error : `meter-data.csv ${md.state}`}`,
  );
  return out;
}

function lockLine(f: SiteFacts): string {
  const { lock } = f;
  if (lock.state === 'free') return 'lock      free';
  if (lock.state === 'invalid') return `lock      not lptool's: ${lock.reason}`;
  const h = lock.holder;
  const who = h ? `pid ${h.pid}${h.thisHost ? '' : ` on ${h.host}`} (${h.command}, since ${h.since})` : 'unreadable';
  const beat = lock.ageMs === null ? '' : `, written ${age(lock.ageMs)} ago`;
  return `lock      ${lock.state === 'held' ? 'held' : 'STALE'} by ${who}${beat}${lock.state === 'held' ? ' — alive' : ` — ${lock.reason}`}`;
}

function dropboxLines(f: SiteFacts): string[] {
  const d = f.dropbox;
  if (!d.exists) return ['dropbox   _dropbox/KW/ missing'];
  const parts = [
    d.files ? `${n(d.files)} to sort (${size(d.bytes)}, oldest ${age(f.now - d.oldestAt!)})` : 'empty',
    ...(d.settling ? [`${n(d.settling)} still being written (--settle ${age(d.settleMs)})`] : []),
    ...(d.aside.length ? [`${n(d.aside.length)} never taken in`] : []),
  ];
  const recent = f.rejects.recent.filter((r) => f.now - r.at <= DEFAULT_THRESHOLDS.rejectWindowMs).length;
  return [
    `dropbox   ${parts.join('; ')}`,
    `rejects   ${n(recent)} in the last 24h (${n(f.rejects.total)} in data/KW/ERROR/)`,
  ];
}

function runLines(f: SiteFacts): string[] {
  const out = ['last runs'];
  for (const r of f.runs) {
    const l = r.last;
    const what = !l
      ? 'none logged'
      : l.event === 'start'
        ? `started ${l.at}, no end (running, or killed)`
        : `${l.at} (${age(f.now - Date.parse(l.at))} ago)  exit ${l.exitCode ?? '?'}  ${took(l.durationMs)}${l.error ? `  ${l.error.code}` : ''}`;
    out.push(`  ${r.command.padEnd(16)}${what.trimEnd()}`);
  }
  return out;
}

function profileLines(f: SiteFacts): string[] {
  const out = [`profiles (${f.profiles.length}; range of each, rows, state)`];
  const width = Math.max('lp/all.csv'.length, ...f.profiles.map((p) => p.file.length)) + 2;
  for (const p of f.profiles) {
    const range = p.first && p.last ? `${p.first} … ${p.last}` : p.exists ? 'no rows' : 'not built yet';
    const rows = p.rows === null ? '' : `  ${n(p.rows)} rows`;
    const state = p.pending
      ? `${n(p.pending)} archived file${p.pending === 1 ? '' : 's'} not built`
      : p.touched
        ? 'changed since its build'
        : p.exists
          ? 'up to date'
          : 'no archived data';
    out.push(`  ${p.file.padEnd(width)}${range}${rows}  ${state}`);
  }
  const t = f.total;
  const total = !t.exists
    ? 'none'
    : `${t.first ?? '?'} … ${t.last ?? '?'}  ${t.olderThan.length ? `older than ${n(t.olderThan.length)} profile(s)` : 'up to date'}`;
  out.push(`  ${'lp/all.csv'.padEnd(width)}${total}`);
  return out;
}

function diskLine(f: SiteFacts): string {
  const d = f.disk;
  const cache = `lp/.cache ${size(d.shadows + d.sidecars + d.otherCache)} (shadows ${size(d.shadows)}, sidecars ${size(d.sidecars)})`;
  const free = d.free === null ? '' : `; ${size(d.free)} free`;
  return `disk      profiles ${size(d.profiles)}; ${cache}; other lp/ outputs ${size(d.otherOutputs)}; archive ${size(d.archive)} (${n(d.archiveFiles)} files); logs ${size(d.logs)}${free}`;
}

/** The report for people: the site's state, then what is wrong with how to fix it. */
export function formatDoctorSummary(s: DoctorSummary): string {
  const f = s.facts;
  const lines = [...settingsLines(f)];
  if (f.rootExists) lines.push(lockLine(f), ...dropboxLines(f), ...runLines(f), ...profileLines(f), diskLine(f));
  lines.push('');
  if (s.healthy) lines.push('healthy: nothing needs attention');
  else {
    lines.push(`${s.findings.length} problem${s.findings.length === 1 ? '' : 's'}:`);
    for (const x of s.findings) lines.push(`  - ${x.problem}`, `    fix: ${x.fix}`);
  }
  return `${lines.join('\n')}\n`;
}
