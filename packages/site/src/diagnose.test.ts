import { describe, expect, it } from 'vitest';
import { DEFAULT_THRESHOLDS, diagnose, type ProfileFact, type RunFact, type SiteFacts } from './diagnose.js';

/* doctor's checks, one rule at a time, on facts written here (no site, no clock). */

const NOW = Date.parse('2024-11-04T12:00:00Z');
const MIN = 60_000;

function profile(name: string, extra: Partial<ProfileFact> = {}): ProfileFact {
  return {
    name,
    meter: `id-${name}`,
    file: `lp/${name}.csv`,
    exists: true,
    first: '2024-01-01T00:00:00-08:00',
    last: '2024-11-04T00:00:00-08:00',
    rows: 29_856,
    bytes: 4_000_000,
    builtAt: '2024-11-04T11:55:00Z',
    pending: 0,
    touched: false,
    ...extra,
  };
}

function run(command: string, last: Partial<NonNullable<RunFact['last']>> | null): RunFact {
  return {
    command,
    log: `logs/${command === 'sort' ? 'dropbox' : command}.log`,
    last: last && {
      event: 'end',
      at: '2024-11-04T11:55:00.000Z',
      run: '20241104T115500Z-00000000',
      pid: 100,
      exitCode: 0,
      durationMs: 1200,
      error: null,
      ...last,
    },
  };
}

/** A healthy site: every check passes. */
function healthy(): SiteFacts {
  return {
    now: NOW,
    root: '/srv/meters',
    rootExists: true,
    settings: {
      ok: true,
      timezone: 'America/Los_Angeles',
      clock: 'legal',
      interval: '15m',
      sources: { timezone: 'lptool.yaml', clock: 'default', interval: 'default' },
    },
    settingsFile: true,
    lockTiming: { refreshMs: 10_000, staleMs: 60_000, source: 'default' },
    meterData: { state: 'ok', meters: 2 },
    lock: { state: 'free', holder: null, ageMs: null, reason: null },
    dropbox: { exists: true, files: 0, bytes: 0, oldestAt: null, settling: 0, settleMs: 5000, aside: [] },
    rejects: { total: 3, recent: [{ file: 'a_EMPTY.csv', reason: 'EMPTY', at: NOW - 3 * 86_400_000 }] },
    runs: [
      run('sort', {}),
      run('build', {}),
      run('merge', {}),
      run('gaps', { exitCode: 1 }),
      run('export parquet', null),
    ],
    manifest: { ok: true },
    profiles: [profile('north'), profile('south')],
    unlisted: [],
    total: { exists: true, first: null, last: null, bytes: 1, olderThan: [] },
    disk: {
      profiles: 0,
      shadows: 0,
      sidecars: 0,
      otherCache: 0,
      otherOutputs: 0,
      archive: 0,
      archiveFiles: 0,
      logs: 0,
      free: null,
    },
  };
}

/** The findings of a healthy site changed by `change`: [check, fix] pairs (and the problems, for messages). */
function after(change: (f: SiteFacts) => void): { checks: [string, string][]; problems: string[] } {
  const f = healthy();
  change(f);
  const found = diagnose(f, DEFAULT_THRESHOLDS);
  return { checks: found.map((x) => [x.check, x.fix]), problems: found.map((x) => x.problem) };
}

