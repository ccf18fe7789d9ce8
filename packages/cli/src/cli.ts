import { ExitCode, isLptError } from '@lptool/core';
import { beginRun, endRun, explainSystemError, LPTOOL_VERSION, takeRunWarnings } from '@lptool/io';
import { Command, CommanderError, Option } from 'commander';
import { z } from 'zod';
import { COMMANDS, GROUPS, SITE } from './commands.js';
import { addCommand, type CommandDecl, OUTPUT_FLAGS, toOption } from './declare.js';
import { usage } from './flags.js';
import { jsonError, jsonOutput } from './json.js';
import { type CommandResult, emitResult, errorForLog, exitCodeFor, type Io, type OutputMode } from './output.js';

type Opts = Record<string, unknown>;

/** The top of `lptool --help`. */
const PROGRAM_HELP =
  '\nExit codes: 0 ok · 1 finished but rejected/flagged something · 2 usage or configuration error · 3 internal failure.\nSite root: -r/--root DIR, else $LPTOOL_ROOT, else the current directory. The site options (--root, --tz, --clock,\n--interval, --json) and -q/-v go before the command or after it: `lptool --root /srv/meters sort`.\n`lptool <command> --help` shows examples.';

/**
 * The site options given before the command (`lptool --root DIR sort`, as git's -C) joined to the command's own:
 * given on both sides, the command's side wins (it is the nearer); given for a command that has no such option, exit 2.
 */
function withSiteOptions(program: Opts, own: Opts, d: CommandDecl): Opts {
  const opts = { ...own };
  for (const [key, value] of Object.entries(program)) {
    if (value === undefined) continue;
    // -q/-v before the command (`lptool -q run`, as a crontab line may say it): every command has them
    if (key in OUTPUT_FLAGS) {
      if (value === true) opts[key] = true;
      continue;
    }
    if (!(key in d.flags)) {
      const flag = new Option(SITE[key as keyof typeof SITE].flags, '').long!;
      throw usage(
        flag,
        `expected an option that lptool ${d.name} takes, got one it does not (given before the command)`,
      );
    }
    // synth's --tz/--interval are the sample site's own, with defaults: the site's option must not vanish into them
    if (key !== 'json' && d.flags[key] !== SITE[key as keyof typeof SITE]) {
      const flag = new Option(SITE[key as keyof typeof SITE].flags, '').long!;
      throw usage(
        flag,
        `expected it after the command: lptool ${d.name} has its own ${flag}, not the site's (given before the command)`,
      );
    }
    if (opts[key] === undefined) opts[key] = value;
  }
  return opts;
}

/** Builds the `lptool` program from the declarations. Command modules are imported only when run. */
export function buildProgram(
  io: Io,
  onResult: (r: CommandResult, opts: Opts, command: string) => void,
  onStart: (command: string, opts: Opts) => void = () => {},
): Command {
  const program = new Command('lptool')
    .description('Meter interval exports → load profiles, feeder totals, gap QA and BESS energy.')
    .addHelpText('after', PROGRAM_HELP)
    .version(LPTOOL_VERSION, '-V, --version')
    // commander's own usage errors are said by main, as every error is: `lptool: LPT_USAGE: …` (usageLine)
    .configureOutput({
      writeOut: (s) => io.out(s.replace(/\n$/, '')),
      writeErr: (s) => io.err(s.replace(/\n$/, '')),
      outputError: () => {},
    })
    .exitOverride()
    .enablePositionalOptions();
  for (const [key, f] of Object.entries({ ...SITE, ...OUTPUT_FLAGS })) program.addOption(toOption(key, f));
  const groups = new Map<string, Command>();
  for (const d of COMMANDS) {
    const [first, sub] = d.name.split(' ') as [string, string | undefined];
    let parent = program;
    if (sub) {
      if (!groups.has(first)) groups.set(first, addCommand(program, first, GROUPS.find((g) => g.name === first)!));
      parent = groups.get(first)!;
    }
    addCommand(parent, sub ?? first, d).action(async (...params: unknown[]) => {
      const command = params[params.length - 1] as Command;
      onStart(d.name, { json: program.opts().json ?? command.opts().json });
      const opts = withSiteOptions(program.opts(), command.opts(), d);
      const args = d.argument?.type instanceof z.ZodArray ? command.args : command.args[0];
      io.mode = outputMode(opts);
      const notes: string[] = [];
      const options = d.normalise(opts, args, notes);
      // a renamed flag's note is said also under --quiet: the crontab line needs editing before the old name goes
      for (const n of notes) io.err(`lptool: note: ${n}`);
      onResult(await d.run(options as never, io), opts, d.name);
    });
  }
  return program;
}

