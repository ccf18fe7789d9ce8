/**
 * The shape of every command's `--json` output (after the envelope of json.ts), as zod schemas: strict objects, so
 * a key a command adds without declaring it here fails json.test.ts, which validates real outputs against these and
 * checks that docs/json.md (generated from them: `LPTOOL_UPDATE_GOLDEN=1`) is up to date. A key's `.describe()` is
 * its line in docs/json.md.
 */
import { z } from 'zod';

const obj = <T extends z.ZodRawShape>(shape: T) => z.object(shape).strict();
const str = z.string();
const num = z.number();
const int = z.number().int();
const bool = z.boolean();
const strs = z.array(z.string());
/** A local time with its offset, `2024-07-12T11:00:00-07:00` (the site's wall clock). */
const time = z.string().describe('local time with offset (ISO 8601)');
const timeOrNull = time.nullable();
const warnings = strs.describe('what the run said on stderr as warnings');
const notes = strs.describe('what the run said on stderr as notes');

const sortFile = obj({
  name: str.describe('the file name in _dropbox/KW/'),
  outcome: z.enum(['archived', 'error', 'duplicate', 'would-archive', 'would-reject', 'would-duplicate']),
  hash: str.describe('SHA-256 of its bytes'),
  dest: str.describe('where it went (or would go), relative to the root'),
  reason: z.enum(['PARSE-ERROR', 'SEQUENCE-ERROR', 'EMPTY']).optional().describe('a reject: why'),
  message: str.optional().describe('a reject or a duplicate: what the sidecar says'),
  meter: str.optional(),
  rows: int.optional(),
  first: time.optional().describe('start of its first interval'),
  last: time.optional().describe('end of its last interval'),
});
const named = obj({ name: str, why: str });

const sort = obj({
  root: str,
  dryRun: bool,
  files: z.array(sortFile).describe('each file taken in, oldest first'),
  counts: obj({ archived: int, error: int, duplicate: int, settling: int, ignored: int, failed: int }),
  errorsByReason: z.record(int).describe('rejects per reason (PARSE-ERROR, SEQUENCE-ERROR, EMPTY)'),
  skipped: z.array(named).describe('left alone: symlinks, folders, other names, files still being written'),
  failed: z.array(named).describe('could not be handled, left in place'),
  warnings,
  recovered: obj({ recorded: int, forgotten: int, cleanedTemps: int })
    .nullable()
    .describe("what recovery did after a killed run's journal"),
  rebuiltStore: int.nullable().describe('files hashed into a new .processed-hashes.json'),
});

const meterBuild = obj({
  name: str,
  meter: str,
  status: z.enum(['built', 'appended', 'up-to-date', 'failed', 'no-data', 'kept']),
  files: int,
  rows: int,
  first: timeOrNull,
  last: timeOrNull,
  conflicts: int,
  badRows: int,
  incompleteDays: z.array(obj({ date: str, intervals: int, expected: int })),
  dstDays: z.array(obj({ date: str, intervals: int })),
  error: str.optional(),
  output: str.optional().describe('the profile written'),
});
const side = obj({ file: str, line: int, values: str });

const build = obj({
  root: str,
  outDir: str.describe('lp, or the --out folder of an extract'),
  meters: z.array(meterBuild),
  unknownMeters: z.array(obj({ meter: str, files: strs })).describe('archived meter ids not in meter-data.csv'),
  badFiles: z.array(obj({ file: str, reason: str, message: str })),
  badRows: z.array(obj({ file: str, line: int, column: str, message: str })).describe('the first 1,000'),
  conflicts: z.array(obj({ start: time, kept: side, dropped: side })).describe('the first 1,000'),
  rowsRead: int,
});