describe('diagnose', () => {
  it('a healthy site has no findings (an exit 1 of gaps --fail-on-gaps, old rejects and no runs of export are fine)', () => {
    expect(diagnose(healthy())).toEqual([]);
  });

  it('a missing root is the only finding: lptool init', () => {
    expect(after((f) => (f.rootExists = false)).checks).toEqual([
      ['root', 'lptool init --root /srv/meters (or give the right --root / LPTOOL_ROOT)'],
    ]);
  });

  describe('settings', () => {
    it("no zone set anywhere: the machine's zone is used; lptool init --tz, or add it to the lptool.yaml there", () => {
      const unset = (f: SiteFacts) => {
        if (f.settings.ok) f.settings.sources.timezone = 'default';
      };
      const noFile = after((f) => {
        unset(f);
        f.settingsFile = false;
      });
      expect(noFile.checks).toEqual([['timezone', "lptool init --tz America/Los_Angeles (or the meters' zone)"]]);
      expect(noFile.problems[0]).toMatch(/no time zone is set: every run uses this machine's zone/);
      expect(after(unset).checks).toEqual([
        ['timezone', `add "timezone: America/Los_Angeles" (or the meters' zone) to lptool.yaml`],
      ]);
    });

    it('settings that do not load, and wrong lock timings, are named', () => {
      expect(after((f) => (f.settings = { ok: false, error: 'LPT_CONFIG: lptool.yaml: clock — …' })).checks).toEqual([
        ['settings', 'correct lptool.yaml or the LPTOOL_* variable named'],
      ]);
      expect(after((f) => (f.lockTiming = { error: 'LPTOOL_LOCK_STALE — …' })).checks[0]![0]).toBe('lock-timing');
    });

    it.each([
      [{ state: 'missing' } as const, /lptool init \(writes its header\)/],
      [{ state: 'empty' } as const, /add a line per meter/],
      [{ state: 'invalid', error: 'LPT_BAD_METER_DATA: …' } as const, /correct the line named/],
    ])('meter-data.csv %j', (state, fix) => {
      const { checks } = after((f) => (f.meterData = state));
      expect(checks).toHaveLength(1);
      expect(checks[0]![0]).toBe('meter-data');
      expect(checks[0]![1]).toMatch(fix);
    });
  });

  describe('the lock', () => {
    const holder = {
      pid: 4242,
      host: 'meters1',
      command: 'lptool build',
      since: '2024-11-04T03:00:00Z',
      thisHost: true,
    };
    it('held by a live run: fine', () => {
      expect(after((f) => (f.lock = { state: 'held', holder, ageMs: 3000, reason: null })).checks).toEqual([]);
    });
    it('stale: the command that died is run again (the next run takes the lock over)', () => {
      const r = after((f) => (f.lock = { state: 'stale', holder, ageMs: 9e6, reason: 'process 4242 is gone' }));
      expect(r.checks).toEqual([['lock', 'lptool build (run again what died; its log says how far it got)']]);
      expect(r.problems[0]).toBe(
        'the site lock is stale: lptool build (pid 4242 on meters1, since 2024-11-04T03:00:00Z) died holding it (process 4242 is gone); the next run takes it over',
      );
    });
    it("not lptool's (a folder, pid 0): remove it", () => {
      const r = after((f) => (f.lock = { state: 'invalid', holder: null, ageMs: null, reason: 'site lock — …' }));
      expect(r.checks).toEqual([['lock', 'rm .lptool.lock (when no lptool runs on this site)']]);
    });
  });

  describe('the dropbox', () => {
    const waiting = (ageMs: number) => (f: SiteFacts) => {
      f.dropbox = { ...f.dropbox, files: 2, bytes: 2048, oldestAt: NOW - ageMs };
    };
    it('exports waiting longer than the backlog age (15m): lptool sort', () => {
      const r = after(waiting(40 * MIN));
      expect(r.checks).toEqual([['backlog', 'lptool sort']]);
      expect(r.problems[0]).toBe(
        '2 exports in _dropbox/KW/ waiting to be sorted, the oldest for 40m (more than 15m): is sort running?',
      );
    });
    it('exports that arrived a minute ago, or are still being written: fine', () => {
      expect(after(waiting(MIN)).checks).toEqual([]);
      expect(after((f) => (f.dropbox.settling = 3)).checks).toEqual([]);
    });
    it('the backlog age is a threshold of its own', () => {
      const f = healthy();
      waiting(40 * MIN)(f);
      expect(diagnose(f, { ...DEFAULT_THRESHOLDS, backlogMs: 60 * MIN })).toEqual([]);
    });
    it('files sort never takes in are named; a missing dropbox is lptool init', () => {
      const r = after((f) => (f.dropbox.aside = [{ name: 'notes.txt', why: 'not a .csv file' }]));
      expect(r.problems).toEqual(['sort never takes in notes.txt (not a .csv file)']);
      expect(after((f) => (f.dropbox.exists = false)).checks).toEqual([['dropbox', 'lptool init']]);
    });
  });

  it('rejects of the last 24 h: where to read why, and how to deliver again', () => {
    const r = after((f) =>
      f.rejects.recent.unshift({ file: 'north-1_SEQUENCE-ERROR.csv', reason: 'SEQUENCE-ERROR', at: NOW - 3_600_000 }),
    );
    expect(r.checks).toEqual([
      [
        'rejects',
        'read why in data/KW/ERROR/north-1_SEQUENCE-ERROR.json, drop a corrected export into _dropbox/KW/, then lptool sort',
      ],
    ]);
    expect(r.problems).toEqual(['1 export rejected in the last 24h: north-1_SEQUENCE-ERROR.csv']);
  });

  describe('last runs', () => {
    it('a run that failed (exit 2 or 3) is named with its error', () => {
      const r = after(
        (f) => (f.runs[1] = run('build', { exitCode: 2, error: { code: 'LPT_BAD_METER_DATA', message: 'name — …' } })),
      );
      expect(r.checks).toEqual([
        ['last-run', 'lptool build once the error is fixed (the message says what to do; logs/build.log has the run)'],
      ]);
      expect(r.problems[0]).toBe(
        'the last lptool build failed (exit 2, 2024-11-04T11:55:00.000Z): LPT_BAD_METER_DATA: name — …',
      );
    });
    it('a run that started and never ended (killed) — unless it is the one holding the lock now', () => {
      const killed = (f: SiteFacts) => (f.runs[0] = run('sort', { event: 'start', exitCode: null, durationMs: null }));
      expect(after(killed).checks).toEqual([
        ['last-run', 'lptool sort (it finishes what was left; logs/dropbox.log shows how far it got)'],
      ]);
      const holder = { pid: 100, host: 'meters1', command: 'lptool sort', since: 'x', thisHost: true };
      expect(
        after((f) => {
          killed(f);
          f.lock = { state: 'held', holder, ageMs: 1000, reason: null };
        }).checks,
      ).toEqual([]);
    });
  });

  describe('profiles and the total', () => {
    it('a profile behind the archive, or not built yet: lptool build', () => {
      const r = after((f) => {
        f.profiles[1] = profile('south', { pending: 3 });
        f.profiles.push(profile('east', { exists: false, pending: 2, first: null, last: null, rows: null }));
      });
      expect(r.checks).toEqual([['profiles', 'lptool build']]);
      expect(r.problems[0]).toBe(
        '2 profiles behind the archive: lp/south.csv (3 archived files not built), lp/east.csv (2 archived files not built; no profile yet)',
      );
    });
    it('a profile changed by hand since its build is shown, not a problem (the next build rebuilds it)', () => {
      expect(after((f) => (f.profiles[0] = profile('north', { touched: true }))).checks).toEqual([]);
    });
    it('exports of a meter meter-data.csv does not list: add it', () => {
      expect(after((f) => (f.unlisted = [{ meter: '144800099', files: 4 }])).checks).toEqual([
        ['unlisted-meter', 'add meter 144800099 to meter-data.csv (meter,name,multiplier), then lptool build'],
      ]);
    });
    it('a total older than a profile, or none: lptool merge', () => {
      expect(after((f) => (f.total.olderThan = ['lp/north.csv'])).checks).toEqual([['total', 'lptool merge']]);
      expect(after((f) => (f.total.exists = false)).checks).toEqual([['total', 'lptool merge']]);
    });
    it('a feeder that stopped delivering (its last interval a week before the others): check its exports', () => {
      const r = after((f) => (f.profiles[0] = profile('north', { last: '2024-10-28T00:00:00-07:00' })));
      expect(r.checks).toEqual([
        [
          'stopped',
          "check meter id-north's exports (do they still reach _dropbox/KW/? rejected ones are in data/KW/ERROR/), then lptool sort && lptool build",
        ],
      ]);
      expect(r.problems).toEqual([
        'north has stopped: its last interval ends 2024-10-28T00:00:00-07:00, the others reach 2024-11-04T00:00:00-08:00 (more than 1d later)',
      ]);
    });
    it('a profile a day behind or less is fine (one delivered later in the day); --stale-after is a threshold of its own', () => {
      const f = healthy();
      f.profiles[0] = profile('north', { last: '2024-11-03T00:00:00-08:00' }); // exactly 1 day before
      expect(diagnose(f)).toEqual([]);
      expect(diagnose(f, { ...DEFAULT_THRESHOLDS, staleMs: 12 * 60 * MIN }).map((x) => x.check)).toEqual(['stopped']);
      // compared as instants: the same end in another offset is not behind
      f.profiles[0] = profile('north', { last: '2024-11-04T08:00:00Z' });
      expect(diagnose(f)).toEqual([]);
    });
    it('a build manifest that is not valid: remove it and build', () => {
      expect(after((f) => (f.manifest = { ok: false, error: 'LPT_MANIFEST_CORRUPT: …' })).checks).toEqual([
        ['manifest', 'rm lp/.build-manifest.json, then lptool build (every profile is rebuilt in full)'],
      ]);
    });
  });

  it('several problems at once come in the order an operator works through them', () => {
    const r = after((f) => {
      f.total.olderThan = ['lp/north.csv'];
      f.dropbox = { ...f.dropbox, files: 1, oldestAt: NOW - 60 * MIN };
      f.meterData = { state: 'empty' };
    });
    expect(r.checks.map((c) => c[0])).toEqual(['meter-data', 'backlog', 'total']);
  });
});
