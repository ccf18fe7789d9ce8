/**
 * Every command of `lptool`, as declarations: help, flags with their types (default and normalisation in one
 * place, `flags.ts`), examples (each one runs in docs.test.ts), how the flags become the command function's
 * options, and the adapter in `commands/<name>.ts` — imported only when that command runs.
 */
import path from 'node:path';
import { parseBucket } from '@lptool/core';
import { parseShard } from '@lptool/profiles';
import { z } from 'zod';
import { type CommandDecl, declare, type GroupDecl } from './declare.js';
import {
  count,
  duration,
  folder,
  lockWait,
  names,
  oneOf,
  onOff,
  positive,
  root,
  seconds,
  text,
  usage,
} from './flags.js';

/** The flags of every command that works on a site root (SPEC §1): settings resolve flag > env > lptool.yaml. */
export const SITE = {
  root: {
    flags: '-r, --root <dir>',
    description: 'site root (default: $LPTOOL_ROOT, else the current directory)',
    type: root(),
  },
  tz: {
    flags: '--tz <zone>',
    description: 'site time zone, IANA name (default: lptool.yaml, else the machine zone)',
    type: text(),
  },
  clock: {
    flags: '--clock <mode>',
    description: 'meter clock: legal (follows DST) or standard (standard offset all year)',
    type: oneOf(['legal', 'standard']).optional(),
  },
  interval: {
    flags: '--interval <length>',
    description: 'interval length, e.g. 15m (default: lptool.yaml, else 15m)',
    type: text(),
  },
  json: { flags: '--json', description: 'print a machine-readable summary on stdout', type: onOff() },
};
const JSON_FLAG = { json: SITE.json };
/** The settings a site command passes on (the rest of SITE is the CLI's: --json). */
const site = (v: {
  root: string;
  tz?: string | undefined;
  clock?: string | undefined;
  interval?: string | undefined;
}) => ({
  root: v.root,
  tz: v.tz,
  clock: v.clock,
  interval: v.interval,
});
const shard = (flag: string) => text().transform((v) => parseShard(v, flag));
const lockWaitFlag = (description: string) => ({ flags: '--lock-wait <seconds>', description, type: lockWait() });
const range = (from: string, to: string) => ({
  from: { flags: '--from <date>', description: from, type: text() },
  to: { flags: '--to <date>', description: to, type: text() },
});

/** `--out` of a command that writes one file: `-` is stdout, which --json has already. */
function stdoutOrFile(v: { out?: string | undefined; json: boolean }): string | undefined {
  if (v.out === '-' && v.json) throw usage('--out', 'expected a file with --json (the summary is on stdout), got -');
  return v.out;
}

/**
 * resample's bucket and range. `--to` was the bucket before it was the range end (`--to 1d`): given a bucket and no
 * --every, it is taken as --every with a note, so a crontab line keeps working until it is edited.
 */
function bucketAndRange(
  v: { every?: string | undefined; from?: string | undefined; to?: string | undefined },
  note: (s: string) => void,
): { every: string; from: string | undefined; to: string | undefined } {
  if (v.every !== undefined) return { every: v.every, from: v.from, to: v.to };
  if (v.to !== undefined && isBucket(v.to)) {
    note(`--to ${v.to} is now --every ${v.to} (--to is the end of the range, as in every other command)`);
    return { every: v.to, from: v.from, to: undefined };
  }
  throw usage('--every', 'expected a bucket (1h, 1d, 1mo, or a length that divides a day), got none');
}

function isBucket(text: string): boolean {
  try {
    parseBucket(text, '--every');
    return true;
  } catch {
    return false;
  }
}

