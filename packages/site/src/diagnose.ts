import { formatShortDuration } from '@lptool/core';

/*
 * `lptool doctor`'s checks: site facts in, findings out. Pure (no fs, no clock: `now` is a fact), so each rule is
 * tested with facts written inline (diagnose.test.ts); facts.ts gathers them from a real site.
 */

export type SettingSource = 'flag' | 'env' | 'lptool.yaml' | 'default';

export interface RunFact {
  /** `sort`, `build`, `merge`, `gaps`, `export parquet`, `export postgres`. */
  command: string;
  /** The log it was read from, e.g. `logs/dropbox.log`. */
  log: string;
  /** The last run's last event: its end, or its start when no end followed (running, or killed). */
  last: {
    event: 'start' | 'end';
    at: string;
    run: string | null;
    pid: number | null;
    exitCode: number | null;
    durationMs: number | null;
    error: { code: string; message: string } | null;
  } | null;
}

export interface ProfileFact {
  name: string;
  meter: string;
  file: string;
  exists: boolean;
  first: string | null;
  last: string | null;
  /** From the build manifest, while the file is as the last build left it. */
  rows: number | null;
  bytes: number;
  builtAt: string | null;
  /** Archived files of this meter that its profile was not built from (new, or changed since). */
  pending: number;
  /** The file was changed since the build that wrote it (the next build rebuilds it in full). */
  touched: boolean;
}

export interface SiteFacts {
  now: number;
  root: string;
  rootExists: boolean;
  settings:
    | {
        ok: true;
        timezone: string;
        clock: string;
        interval: string;
        sources: Record<'timezone' | 'clock' | 'interval', SettingSource>;
      }
    | { ok: false; error: string };
  settingsFile: boolean;
  lockTiming: { refreshMs: number; staleMs: number; source: 'env' | 'default' } | { error: string };
  meterData:
    | { state: 'ok'; meters: number }
    | { state: 'missing' }
    | { state: 'empty' }
    | { state: 'invalid'; error: string };
  lock: {
    state: 'free' | 'held' | 'stale' | 'invalid';
    holder: { pid: number; host: string; command: string; since: string; thisHost: boolean } | null;
    ageMs: number | null;
    reason: string | null;
  };
  dropbox: {
    exists: boolean;
    /** Exports sort would take in now. */
    files: number;
    bytes: number;
    /** When the oldest of them arrived (its ctime: the time it was written or moved there). */
    oldestAt: number | null;
    /** Modified within --settle: left for the next run. */
    settling: number;
    settleMs: number;
    /** What sort never takes in, with why. */
    aside: { name: string; why: string }[];
  };
  rejects: { total: number; recent: { file: string; reason: string; at: number }[] };
  runs: RunFact[];
  manifest: { ok: true } | { ok: false; error: string };
  profiles: ProfileFact[];
  /** Archived files of meter ids that meter-data.csv does not list. */
  unlisted: { meter: string; files: number }[];
  total: { exists: boolean; first: string | null; last: string | null; bytes: number; olderThan: string[] };
  disk: {
    profiles: number;
    shadows: number;
    sidecars: number;
    otherCache: number;
    /** The rest of lp/: gap lists, pictures, resampled profiles, stats, the report. */
    otherOutputs: number;
    archive: number;
    archiveFiles: number;
    logs: number;
    free: number | null;
  };
}

export interface DoctorThresholds {
  /** A dropbox export waiting longer than this is a backlog (sort is not running, or failing). */
  backlogMs: number;
  /** Rejects newer than this are shown as a problem. */
  rejectWindowMs: number;
  /** A profile whose last interval ends more than this before the latest profile's has stopped (its meter's exports no longer come). */
  staleMs: number;
}

export const DEFAULT_THRESHOLDS: DoctorThresholds = {
  backlogMs: 15 * 60_000,
  rejectWindowMs: 24 * 3_600_000,
  staleMs: 24 * 3_600_000,
};

/** Something unhealthy, and the command (or the step) that fixes it. */
export interface Finding {
  check: string;
  problem: string;
  fix: string;
}

const plural = (n: number, one: string, many = `${one}s`) => `${n.toLocaleString('en-US')} ${n === 1 ? one : many}`;
/** An age as people read it: `40s`, `5m`, `2h15m`. */
export const age = (ms: number) =>
  ms < 60_000 ? `${Math.round(ms / 1000)}s` : formatShortDuration(Math.round(ms / 60_000) * 60_000);