const merge = obj({
  root: str,
  output: str,
  feeders: z.array(obj({ name: str, rows: int, intervalMs: int, resampled: bool })),
  expected: int.describe('feeders_expected'),
  missing: strs.describe('expected meters without a profile'),
  ignored: strs.describe('CSVs in lp/ that are not listed meters: never summed'),
  warnings,
  rows: int,
  incomplete: int.describe('intervals with feeders_reporting < feeders_expected'),
  first: timeOrNull,
  last: timeOrNull,
  unchanged: bool.describe('no profile changed since the total was written: it was left alone'),
  partialEnd: obj({
    intervals: int,
    from: time.describe('start of the first of them'),
    missing: z
      .array(obj({ name: str, last: timeOrNull.describe('end of its last interval (null: its profile has no rows)') }))
      .describe('the feeders not reporting at the end'),
  })
    .nullable()
    .describe('intervals this merge added at the end of the total without every feeder (null: none)'),
});

const gapRow = obj({
  gapStart: time.describe('end of the last interval before the hole'),
  gapEnd: time.describe('start of the next present interval'),
  gapDuration: str.describe('ISO 8601 duration of elapsed time, PT1H30M'),
  missingIntervals: int,
  misaligned: bool.describe('the hole is not a whole number of intervals'),
});
const skipped = z.array(obj({ file: str, kind: str })).describe("lptool's own outputs among the files given, skipped");

const gaps = obj({
  profiles: z.array(
    obj({
      file: str,
      output: str.describe('the gap list written'),
      picture: str.optional(),
      intervalMs: int,
      rows: int,
      first: timeOrNull,
      last: timeOrNull,
      gaps: z.array(gapRow),
      missingIntervals: int,
      duplicates: z.array(obj({ line: int, start: time })),
      outOfOrder: z.array(obj({ line: int, start: time, after: time })),
      partial: int.describe('all.csv: intervals with feeders_reporting < feeders_expected'),
      partialRanges: z.array(obj({ start: time, end: time, intervals: int })),
    }),
  ),
  skipped,
  notes,
});

const enclosureTotal = obj({
  enclosureId: str,
  inverter: str,
  input: str,
  chargedKwh: num,
  dischargedKwh: num,
  roundTripRatio: num.nullable().describe('discharged / charged; null when nothing was charged'),
  coveredHours: num,
  periodHours: num,
  lowCoverage: bool,
});

const bess = obj({
  config: str,
  files: strs.describe('telemetry files read'),
  timezone: str,
  samples: int,
  first: time,
  last: time,
  medianStepMs: num,
  maxGapMs: num,
  inverters: int,
  inputs: int,
  enclosures: int,
  days: int,
  totals: z.array(enclosureTotal).describe('each enclosure over the period (enclosure_summary.csv)'),
  outputs: obj({ daily: str, outliers: str, summary: str, heatmap: str }),
  warnings,
});

const parquet = obj({
  root: str,
  out: str,
  codec: str,
  sources: z.array(
    obj({
      name: str,
      table: z.enum(['profiles', 'system_total']),
      status: z.enum(['exported', 'unchanged', 'missing', 'failed', 'removed']),
      rows: int,
      partitionsWritten: int,
      error: str.optional(),
    }),
  ),
  rows: int,
  rowsWritten: int,
  partitionsWritten: int,
  partitionsUnchanged: int,
  partitionsRemoved: int,
  bytesWritten: int,
  seconds: num,
});

const postgres = obj({
  root: str,
  target: str.describe('user@host:port/database (never the password)'),
  loadId: int,
  sources: z.array(
    obj({
      name: str,
      meter: str.optional(),
      status: z.enum(['loaded', 'unchanged', 'missing', 'failed']),
      rows: int,
      changed: int.describe('rows inserted or updated'),
      deleted: int,
      error: str.optional(),
    }),
  ),
  rowsLoaded: int,
  rowsChanged: int,
  rowsDeleted: int,
  seconds: num,
});

const synthGap = { name: str, file: str, gapStart: time, gapEnd: time, missingIntervals: int };
const synthSite = obj({
  generator: z.literal('lptool synth site'),
  options: obj({
    meters: int,
    days: int,
    start: str,
    tz: str,
    clock: z.enum(['legal', 'standard']),
    seed: int,
    fileDays: int,
    intervalMs: int,
    gaps: int,
    sequenceErrors: int,
    duplicates: int,
    overlaps: int,
  }),
  meters: z.array(obj({ meter: str, name: str, multiplier: num, solar: bool })),
  files: int,
  rows: int,
  deliveries: strs.describe('export files in the order they were delivered'),
  faults: obj({
    gaps: z.array(obj(synthGap)),
    sequenceErrors: z.array(obj({ ...synthGap, line: int })),
    duplicates: z.array(obj({ original: str, copy: str })),
    overlaps: z.array(obj({ name: str, file: str, reexport: str, start: str, kwDel: str })),
  }),
});