/** The output flags of a command line (commander's values). */
function outputMode(opts: Opts): OutputMode {
  return { quiet: opts.quiet === true, verbose: opts.verbose === true, json: opts.json === true };
}

/** Warnings said once per run (the machine's zone used): on stderr in every mode, after the command's own lines. */
function flushRunWarnings(io: Io): void {
  for (const w of takeRunWarnings()) io.err(`lptool: warning: ${w}`);
}

/** An error as JSON gives it: its code, and the line stderr shows after the code (with where, when it says). */
function errorForJson(e: unknown): { code: string; message: string } {
  const known = explainSystemError(e) ?? (isLptError(e) ? e : null);
  if (known) return { code: known.code, message: known.toLine().slice(known.code.length + 2) };
  return errorForLog(e);
}

/** The words before `--`: a usage error commander raised happened before any command ran. */
const words = (argv: string[]) => (argv.includes('--') ? argv.slice(0, argv.indexOf('--')) : argv);
const jsonAsked = (argv: string[]) => words(argv).includes('--json');

/** The declared command named in argv (`export parquet`), for a usage error's JSON; `lptool` when none is. */
function commandOf(argv: string[]): string {
  const w = words(argv);
  const found = COMMANDS.map((d) => d.name.split(' ')).find((name) => {
    const at = w.indexOf(name[0]!);
    return at >= 0 && name.every((part, k) => w[at + k] === part);
  });
  return found ? found.join(' ') : 'lptool';
}

/**
 * A usage error commander found (an unknown option or command, a missing argument) as the one line lptool says
 * after `LPT_USAGE: `, commander's help kept: `unknown option '--frm' — did you mean --from? (run lptool stats
 * --help for usage)`.
 */
function usageLine(e: CommanderError, argv: string[]): string {
  const [first = '', ...more] = e.message.replace(/^error: /, '').split('\n');
  const hints = more
    .map((l) => l.trim().replace(/^\((.*)\)$/, '$1'))
    .filter((l) => l !== '')
    .map((l) => l[0]!.toLowerCase() + l.slice(1));
  const command = commandOf(argv);
  const help = command === 'lptool' ? 'lptool --help' : `lptool ${command} --help`;
  return `${[first.trim(), ...hints].join(' — ')} (run ${help} for usage)`;
}

/** Runs the CLI; resolves to the exit code. */
export async function main(
  argv: string[],
  io: Io = {
    out: (s) => process.stdout.write(`${s}\n`),
    err: (s) => process.stderr.write(`${s}\n`),
    progressStream: process.stderr,
  },
): Promise<number> {
  let code: number = ExitCode.ok;
  // the command being run and whether it was asked for JSON: an error then is JSON on stdout too
  let running: { command: string; json: boolean } | undefined;
  const program = buildProgram(
    io,
    (r, opts, command) => {
      const mode = outputMode(opts);
      // the JSON keys only when JSON is asked for (a sort of thousands of files: ≈ 0.1 CPU-s)
      emitResult({ ...r, json: mode.json ? jsonOutput(command, r.json, r.exitCode) : r.json }, mode, io);
      code = r.exitCode;
    },
    (command, opts) => {
      running = { command, json: Boolean(opts.json) };
    },
  );
  const failedAsJson = (error: { code: string; message: string }, exit: number) => {
    const asked = running ?? { command: commandOf(argv), json: jsonAsked(argv) };
    if (asked.json) io.out(JSON.stringify(jsonError(asked.command, error, exit), null, 2));
  };
  beginRun(); // one run id for the lines this command logs; its logs' end events get the exit code (io/log.ts)
  takeRunWarnings(); // a new run: what an earlier run in this process said may be said again
  try {
    await program.parseAsync(argv, { from: 'user' });
    flushRunWarnings(io);
    endRun(code);
    return code;
  } catch (e) {
    flushRunWarnings(io);
    if (e instanceof CommanderError) {
      if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help')
        return ExitCode.ok;
      const message = usageLine(e, argv);
      io.err(`lptool: LPT_USAGE: ${message}`);
      failedAsJson({ code: 'LPT_USAGE', message }, ExitCode.usage);
      return ExitCode.usage;
    }
    const exit = exitCodeFor(e, io);
    endRun(exit, errorForLog(e));
    failedAsJson(errorForJson(e), exit);
    return exit;
  }
}