/** Every check, in the order an operator would work through them. */
export function diagnose(f: SiteFacts, t: DoctorThresholds = DEFAULT_THRESHOLDS): Finding[] {
  if (!f.rootExists)
    return [
      {
        check: 'root',
        problem: `the site root ${f.root} does not exist`,
        fix: `lptool init --root ${f.root} (or give the right --root / LPTOOL_ROOT)`,
      },
    ];
  return [
    ...settingsChecks(f),
    ...lockChecks(f),
    ...dropboxChecks(f, t),
    ...rejectChecks(f, t),
    ...runChecks(f),
    ...profileChecks(f),
    ...stoppedChecks(f, t),
  ];
}

function settingsChecks(f: SiteFacts): Finding[] {
  const out: Finding[] = [];
  if (!f.settings.ok)
    out.push({
      check: 'settings',
      problem: `the settings do not load: ${f.settings.error}`,
      fix: 'correct lptool.yaml or the LPTOOL_* variable named',
    });
  else if (f.settings.sources.timezone === 'default')
    out.push({
      check: 'timezone',
      problem: `no time zone is set: every run uses this machine's zone (${f.settings.timezone}), and a move to another machine would change the times`,
      fix: f.settingsFile
        ? `add "timezone: ${f.settings.timezone}" (or the meters' zone) to lptool.yaml`
        : `lptool init --tz ${f.settings.timezone} (or the meters' zone)`,
    });
  if ('error' in f.lockTiming)
    out.push({
      check: 'lock-timing',
      problem: f.lockTiming.error,
      fix: 'correct LPTOOL_LOCK_REFRESH / LPTOOL_LOCK_STALE',
    });
  if (f.meterData.state === 'missing')
    out.push({
      check: 'meter-data',
      problem: 'meter-data.csv is missing: nothing can be built',
      fix: 'lptool init (writes its header), then add a line per meter: meter,name,multiplier',
    });
  else if (f.meterData.state === 'empty')
    out.push({
      check: 'meter-data',
      problem: 'meter-data.csv lists no meters: nothing is built',
      fix: 'add a line per meter to meter-data.csv: meter,name,multiplier',
    });
  else if (f.meterData.state === 'invalid')
    out.push({
      check: 'meter-data',
      problem: `meter-data.csv is not valid: ${f.meterData.error}`,
      fix: 'correct the line named in meter-data.csv',
    });
  return out;
}

function lockChecks(f: SiteFacts): Finding[] {
  const { lock } = f;
  if (lock.state === 'invalid')
    return [
      {
        check: 'lock',
        problem: `the site lock is not lptool's: ${lock.reason}`,
        fix: 'rm .lptool.lock (when no lptool runs on this site)',
      },
    ];
  if (lock.state !== 'stale') return [];
  const h = lock.holder;
  const what = h ? `${h.command} (pid ${h.pid} on ${h.host}, since ${h.since})` : 'a run';
  const command = h?.command.startsWith('lptool ') ? h.command : 'the command that died';
  return [
    {
      check: 'lock',
      problem: `the site lock is stale: ${what} died holding it (${lock.reason}); the next run takes it over`,
      fix: `${command} (run again what died; its log says how far it got)`,
    },
  ];
}

function dropboxChecks(f: SiteFacts, t: DoctorThresholds): Finding[] {
  const d = f.dropbox;
  if (!d.exists)
    return [
      {
        check: 'dropbox',
        problem: 'there is no _dropbox/KW/ folder: exports have nowhere to land',
        fix: 'lptool init',
      },
    ];
  const out: Finding[] = [];
  const waited = d.oldestAt === null ? 0 : f.now - d.oldestAt;
  if (d.files > 0 && waited > t.backlogMs)
    out.push({
      check: 'backlog',
      problem: `${plural(d.files, 'export')} in _dropbox/KW/ waiting to be sorted, the oldest for ${age(waited)} (more than ${age(t.backlogMs)}): is sort running?`,
      fix: 'lptool sort',
    });
  if (d.aside.length)
    out.push({
      check: 'dropbox-aside',
      problem: `sort never takes in ${d.aside
        .slice(0, 5)
        .map((a) => `${a.name} (${a.why})`)
        .join(', ')}${d.aside.length > 5 ? ` and ${d.aside.length - 5} more` : ''}`,
      fix: 'move them out of _dropbox/KW/ (an export that lacks its .csv ending: rename it, then lptool sort)',
    });
  return out;
}