const synthBess = obj({ columns: int, rows: int, file: str, config: str });

const demo = obj({
  root: str.describe('the demo site'),
  steps: z.array(obj({ step: str, exitCode: int, lines: strs })),
  pictures: strs,
});

const coincident = obj({
  system: str,
  at: time,
  systemPeakMw: num,
  feeders: z.array(obj({ profile: str, mwAtSystemPeak: num.nullable(), ownPeakMw: num })),
  diversityFactor: num.nullable().describe('Σ feeder peaks / coincident peak; null when the feeders are not the total'),
  diversityNote: str.nullable().describe('why the factor is left out'),
});

const stats = obj({
  periods: z.array(
    obj({
      profile: str,
      period: str.describe('YYYY-MM with --every 1mo, else all'),
      from: time,
      to: time,
      intervalsPresent: int,
      intervalsExpected: int,
      intervalsPartial: int,
      completenessPct: num,
      mwhDelivered: num.nullable(),
      mwhReceived: num.nullable(),
      mwhNet: num,
      peakMw: num,
      peakAt: time,
      minMw: num,
      minAt: time,
      averageMw: num,
      loadFactor: num.nullable(),
      flowReversals: int.nullable(),
      typicalDay: obj({ weekday: z.array(num.nullable()), weekend: z.array(num.nullable()) }).describe(
        'mean MW_net by local hour (0–23)',
      ),
    }),
  ),
  coincident: coincident.nullable().describe('with lp/all.csv given: the coincident peak'),
  pictures: strs,
  skipped,
  notes,
});

const resample = obj({
  input: str,
  output: str,
  bucket: str,
  rows: int.describe('buckets written'),
  partial: int.describe('buckets with intervals_present < intervals_expected'),
  notes,
});

const report = obj({
  out: str,
  index: str,
  profiles: int,
  gaps: int,
  missingIntervals: int,
  rejects: int,
  duplicates: int,
  conflicts: int,
  partialTotals: int.nullable(),
  bess: str.nullable().describe('the bess.yaml shown'),
  files: int,
  bytes: int,
  seconds: num,
});

const settingSource = z.enum(['flag', 'env', 'lptool.yaml', 'default', 'answer']);
const settingSources = obj({ timezone: settingSource, clock: settingSource, interval: settingSource });

const init = obj({
  root: str,
  created: strs.describe('made by this run, relative to the root'),
  existing: strs.describe('there already, left as it is'),
  settings: obj({ timezone: str, clock: z.enum(['legal', 'standard']), interval: str }),
  sources: settingSources,
  notes,
});

const error = obj({ error: str });
const lastRun = obj({
  event: z.enum(['start', 'end']),
  at: str,
  run: str.nullable(),
  pid: int.nullable(),
  exitCode: int.nullable(),
  durationMs: num.nullable(),
  error: obj({ code: str, message: str }).nullable(),
});

