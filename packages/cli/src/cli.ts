import { ExitCode } from '@lptool/core';
import { beginRun, endRun, LPTOOL_VERSION } from '@lptool/io';
import { Command, CommanderError, Option } from 'commander';
import { type CommandResult, errorForLog, exitCodeFor, type Io } from './output.js';

type Opts = Record<string, unknown>;
type Action = (args: string[], opts: Opts, io: Io) => Promise<CommandResult>;

/** Options shared by the commands that work on a site root. */
function siteOptions(cmd: Command): Command {
  return cmd
    .option('--root <dir>', 'site root (default: $LPTOOL_ROOT, else the current directory)')
    .option('--tz <zone>', 'site time zone, IANA name (default: lptool.yaml, else the machine zone)')
    .addOption(
      new Option('--clock <mode>', 'meter clock: legal (follows DST) or standard (standard offset all year)').choices([
        'legal',
        'standard',
      ]),
    )
    .option('--interval <length>', 'interval length, e.g. 15m (default: lptool.yaml, else 15m)')
    .option('--json', 'print a machine-readable summary on stdout');
}

function examples(lines: string[]): string {
  return `\nExamples:\n${lines.map((l) => `  $ ${l}`).join('\n')}\n`;
}

/** Builds the `lptool` program. Command modules are imported only when run. */
export function buildProgram(io: Io, onResult: (r: CommandResult, opts: Opts) => void): Command {
  const program = new Command('lptool')
    .description('Meter interval exports → load profiles, feeder totals, gap QA and BESS energy.')
    .addHelpText(
      'after',
      '\nExit codes: 0 ok · 1 finished but rejected/flagged something · 2 usage or configuration error · 3 internal failure.\nSite root: --root DIR, else $LPTOOL_ROOT, else the current directory. `lptool <command> --help` shows examples.',
    )
    .version(LPTOOL_VERSION, '-V, --version')
    .showHelpAfterError('(run lptool --help for usage)')
    .configureOutput({ writeOut: (s) => io.out(s.replace(/\n$/, '')), writeErr: (s) => io.err(s.replace(/\n$/, '')) })
    .exitOverride();

  const wire = (cmd: Command, action: Action) =>
    cmd.action(async (...args: unknown[]) => {
      const command = args[args.length - 1] as Command;
      const opts = command.opts() as Opts;
      const positional = command.args;
      onResult(await action(positional, opts, io), opts);
    });

  wire(
    siteOptions(program.command('sort'))
      .description(
        'take in _dropbox/KW/: archive good exports by month, reject bad ones with the reason, skip re-deliveries',
      )
      .option('--dry-run', 'report what would happen; touch nothing')
      .option('--settle <seconds>', 'leave files changed in the last N seconds for the next run', '5')
      .option('--lock-wait <seconds>', 'wait this long for another run on the same root', '30')
      .addHelpText(
        'after',
        examples(['lptool sort', 'lptool sort --root /srv/meters --dry-run', 'lptool sort --json --settle 0']),
      ),
    async (a, o, i) => (await import('./commands/sort.js')).run(a, o, i),
  );
  wire(
    siteOptions(program.command('build'))
      .description('build lp/<name>.csv per meter from the archive and meter-data.csv')
      .option('--meter <name>', 'build only this meter (by name)')
      .option('--from <date>', 'first interval start to include (local date/time or ISO); needs --out')
      .option('--to <date>', 'interval starts before this (local date/time or ISO); needs --out')
      .option('--out <dir>', 'write the profiles here instead of lp/ (an extract; required with --from/--to)')
      .option('--allow-shrink', 'let a profile be replaced by one with fewer rows (else the old one is kept, exit 1)')
      .option('--legacy-net', 'MW_net = MW_del + MW_rec, as the older Python scripts wrote')
      .addOption(
        new Option('--on-bad-row <policy>', 'a bad row: skip it (exit 1) or fail the meter')
          .choices(['skip', 'fail'])
          .default('skip'),
      )
      .option('--full', 'rebuild every meter, not only those whose inputs changed')
      .option('--shard <K/N>', 'build only the meters whose id hashes to shard K of N (one of N machines)')
      .option('--lock-wait <seconds>', 'wait this long for another run on the same root', '30')
      .addHelpText(
        'after',
        examples([
          'lptool build',
          'lptool build --meter north --from 2024-07-01 --to 2024-08-01 --out /tmp/july',
          'lptool build --legacy-net --full',
          'lptool build --shard 2/3',
        ]),
      ),
    async (a, o, i) => (await import('./commands/build.js')).run(a, o, i),
  );
  wire(
    siteOptions(program.command('merge'))
      .description(
        'total the meters of meter-data.csv (lp/<name>.csv) into lp/all.csv; other CSVs in lp/ are named, never summed',
      )
      .option('--only <names>', 'comma-separated feeders to include')
      .option('--exclude <names>', 'comma-separated feeders to leave out')
      .option('--resample', 'bring profiles of different interval lengths to the coarsest')
      .option('--lock-wait <seconds>', 'wait this long for another run on the same root', '30')
      .addHelpText(
        'after',
        examples(['lptool merge', 'lptool merge --exclude test_feeder', 'lptool merge --only north,south']),
      ),
    async (a, o, i) => (await import('./commands/merge.js')).run(a, o, i),
  );
  wire(
    siteOptions(program.command('gaps'))
      .description(
        'find gaps, duplicates and out-of-order intervals in profiles; write <stem>_gaps.csv beside each (and a picture)',
      )
      .argument('[profiles...]', 'profile CSVs with Start Time and MW_net (default: every lp/*.csv of the root)')
      .option('--from <date>', 'range start (a hole before the first row counts from here)')
      .option('--to <date>', 'range end, exclusive (a hole after the last row counts up to here)')
      .option('--png', 'also draw <stem>_gaps.png: MW_net over time, gaps as red bands')
      .addOption(
        new Option('--format <format>', 'picture format (implies a picture)').choices(['png', 'svg', 'vl.json']),
      )
      .option('--width <px>', 'picture width', '1000')
      .option('--height <px>', 'picture height', '360')
      .option('--scale <n>', 'PNG pixel density', '1')
      .option('--partial-as-gap', 'all.csv: intervals with feeders_reporting < feeders_expected count as gaps')
      .option('--fail-on-gaps', 'exit 1 when any gap, duplicate or out-of-order row is found (for cron)')
      .addHelpText(
        'after',
        examples([
          'lptool gaps lp/south.csv --png',
          'lptool gaps lp/*.csv --fail-on-gaps --json',
          'lptool gaps lp/all.csv --partial-as-gap --from 2024-07-01 --to 2024-08-01',
          'lptool gaps old/north.csv --tz America/Los_Angeles --interval 15m --format svg',
        ]),
      ),
    async (a, o, i) => (await import('./commands/gaps.js')).run(a, o, i),
  );
  wire(
    program
      .command('bess')
      .description('BESS inverter DC power → daily energy per battery enclosure (SPEC §7)')
      .requiredOption('-c, --config <file>', 'bess.yaml (paths in it are relative to it)')
      .option('--out <dir>', "output folder instead of the config's output.dir")
      .option('--from <date>', 'first local day to include')
      .option('--to <date>', 'local day to stop before')
      .option('--tz <zone>', 'count calendar days in this zone instead of timestamp.timezone')
      .option('--json', 'print a machine-readable summary on stdout')
      .addHelpText(
        'after',
        examples([
          'lptool bess -c bess.yaml',
          'lptool bess -c site/bess.yaml --from 2024-04-01 --to 2024-05-01 --out /tmp/april',
          'lptool bess -c bess.yaml --json',
        ]),
      ),
    async (a, o, i) => (await import('./commands/bess.js')).run(a, o, i),
  );
  const exportCmd = program
    .command('export')
    .description('hand the profiles and the total to other engines: a Parquet dataset, or PostgreSQL tables')
    .addHelpText(
      'after',
      examples([
        'lptool export parquet',
        'lptool export postgres --url postgres://lptool:secret@localhost:5432/meters',
      ]),
    );
  wire(
    siteOptions(exportCmd.command('parquet'))
      .description(
        'write profiles/name=<name>/year=YYYY/ and system_total/year=YYYY/ Parquet partitions (zstd) and _lptool.json; only changed partitions are rewritten',
      )
      .option('--out <dir>', 'the dataset folder (default: export/parquet under the root)')
      .option('--shard <K/N>', "export only shard K of N's meters (as build --shard) and no system total")
      .option('--full', 'rewrite every partition, changed or not')
      .option('--lock-wait <seconds>', 'wait this long for another run on the same root or dataset', '30')
      .addHelpText(
        'after',
        examples([
          'lptool export parquet',
          'lptool export parquet --out /srv/lake/meters --shard 2/3',
          'lptool export parquet --json',
        ]),
      ),
    async (a, o, i) => (await import('./commands/export.js')).parquet(a, o, i),
  );
  wire(
    siteOptions(exportCmd.command('postgres'))
      .description(
        'load changed profiles (and the total) into lptool.profile_interval / lptool.system_total: COPY, then upsert, one transaction per meter',
      )
      .option('--url <url>', 'postgres://user:password@host:port/database (default: $LPTOOL_PG_URL)')
      .option('--shard <K/N>', "load only shard K of N's meters (as build --shard) and no system total")
      .option('--full', 'load every profile, changed or not')
      .option('--connect-timeout <seconds>', 'give up connecting after this long', '10')
      .option('--lock-wait <seconds>', 'wait this long for another run on the same root', '30')
      .addHelpText(
        'after',
        examples([
          'lptool export postgres --url postgres://lptool:secret@localhost:5432/meters',
          'LPTOOL_PG_URL=postgres://lptool:secret@localhost:5432/meters lptool export postgres --shard 1/3 --json',
        ]),
      ),
    async (a, o, i) => (await import('./commands/export.js')).postgres(a, o, i),
  );
  const synth = program
    .command('synth')
    .description('generate realistic sample sites and BESS telemetry, deterministically from --seed')
    .addHelpText(
      'after',
      examples([
        'lptool synth site --out /tmp/site --meters 5 --days 30 --gaps 2 --duplicates 1',
        'lptool synth bess --out /tmp/bess --inverters 20 --days 7 --extra-columns 900 --format parquet',
      ]),
    );
  wire(
    synth
      .command('site')
      .description(
        'a site root with meter-data.csv, lptool.yaml and raw exports in _dropbox/KW/ (faults listed in synth-manifest.json)',
      )
      .requiredOption('--out <dir>', 'where to create the site (a new or empty folder)')
      .option('--meters <n>', 'meters', '5')
      .option('--days <n>', 'local days', '28')
      .option('--start <date>', 'first local day', '2024-01-01')
      .option('--tz <zone>', 'site time zone', 'America/Los_Angeles')
      .addOption(new Option('--clock <mode>', 'meter clock').choices(['legal', 'standard']).default('legal'))
      .option('--interval <length>', 'interval length', '15m')
      .option('--file-days <n>', 'local days per export file', '7')
      .option('--seed <n>', 'random seed', '1')
      .option('--gaps <n>', 'export files never delivered', '0')
      .option('--sequence-errors <n>', 'export files with a row lost', '0')
      .option('--duplicates <n>', 'byte-identical re-deliveries', '0')
      .option('--overlaps <n>', 're-exports with a corrected value', '0')
      .option('--json', 'print the manifest on stdout')
      .addHelpText(
        'after',
        examples([
          'lptool synth site --out /tmp/site --meters 50 --days 365 --start 2023-01-01',
          'lptool synth site --out /tmp/dst --meters 3 --days 21 --start 2024-10-21 --file-days 1 --gaps 1 --sequence-errors 1 --duplicates 1 --overlaps 1',
        ]),
      ),
    async (a, o, i) => (await import('./commands/synth.js')).site(a, o, i),
  );
  wire(
    synth
      .command('bess')
      .description('wide BESS telemetry (CSV or Parquet) and a matching bess.yaml')
      .requiredOption('--out <dir>', 'where to write it')
      .option('--inverters <n>', 'inverters (two DC inputs each; 6 enclosures, 4 on every fourth)', '4')
      .option('--days <n>', 'local days', '7')
      .option('--start <date>', 'first local day', '2024-03-20')
      .option('--tz <zone>', 'time zone of the timestamps', 'Australia/Sydney')
      .option('--step <length>', 'sample step', '1m')
      .option('--extra-columns <n>', 'unrelated columns', '100')
      .addOption(new Option('--format <format>', 'file format').choices(['csv', 'parquet']).default('csv'))
      .option('--seed <n>', 'random seed', '1')
      .option('--json', 'print a summary on stdout')
      .addHelpText(
        'after',
        examples(['lptool synth bess --out /tmp/bess --inverters 20 --days 7 --extra-columns 900 --format parquet']),
      ),
    async (a, o, i) => (await import('./commands/synth.js')).bess(a, o, i),
  );
  wire(
    program
      .command('demo')
      .description('run sort → build → merge → gaps --png → bess on a fresh copy of the bundled sample site and report')
      .option('--out <dir>', 'where to put the demo site (default: a new temp folder)')
      .option('--json', 'print a machine-readable summary on stdout')
      .addHelpText('after', examples(['lptool demo', 'lptool demo --out /tmp/lptool-demo'])),
    async (a, o, i) => (await import('./commands/demo.js')).run(a, o, i),
  );
  wire(
    siteOptions(program.command('stats'))
      .description(
        'energy by direction, peaks, load factor, completeness, flow reversals, typical days; the coincident peak with lp/all.csv',
      )
      .argument('<profiles...>', 'profile CSVs (lp/*.csv, lp/all.csv)')
      .option('--from <date>', 'range start (local date/time or ISO)')
      .option('--to <date>', 'range end, exclusive')
      .addOption(
        new Option('--by <period>', 'one row per local month, or one for the range')
          .choices(['month', 'all'])
          .default('all'),
      )
      .option('--csv <file>', 'also write the table as CSV')
      .option('--png', 'draw the load duration curve and the typical days (stats/ beside the first profile)')
      .addHelpText(
        'after',
        examples([
          'lptool stats lp/*.csv',
          'lptool stats lp/north.csv lp/south.csv lp/all.csv --by month --csv /tmp/stats.csv',
          'lptool stats lp/all.csv --from 2024-07-01 --to 2024-08-01 --png',
        ]),
      ),
    async (a, o, i) => (await import('./commands/stats.js')).stats(a, o, i),
  );
  wire(
    siteOptions(program.command('report'))
      .description(
        'one HTML page for QA across the site: completeness, gaps, sort and build outcomes, each meter, the total, BESS',
      )
      .option('--out <dir>', 'report folder (default: lp/report/ of the root); an earlier report there is replaced')
      .option(
        '--bess <config>',
        'show the outputs of this bess.yaml (default: bess.yaml or bess/bess.yaml of the root)',
      )
      .option('--lock-wait <seconds>', 'wait this long for another run on the same root', '30')
      .addHelpText(
        'after',
        examples([
          'lptool report',
          'lptool report --root /srv/meters --out /srv/share/qa',
          'lptool report --bess bess/bess.yaml --json',
        ]),
      ),
    async (a, o, i) => (await import('./commands/report.js')).run(a, o, i),
  );
  wire(
    siteOptions(program.command('resample'))
      .description(
        'roll a profile up to 1h, 1d or 1mo: mean MW/MVA, MWh by direction, PF from the sums, intervals present/expected',
      )
      .argument('<profile>', 'a profile CSV (lp/<name>.csv or lp/all.csv)')
      .requiredOption('--to <bucket>', '1h, 1d, 1mo (local calendar), or a length that divides a day')
      .option('--out <file>', 'output file (default: resampled/<stem>_<bucket>.csv beside the profile)')
      .addHelpText(
        'after',
        examples([
          'lptool resample lp/north.csv --to 1d',
          'lptool resample lp/all.csv --to 1mo --out /tmp/monthly.csv',
        ]),
      ),
    async (a, o, i) => (await import('./commands/stats.js')).resample(a, o, i),
  );
  wire(
    siteOptions(program.command('init'))
      .description(
        'set up a site: lptool.yaml (zone, clock, interval), the site folders and meter-data.csv — only what is missing; asks on a terminal for what no flag gives',
      )
      .addHelpText(
        'after',
        examples([
          'lptool init --root /srv/meters --tz America/Los_Angeles',
          'lptool init --root /tmp/site --tz Europe/Berlin --clock standard --interval 15m --json',
          'lptool init',
        ]),
      ),
    async (a, o, i) => (await import('./commands/init.js')).run(a, o, i),
  );
  wire(
    siteOptions(program.command('doctor'))
      .description(
        "the whole site at a glance — settings and their sources, the lock, the dropbox backlog, each command's last run, profiles against the archive, disk — and what is unhealthy, each with the command that fixes it (exit 1)",
      )
      .option('--settle <seconds>', "sort's --settle: files modified this recently are still being written", '5')
      .option('--backlog-age <duration>', 'an export waiting in the dropbox longer than this is a backlog', '15m')
      .addHelpText(
        'after',
        examples(['lptool doctor', 'lptool doctor --root /srv/meters --json', 'lptool doctor --backlog-age 1h']),
      ),
    async (a, o, i) => (await import('./commands/doctor.js')).run(a, o, i),
  );
  return program;
}

/** Runs the CLI; resolves to the exit code. */
export async function main(
  argv: string[],
  io: Io = { out: (s) => process.stdout.write(`${s}\n`), err: (s) => process.stderr.write(`${s}\n`) },
): Promise<number> {
  let code: number = ExitCode.ok;
  const program = buildProgram(io, (r, opts) => {
    for (const w of r.warnings ?? []) io.err(`lptool: warning: ${w}`);
    for (const n of r.notes ?? []) io.err(`lptool: note: ${n}`);
    if (opts.json) io.out(JSON.stringify(r.json, null, 2));
    else if (r.text) io.out(r.text.replace(/\n$/, ''));
    code = r.exitCode;
  });
  beginRun(); // one run id for the lines this command logs; its logs' end events get the exit code (io/log.ts)
  try {
    await program.parseAsync(argv, { from: 'user' });
    endRun(code);
    return code;
  } catch (e) {
    if (e instanceof CommanderError) {
      if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help')
        return ExitCode.ok;
      return ExitCode.usage; // commander already printed the message
    }
    const exit = exitCodeFor(e, io);
    endRun(exit, errorForLog(e));
    return exit;
  }
}