export const GROUPS: GroupDecl[] = [
  {
    name: 'export',
    description: 'hand the profiles and the total to other engines: a Parquet dataset, or PostgreSQL tables',
    examples: ['lptool export parquet', 'lptool export postgres --url postgres://lptool:secret@localhost:5432/meters'],
  },
  {
    name: 'synth',
    description: 'generate realistic sample sites and BESS telemetry, deterministically from --seed',
    examples: [
      'lptool synth site --out /tmp/site --meters 5 --days 30 --gaps 2 --duplicates 1',
      'lptool synth bess --out /tmp/bess --inverters 20 --days 7 --extra-columns 900 --format parquet',
    ],
  },
];

export const COMMANDS: CommandDecl[] = [
  declare({
    name: 'sort',
    description:
      'take in _dropbox/KW/: archive good exports by month, reject bad ones with the reason, skip re-deliveries',
    flags: {
      ...SITE,
      dryRun: { flags: '-n, --dry-run', description: 'report what would happen; touch nothing', type: onOff() },
      settle: {
        flags: '--settle <seconds>',
        description: 'leave files changed in the last N seconds for the next run',
        type: seconds('--settle').default('5'),
      },
      lockWait: lockWaitFlag('wait this long for another run on the same root'),
    },
    examples: ['lptool sort', 'lptool sort --root /srv/meters --dry-run', 'lptool sort --json --settle 0'],
    to: (v) => ({ ...site(v), dryRun: v.dryRun, settleMs: v.settle, lockWaitMs: v.lockWait, json: v.json }),
    run: async (o, io) => (await import('./commands/sort.js')).run(o, io),
  }),
  declare({
    name: 'build',
    description: 'build lp/<name>.csv per meter from the archive and meter-data.csv',
    flags: {
      ...SITE,
      meter: { flags: '--meter <name>', description: 'build only this meter (by name)', type: text() },
      ...range(
        'first interval start to include (local date/time or ISO); needs --out',
        'interval starts before this (local date/time or ISO); needs --out',
      ),
      out: {
        flags: '-o, --out <dir>',
        description: 'write the profiles here instead of lp/ (an extract; required with --from/--to)',
        type: folder().optional(),
      },
      allowShrink: {
        flags: '--allow-shrink',
        description: 'replace a profile even by one lacking some of its intervals (else it is kept, exit 1)',
        type: onOff(),
      },
      legacyNet: {
        flags: '--legacy-net',
        description: 'MW_net = MW_del + MW_rec, as the older Python scripts wrote',
        type: onOff(),
      },
      onBadRow: {
        flags: '--on-bad-row <policy>',
        description: 'a bad row: skip it (exit 1) or fail the meter',
        type: oneOf(['skip', 'fail']).default('skip'),
      },
      full: { flags: '--full', description: 'rebuild every meter, not only those whose inputs changed', type: onOff() },
      shard: {
        flags: '--shard <K/N>',
        description: 'build only the meters whose id hashes to shard K of N (one of N machines)',
        type: shard('--shard'),
      },
      lockWait: lockWaitFlag('wait this long for another run on the same root'),
    },
    examples: [
      'lptool build',
      'lptool build --meter north --from 2024-07-01 --to 2024-08-01 --out /tmp/july',
      'lptool build --legacy-net --full',
      'lptool build --shard 2/3',
    ],
    to: (v) => ({
      ...site(v),
      meter: v.meter,
      from: v.from,
      to: v.to,
      legacyNet: v.legacyNet,
      onBadRow: v.onBadRow,
      full: v.full,
      out: v.out,
      allowShrink: v.allowShrink,
      shard: v.shard,
      lockWaitMs: v.lockWait,
    }),
    run: async (o, io) => (await import('./commands/build.js')).run(o, io),
  }),
  declare({
    name: 'merge',
    description:
      'total the meters of meter-data.csv (lp/<name>.csv) into lp/all.csv; other CSVs in lp/ are named, never summed',
    flags: {
      ...SITE,
      only: { flags: '--only <names>', description: 'comma-separated feeders to include', type: names('--only') },
      exclude: {
        flags: '--exclude <names>',
        description: 'comma-separated feeders to leave out',
        type: names('--exclude'),
      },
      resample: {
        flags: '--resample',
        description: 'bring profiles of different interval lengths to the coarsest',
        type: onOff(),
      },
      lockWait: lockWaitFlag('wait this long for another run on the same root'),
    },
    examples: ['lptool merge', 'lptool merge --exclude test_feeder', 'lptool merge --only north,south'],
    to: (v) => ({
      ...site(v),
      only: v.only,
      exclude: v.exclude,
      resample: v.resample,
      lockWaitMs: v.lockWait,
    }),
    run: async (o) => (await import('./commands/merge.js')).run(o),
  }),
  declare({
    name: 'gaps',
    description:
      'find gaps, duplicates and out-of-order intervals in profiles; write <stem>_gaps.csv beside each (and a picture)',
    argument: {
      spec: '[profiles...]',
      description: 'profile CSVs with Start Time and MW_net (default: every lp/*.csv of the root)',
      type: z.array(z.string()),
    },
    flags: {
      ...SITE,
      ...range(
        'range start (a hole before the first row counts from here)',
        'range end, exclusive (a hole after the last row counts up to here)',
      ),
      out: {
        flags: '-o, --out <dir>',
        description:
          'write the gap lists (and pictures) here instead of beside each profile; required with --from/--to, --interval or --partial-as-gap',
        type: folder().optional(),
      },
      png: {
        flags: '--png',
        description: 'also draw <stem>_gaps.png beside the gap list: MW_net over time, gaps as red bands',
        type: onOff(),
      },
      format: {
        flags: '--format <format>',
        description: 'picture format (implies a picture)',
        type: oneOf(['png', 'svg', 'vl.json']).optional(),
      },
      width: { flags: '--width <px>', description: 'picture width', type: positive('--width').default('1000') },
      height: { flags: '--height <px>', description: 'picture height', type: positive('--height').default('360') },
      scale: { flags: '--scale <n>', description: 'PNG pixel density', type: positive('--scale').default('1') },
      partialAsGap: {
        flags: '--partial-as-gap',
        description: 'all.csv: intervals with feeders_reporting < feeders_expected count as gaps',
        type: onOff(),
      },
      failOnGaps: {
        flags: '--fail-on-gaps',
        description: 'exit 1 when any gap, duplicate or out-of-order row is found (for cron)',
        type: onOff(),
      },
    },
    examples: [
      'lptool gaps lp/south.csv --png',
      'lptool gaps lp/*.csv --fail-on-gaps --json',
      'lptool gaps lp/all.csv --partial-as-gap --from 2024-07-01 --to 2024-08-01 --out /tmp/july',
      'lptool gaps old/north.csv --tz America/Los_Angeles --interval 15m --format svg --out /tmp/old',
    ],
    to: (v) => ({
      ...site(v),
      files: v.args,
      from: v.from,
      to: v.to,
      out: v.out,
      // a picture: --png (in --format, else PNG), or a --format other than png
      picture: v.png ? (v.format ?? ('png' as const)) : v.format && v.format !== 'png' ? v.format : null,
      width: v.width,
      height: v.height,
      scale: v.scale,
      partialAsGap: v.partialAsGap,
      failOnGaps: v.failOnGaps,
    }),
    run: async (o) => (await import('./commands/gaps.js')).run(o),
  }),
  declare({
    name: 'bess',
    description: 'BESS inverter DC power → daily energy per battery enclosure (SPEC §7)',
    flags: {
      config: {
        flags: '-c, --config <file>',
        description: 'bess.yaml (paths in it are relative to it)',
        type: z.string(),
      },
      out: {
        flags: '-o, --out <dir>',
        description: "output folder instead of the config's output.dir",
        type: folder().optional(),
      },
      ...range('first local day to include', 'local day to stop before'),
      tz: {
        flags: '--tz <zone>',
        description: 'count calendar days in this zone instead of timestamp.timezone',
        type: text(),
      },
      ...JSON_FLAG,
    },
    fixed: { minCoverage: z.number().default(0.9) },
    examples: [
      'lptool bess -c bess.yaml',
      'lptool bess -c site/bess.yaml --from 2024-04-01 --to 2024-05-01 --out /tmp/april',
      'lptool bess -c bess.yaml --json',
    ],
    to: (v) => ({ config: v.config, out: v.out, from: v.from, to: v.to, tz: v.tz, minCoverage: v.minCoverage }),
    run: async (o, io) => (await import('./commands/bess.js')).run(o, io),
  }),
  declare({
    name: 'export parquet',
    description:
      'write profiles/name=<name>/year=YYYY/ and system_total/year=YYYY/ Parquet partitions (zstd) and _lptool.json; only changed partitions are rewritten',
    flags: {
      ...SITE,
      out: {
        flags: '-o, --out <dir>',
        description: 'the dataset folder (default: export/parquet under the root)',
        type: folder().optional(),
      },
      shard: {
        flags: '--shard <K/N>',
        description: "export only shard K of N's meters (as build --shard) and no system total",
        type: shard('--shard'),
      },
      full: { flags: '--full', description: 'rewrite every partition, changed or not', type: onOff() },
      lockWait: lockWaitFlag('wait this long for another run on the same root or dataset'),
    },
    examples: [
      'lptool export parquet',
      'lptool export parquet --out /srv/lake/meters --shard 2/3',
      'lptool export parquet --json',
    ],
    to: (v) => ({ ...site(v), out: v.out, shard: v.shard, full: v.full, lockWaitMs: v.lockWait }),
    run: async (o) => (await import('./commands/export.js')).parquet(o),
  }),
  declare({
    name: 'export postgres',
    description:
      'load changed profiles (and the total) into lptool.profile_interval / lptool.system_total: COPY, then upsert, one transaction per meter',
    flags: {
      ...SITE,
      url: {
        flags: '--url <url>',
        description: 'postgres://user:password@host:port/database (default: $LPTOOL_PG_URL)',
        type: text(),
      },
      shard: {
        flags: '--shard <K/N>',
        description: "load only shard K of N's meters (as build --shard) and no system total",
        type: shard('--shard'),
      },
      full: { flags: '--full', description: 'load every profile, changed or not', type: onOff() },
      connectTimeout: {
        flags: '--connect-timeout <seconds>',
        description: 'give up connecting after this long',
        type: seconds('--connect-timeout').default('10'),
      },
      lockWait: lockWaitFlag('wait this long for another run on the same root'),
    },
    examples: [
      'lptool export postgres --url postgres://lptool:secret@localhost:5432/meters',
      'LPTOOL_PG_URL=postgres://lptool:secret@localhost:5432/meters lptool export postgres --shard 1/3 --json',
    ],
    to: (v) => ({
      ...site(v),
      url: v.url,
      shard: v.shard,
      full: v.full,
      connectTimeoutMs: v.connectTimeout,
      lockWaitMs: v.lockWait,
    }),
    run: async (o) => (await import('./commands/export.js')).postgres(o),
  }),
  declare({
    name: 'synth site',
    description:
      'a site root with meter-data.csv, lptool.yaml and raw exports in _dropbox/KW/ (faults listed in synth-manifest.json)',
    flags: {
      out: {
        flags: '-o, --out <dir>',
        description: 'where to create the site (a new or empty folder)',
        type: folder(),
      },
      meters: { flags: '--meters <n>', description: 'meters', type: count('--meters', 1).default('5') },
      days: { flags: '--days <n>', description: 'local days', type: count('--days', 1).default('28') },
      start: { flags: '--start <date>', description: 'first local day', type: z.string().default('2024-01-01') },
      tz: { flags: '--tz <zone>', description: 'site time zone', type: z.string().default('America/Los_Angeles') },
      clock: {
        flags: '--clock <mode>',
        description: 'meter clock',
        type: oneOf(['legal', 'standard']).default('legal'),
      },
      interval: {
        flags: '--interval <length>',
        description: 'interval length',
        type: duration('--interval').default('15m'),
      },
      fileDays: {
        flags: '--file-days <n>',
        description: 'local days per export file',
        type: count('--file-days', 1).default('7'),
      },
      seed: { flags: '--seed <n>', description: 'random seed', type: count('--seed').default('1') },
      gaps: { flags: '--gaps <n>', description: 'export files never delivered', type: count('--gaps').default('0') },
      sequenceErrors: {
        flags: '--sequence-errors <n>',
        description: 'export files with a row lost',
        type: count('--sequence-errors').default('0'),
      },
      duplicates: {
        flags: '--duplicates <n>',
        description: 'byte-identical re-deliveries',
        type: count('--duplicates').default('0'),
      },
      overlaps: {
        flags: '--overlaps <n>',
        description: 're-exports with a corrected value',
        type: count('--overlaps').default('0'),
      },
      json: { flags: '--json', description: 'print the manifest on stdout', type: onOff() },
    },
    examples: [
      'lptool synth site --out /tmp/site --meters 50 --days 365 --start 2023-01-01',
      'lptool synth site --out /tmp/dst --meters 3 --days 21 --start 2024-10-21 --file-days 1 --gaps 1 --sequence-errors 1 --duplicates 1 --overlaps 1',
    ],
    to: (v) => ({
      out: v.out,
      meters: v.meters,
      days: v.days,
      start: v.start,
      tz: v.tz,
      clock: v.clock,
      seed: v.seed,
      fileDays: v.fileDays,
      intervalMs: v.interval,
      gaps: v.gaps,
      sequenceErrors: v.sequenceErrors,
      duplicates: v.duplicates,
      overlaps: v.overlaps,
    }),
    run: async (o) => (await import('./commands/synth.js')).site(o),
  }),
  declare({
    name: 'synth bess',
    description: 'wide BESS telemetry (CSV or Parquet) and a matching bess.yaml',
    flags: {
      out: { flags: '-o, --out <dir>', description: 'where to write it', type: folder() },
      inverters: {
        flags: '--inverters <n>',
        description: 'inverters (two DC inputs each; 6 enclosures, 4 on every fourth)',
        type: count('--inverters', 1).default('4'),
      },
      days: { flags: '--days <n>', description: 'local days', type: count('--days', 1).default('7') },
      start: { flags: '--start <date>', description: 'first local day', type: z.string().default('2024-03-20') },
      tz: {
        flags: '--tz <zone>',
        description: 'time zone of the timestamps',
        type: z.string().default('Australia/Sydney'),
      },
      step: { flags: '--step <length>', description: 'sample step', type: duration('--step').default('1m') },
      extraColumns: {
        flags: '--extra-columns <n>',
        description: 'unrelated columns',
        type: count('--extra-columns').default('100'),
      },
      format: {
        flags: '--format <format>',
        description: 'file format',
        type: oneOf(['csv', 'parquet']).default('csv'),
      },
      seed: { flags: '--seed <n>', description: 'random seed', type: count('--seed').default('1') },
      json: { flags: '--json', description: 'print a summary on stdout', type: onOff() },
    },
    examples: ['lptool synth bess --out /tmp/bess --inverters 20 --days 7 --extra-columns 900 --format parquet'],
    to: (v) => ({
      out: v.out,
      inverters: v.inverters,
      days: v.days,
      start: v.start,
      tz: v.tz,
      stepMs: v.step,
      extraColumns: v.extraColumns,
      format: v.format,
      seed: v.seed,
    }),
    run: async (o) => (await import('./commands/synth.js')).bess(o),
  }),
  declare({
    name: 'demo',
    description: 'run sort → build → merge → gaps --png → bess on a fresh copy of the bundled sample site and report',
    flags: {
      out: {
        flags: '-o, --out <dir>',
        description: 'where to put the demo site (default: a new temp folder)',
        type: folder().optional(),
      },
      ...JSON_FLAG,
    },
    examples: ['lptool demo', 'lptool demo --out /tmp/lptool-demo'],
    to: (v) => ({ out: v.out }),
    run: async (o) => (await import('./commands/demo.js')).run(o),
  }),
  declare({
    name: 'stats',
    description:
      'energy by direction, peaks, load factor, completeness, flow reversals, typical days; the coincident peak with lp/all.csv',
    argument: { spec: '<profiles...>', description: 'profile CSVs (lp/*.csv, lp/all.csv)', type: z.array(z.string()) },
    flags: {
      ...SITE,
      ...range('range start (local date/time or ISO)', 'range end, exclusive'),
      every: {
        flags: '--every <period>',
        description: 'one row per local month (1mo, as resample --every), or one for the range',
        type: oneOf(['1mo', 'all']).default('all'),
      },
      out: {
        flags: '-o, --out <file>',
        description: 'also write the table as CSV (- for stdout, instead of the text table); --png draws beside it',
        type: text(),
      },
      png: {
        flags: '--png',
        description:
          'draw the load duration curve and the typical days (beside --out, else in stats/ beside the first profile)',
        type: onOff(),
      },
    },
    renamed: {
      by: { flags: '--by <period>', now: 'every', value: (v) => (v === 'month' ? '1mo' : v) },
      csv: { flags: '--csv <file>', now: 'out' },
    },
    examples: [
      'lptool stats lp/*.csv',
      'lptool stats lp/north.csv lp/south.csv lp/all.csv --every 1mo --out /tmp/stats.csv',
      'lptool stats lp/all.csv --from 2024-07-01 --to 2024-08-01 --png',
    ],
    to: (v) => ({
      ...site(v),
      files: v.args,
      from: v.from,
      to: v.to,
      by: v.every === '1mo' ? ('month' as const) : ('all' as const),
      csv: stdoutOrFile(v),
      png: v.png,
      pictureDir: v.out && v.out !== '-' ? path.dirname(path.resolve(v.out)) : undefined,
    }),
    run: async (o) => (await import('./commands/stats.js')).stats(o),
  }),
  declare({
    name: 'report',
    description:
      'one HTML page for QA across the site: completeness, gaps, sort and build outcomes, each meter, the total, BESS',
    flags: {
      ...SITE,
      out: {
        flags: '-o, --out <dir>',
        description: 'report folder (default: lp/report/ of the root); an earlier report there is replaced',
        type: folder().optional(),
      },
      bess: {
        flags: '--bess <config>',
        description: 'show the outputs of this bess.yaml (default: bess.yaml or bess/bess.yaml of the root)',
        type: text(),
      },
      lockWait: lockWaitFlag('wait this long for another run on the same root'),
    },
    examples: [
      'lptool report',
      'lptool report --root /srv/meters --out /srv/share/qa',
      'lptool report --bess bess/bess.yaml --json',
    ],
    to: (v) => ({ ...site(v), out: v.out, bessConfig: v.bess, lockWaitMs: v.lockWait }),
    run: async (o) => (await import('./commands/report.js')).run(o),
  }),
  declare({
    name: 'resample',
    description:
      'roll a profile up to 1h, 1d or 1mo: mean MW/MVA, MWh by direction, PF from the sums, intervals present/expected',
    argument: {
      spec: '<profile>',
      description: 'a profile CSV (lp/<name>.csv or lp/all.csv); - reads it from stdin (then --out is needed)',
      type: z.string(),
    },
    flags: {
      ...SITE,
      every: {
        flags: '--every <bucket>',
        description: '1h, 1d, 1mo (local calendar), or a length that divides a day',
        type: text(),
      },
      ...range('first interval start to include (local date/time or ISO)', 'interval starts before this'),
      out: {
        flags: '-o, --out <file>',
        description: 'output file (default: resampled/<stem>_<bucket>.csv beside the profile; - for stdout)',
        type: text(),
      },
    },
    examples: [
      'lptool resample lp/north.csv --every 1d',
      'lptool resample lp/all.csv --every 1mo --from 2024-07-01 --out /tmp/monthly.csv',
      'lptool resample lp/north.csv --every 1h -o - | head',
    ],
    to: (v, note) => ({ ...site(v), file: v.args, ...bucketAndRange(v, note), out: stdoutOrFile(v) }),
    run: async (o) => (await import('./commands/stats.js')).resample(o),
  }),
  declare({
    name: 'init',
    description:
      'set up a site: lptool.yaml (zone, clock, interval), the site folders and meter-data.csv — only what is missing; asks on a terminal for what no flag gives',
    flags: SITE,
    examples: [
      'lptool init --root /srv/meters --tz America/Los_Angeles',
      'lptool init --root /tmp/site --tz Europe/Berlin --clock standard --interval 15m --json',
      'lptool init',
    ],
    to: site,
    run: async (o) => (await import('./commands/init.js')).run(o),
  }),
  declare({
    name: 'doctor',
    description:
      "the whole site at a glance — settings and their sources, the lock, the dropbox backlog, each command's last run, profiles against the archive, disk — and what is unhealthy, each with the command that fixes it (exit 1)",
    flags: {
      ...SITE,
      settle: {
        flags: '--settle <seconds>',
        description: "sort's --settle: files modified this recently are still being written",
        type: seconds('--settle').default('5'),
      },
      backlogAge: {
        flags: '--backlog-age <duration>',
        description: 'an export waiting in the dropbox longer than this is a backlog',
        type: duration('--backlog-age').default('15m'),
      },
      staleAfter: {
        flags: '--stale-after <duration>',
        description: "a profile whose last interval ends this much before the latest profile's has stopped",
        type: duration('--stale-after').default('1d'),
      },
    },
    examples: [
      'lptool doctor',
      'lptool doctor --root /srv/meters --json',
      'lptool doctor --backlog-age 1h',
      'lptool doctor --stale-after 2d',
    ],
    to: (v) => ({ ...site(v), settleMs: v.settle, backlogMs: v.backlogAge, staleMs: v.staleAfter }),
    run: async (o, io) => (await import('./commands/doctor.js')).run(o, io),
  }),
  declare({
    name: 'run',
    description:
      'the pipeline cron calls: sort → build → merge → gaps (→ bess with a bess.yaml) in one process under one lock; one summary, the worst exit code',
    flags: {
      ...SITE,
      settle: {
        flags: '--settle <seconds>',
        description: "sort's --settle: leave files changed in the last N seconds for the next run",
        type: seconds('--settle').default('5'),
      },
      bess: {
        flags: '--bess <config>',
        description: 'run bess with this bess.yaml (default: bess.yaml, else bess/bess.yaml of the root, when there)',
        type: text(),
      },
      report: {
        flags: '--report',
        description: 'then refresh the HTML report in lp/report/ (when this run changed something it shows)',
        type: onOff(),
      },
      lockWait: lockWaitFlag('wait this long for another run on the same root'),
    },
    examples: [
      'lptool run -q',
      'lptool run --root /srv/meters --verbose',
      'lptool run --json --settle 0',
      'lptool run -q --report',
    ],
    to: (v) => ({ ...site(v), settleMs: v.settle, bessConfig: v.bess, report: v.report, lockWaitMs: v.lockWait }),
    run: async (o, io) => (await import('./commands/run.js')).run(o, io),
  }),
];

/**
 * A command's options as the CLI gives them for these flags (commander's spelling: `settle: '0'`), defaults and
 * normalisation included: for callers that run a command as the CLI does (the demo).
 */
export function optionsOf<O>(name: string, flags: Record<string, unknown>, args?: unknown): O {
  const d = COMMANDS.find((c) => c.name === name);
  if (!d) throw new Error(`no command ${name} is declared`);
  return d.normalise(flags, args) as O;
}