const facts = obj({
  now: num.describe('epoch ms'),
  root: str,
  rootExists: bool,
  settings: z.union([
    obj({ ok: z.literal(true), timezone: str, clock: str, interval: str, sources: settingSources }),
    obj({ ok: z.literal(false), error: str }),
  ]),
  settingsFile: bool,
  lockTiming: z.union([obj({ refreshMs: num, staleMs: num, source: z.enum(['env', 'default']) }), error]),
  meterData: obj({
    state: z.enum(['ok', 'missing', 'empty', 'invalid']),
    meters: int.optional(),
    error: str.optional(),
  }),
  lock: obj({
    state: z.enum(['free', 'held', 'stale', 'invalid']),
    holder: obj({ pid: int, host: str, command: str, since: str, thisHost: bool }).nullable(),
    ageMs: num.nullable(),
    reason: str.nullable(),
  }),
  dropbox: obj({
    exists: bool,
    files: int,
    bytes: int,
    oldestAt: num.nullable().describe('epoch ms'),
    settling: int,
    settleMs: num,
    aside: z.array(named),
  }),
  rejects: obj({ total: int, recent: z.array(obj({ file: str, reason: str, at: num })) }),
  runs: z.array(obj({ command: str, log: str, last: lastRun.nullable() })),
  manifest: obj({ ok: bool, error: str.optional() }),
  profiles: z.array(
    obj({
      name: str,
      meter: str,
      file: str,
      exists: bool,
      first: timeOrNull,
      last: timeOrNull,
      rows: int.nullable(),
      bytes: int,
      builtAt: str.nullable(),
      pending: int.describe('archived files of the meter its profile was not built from'),
      touched: bool,
    }),
  ),
  unlisted: z.array(obj({ meter: str, files: int })),
  total: obj({ exists: bool, first: timeOrNull, last: timeOrNull, bytes: int, olderThan: strs }),
  disk: obj({
    profiles: int,
    shadows: int,
    sidecars: int,
    otherCache: int,
    otherOutputs: int,
    archive: int,
    archiveFiles: int,
    logs: int,
    free: num.nullable(),
  }),
});

const doctor = obj({
  root: str,
  healthy: bool,
  findings: z.array(obj({ check: str, problem: str, fix: str.describe('the command or step that fixes it') })),
  facts,
});

/** A step's summary inside `run`: the command's own summary (its exitCode included). */
const step = (body: z.ZodObject<z.ZodRawShape>) => body.extend({ exitCode: int }).strict();
const run = obj({
  root: str,
  durationMs: num,
  steps: z.array(
    obj({
      step: z.enum(['sort', 'build', 'merge', 'gaps', 'bess', 'report']),
      exitCode: int,
      line: str.describe("the step's line of the run's summary"),
      skipped: str.optional().describe('why the step did not run (nothing changed for it, not configured …)'),
      error: obj({ code: str, message: str }).optional().describe('what stopped the step'),
      summary: z
        .union([step(sort), step(build), step(merge), step(gaps), step(bess), step(report)])
        .nullable()
        .optional()
        .describe("the step's summary: that command's fields (see its section)"),
    }),
  ),
});

export interface JsonShape {
  /** The summary's fields, after the envelope. */
  body: z.ZodObject<z.ZodRawShape>;
}

/** Each command's summary, by its name as declared in commands.ts. */
export const JSON_SCHEMAS: Record<string, JsonShape> = {
  sort: { body: sort },
  build: { body: build },
  merge: { body: merge },
  gaps: { body: gaps },
  bess: { body: bess },
  'export parquet': { body: parquet },
  'export postgres': { body: postgres },
  'synth site': { body: synthSite },
  'synth bess': { body: synthBess },
  demo: { body: demo },
  stats: { body: stats },
  report: { body: report },
  resample: { body: resample },
  init: { body: init },
  doctor: { body: doctor },
  run: { body: run },
};

/** The envelope every `--json` output starts with. */
export const ENVELOPE = {
  command: str.describe('the command, as typed after lptool: `sort`, `export parquet`'),
  schema: z.literal(1).describe('the version of these shapes: raised when a key is renamed or removed'),
  ok: bool.describe(
    'true: the command ran to its end (exitCode 0 or 1 says whether it flagged something); false only from `run`, when a step failed (exitCode 2 or 3: that step has `error`)',
  ),
  exitCode: int.describe('the exit code: 0 all good, 1 something rejected or flagged, 2 or 3 a step of `run` failed'),
};

/** What `--json` prints when a command fails. */
export const ERROR_SCHEMA = obj({
  command: ENVELOPE.command,
  schema: ENVELOPE.schema,
  ok: z.literal(false),
  error: obj({
    code: str.describe('LPT_USAGE, LPT_PARSE …'),
    message: str.describe('the one line stderr shows, without the code'),
    exit: int.describe(
      'the exit code: 1 another run holds the lock (after --lock-wait), 2 usage or configuration, 3 internal',
    ),
  }),
});

/** A command's whole output: the envelope and its fields. */
export const outputSchema = (command: string) => JSON_SCHEMAS[command]!.body.extend(ENVELOPE).strict();