function rejectChecks(f: SiteFacts, t: DoctorThresholds): Finding[] {
  const recent = f.rejects.recent.filter((r) => f.now - r.at <= t.rejectWindowMs);
  if (!recent.length) return [];
  const names = recent.slice(0, 3).map((r) => r.file);
  return [
    {
      check: 'rejects',
      problem: `${plural(recent.length, 'export')} rejected in the last ${t.rejectWindowMs % 3_600_000 ? age(t.rejectWindowMs) : `${t.rejectWindowMs / 3_600_000}h`}: ${names.join(', ')}${recent.length > 3 ? ' …' : ''}`,
      fix: `read why in data/KW/ERROR/${recent[0]!.file.replace(/\.csv$/i, '.json')}, drop a corrected export into _dropbox/KW/, then lptool sort`,
    },
  ];
}

function runChecks(f: SiteFacts): Finding[] {
  const out: Finding[] = [];
  const heldBy = f.lock.state === 'held' ? f.lock.holder : null;
  for (const r of f.runs) {
    const last = r.last;
    if (!last) continue;
    const cmd = `lptool ${r.command}`;
    if (last.event === 'end' && (last.exitCode ?? 0) >= 2)
      out.push({
        check: 'last-run',
        problem: `the last ${cmd} failed (exit ${last.exitCode}, ${last.at})${last.error ? `: ${last.error.code}: ${last.error.message}` : ''}`,
        fix: `${cmd} once the error is fixed (the message says what to do; ${r.log} has the run)`,
      });
    const running = heldBy !== null && last.pid === heldBy.pid; // the run that holds the lock now
    if (last.event === 'start' && !running && f.lock.state !== 'stale')
      out.push({
        check: 'last-run',
        problem: `the last ${cmd} started at ${last.at} and never finished (killed?)`,
        fix: `${cmd} (it finishes what was left; ${r.log} shows how far it got)`,
      });
  }
  return out;
}

function profileChecks(f: SiteFacts): Finding[] {
  const out: Finding[] = [];
  if (!f.manifest.ok)
    out.push({
      check: 'manifest',
      problem: `the build manifest is not valid: ${f.manifest.error}`,
      fix: 'rm lp/.build-manifest.json, then lptool build (every profile is rebuilt in full)',
    });
  const behind = f.profiles.filter((p) => p.pending > 0);
  if (behind.length)
    out.push({
      check: 'profiles',
      problem: `${plural(behind.length, 'profile')} behind the archive: ${behind
        .slice(0, 5)
        .map((p) => `${p.file} (${plural(p.pending, 'archived file')} not built${p.exists ? '' : '; no profile yet'})`)
        .join(', ')}${behind.length > 5 ? ' …' : ''}`,
      fix: 'lptool build',
    });
  for (const u of f.unlisted)
    out.push({
      check: 'unlisted-meter',
      problem: `${plural(u.files, 'archived export')} of meter ${u.meter}, which meter-data.csv does not list: never built`,
      fix: `add meter ${u.meter} to meter-data.csv (meter,name,multiplier), then lptool build`,
    });
  const built = f.profiles.filter((p) => p.exists);
  if (built.length && !f.total.exists)
    out.push({ check: 'total', problem: 'there is no system total (lp/all.csv) of the profiles', fix: 'lptool merge' });
  else if (f.total.olderThan.length)
    out.push({
      check: 'total',
      problem: `lp/all.csv is older than ${f.total.olderThan.slice(0, 5).join(', ')}${f.total.olderThan.length > 5 ? ' …' : ''}: the total misses their latest rows`,
      fix: 'lptool merge',
    });
  return out;
}

/**
 * A feeder that stopped delivering: its profile's last interval ends more than `staleMs` before the latest
 * profile's. Nothing else sees it — the total just counts it as not reporting from there on — so each such
 * profile is a finding. (Compared on instants: the labels carry their offsets.)
 */
function stoppedChecks(f: SiteFacts, t: DoctorThresholds): Finding[] {
  const ends = f.profiles
    .filter((p) => p.exists && p.last !== null)
    .map((p) => ({ p, end: Date.parse(p.last!) }))
    .filter((x) => Number.isFinite(x.end));
  if (ends.length < 2) return [];
  const latest = ends.reduce((a, b) => (b.end > a.end ? b : a));
  return ends
    .filter((x) => latest.end - x.end > t.staleMs)
    .map(({ p }) => ({
      check: 'stopped',
      problem: `${p.name} has stopped: its last interval ends ${p.last}, the others reach ${latest.p.last} (more than ${age(t.staleMs)} later)`,
      fix: `check meter ${p.meter}'s exports (do they still reach _dropbox/KW/? rejected ones are in data/KW/ERROR/), then lptool sort && lptool build`,
    }));
}
