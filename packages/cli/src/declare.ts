/**
 * A command of the CLI as data: its name, help, flags (each with its zod type: default and normalisation),
 * examples, how the parsed flags become the command function's options, and the adapter that runs it.
 * `cli.ts` turns the table of these (`commands.ts`) into commander commands.
 */
import type { Command } from 'commander';
import { Option } from 'commander';
import { z } from 'zod';
import { onOff, usage, usageError } from './flags.js';
import type { CommandResult, Io } from './output.js';

/** A flag: commander's spelling (`--lock-wait <seconds>`), its help line, and its type. */
export interface FlagDecl {
  flags: string;
  description: string;
  type: z.ZodTypeAny;
}

/** A positional argument (`[profiles...]`, `<profile>`): commander's spelling, its help and its type. */
export interface ArgumentDecl {
  spec: string;
  description: string;
  type: z.ZodTypeAny;
}

/** An old spelling of a flag, still taken (hidden from --help) with a one-line note on stderr naming the new one. */
export interface RenamedFlag {
  flags: string;
  /** The key of the flag it became. */
  now: string;
  /** Its value in the new flag's words (`--by month` → `--every 1mo`). */
  value?: (v: string) => string;
}

type Shape = Record<string, FlagDecl>;
type Fixed = Record<string, z.ZodTypeAny>;
/** What the parsed flags are: each flag's normalised value, the fixed fields', and the argument's as `args`. */
type Values<F extends Shape, X extends Fixed, A extends ArgumentDecl | undefined> = {
  [K in keyof F]: z.output<F[K]['type']>;
} & { [K in keyof X]: z.output<X[K]> } & { args: A extends ArgumentDecl ? z.output<A['type']> : undefined };

export interface CommandDecl {
  /** `sort`, or `export parquet` for a subcommand. */
  name: string;
  description: string;
  argument?: ArgumentDecl;
  flags: Shape;
  renamed: Record<string, RenamedFlag>;
  examples: string[];
  /**
   * Commander's flags and arguments → the command function's options (throws LPT_USAGE naming a flag); notes for
   * the operator (a renamed flag's new name) are pushed to `notes`.
   */
  normalise: (raw: Record<string, unknown>, args: unknown, notes?: string[]) => unknown;
  run: (options: never, io: Io) => Promise<CommandResult>;
}

/** The output flags every command has: the CLI reads them (output.ts), the command functions never see them. */
export const OUTPUT_FLAGS: Shape = {
  quiet: {
    flags: '-q, --quiet',
    description: 'print nothing when nothing needs attention (problems still go to stderr; the exit code says all)',
    type: onOff(),
  },
  verbose: {
    flags: '-v, --verbose',
    description: 'print details a summary leaves out (e.g. the meters a build left unchanged)',
    type: onOff(),
  },
};

/** A parent command that only groups subcommands (`export`, `synth`). */
export interface GroupDecl {
  name: string;
  description: string;
  examples: string[];
}

/**
 * Declare a command: `to` maps the parsed flags (typed by their zod types) to the options `run` takes, so the
 * table is checked by the compiler from flag to command function.
 */
export function declare<
  F extends Shape,
  O,
  A extends ArgumentDecl | undefined = undefined,
  X extends Fixed = Record<never, never>,
>(d: {
  name: string;
  description: string;
  argument?: A;
  flags: F;
  renamed?: Record<string, RenamedFlag>;
  /** Fields that are not flags: a default the command always uses (merge waits for the lock as long as sort does). */
  fixed?: X;
  examples: string[];
  to: (v: Values<F, X, A>, note: (s: string) => void) => O;
  run: (options: O, io: Io) => Promise<CommandResult>;
}): CommandDecl {
  const shape: Record<string, z.ZodTypeAny> = { ...d.fixed };
  for (const [key, f] of Object.entries(d.flags)) shape[key] = f.type;
  if (d.argument) shape.args = d.argument.type;
  const schema = z.object(shape);
  return {
    name: d.name,
    description: d.description,
    ...(d.argument ? { argument: d.argument } : {}),
    flags: d.flags,
    renamed: d.renamed ?? {},
    examples: d.examples,
    normalise: (raw, args, notes = []) => {
      const r = schema.safeParse({
        ...renamedFlags(d.flags, d.renamed ?? {}, raw, notes),
        ...(d.argument ? { args } : {}),
      });
      if (!r.success) throw usageError(r.error);
      return d.to(r.data as Values<F, X, A>, (s) => notes.push(s));
    },
    run: d.run as CommandDecl['run'],
  };
}

/** The raw flags with each renamed flag given moved to the flag it became, and a note saying so. */
function renamedFlags(
  flags: Shape,
  renamed: Record<string, RenamedFlag>,
  raw: Record<string, unknown>,
  notes: string[],
): Record<string, unknown> {
  const out = { ...raw };
  for (const [key, r] of Object.entries(renamed)) {
    const old = out[key];
    delete out[key];
    if (old === undefined) continue;
    const oldFlag = new Option(r.flags, '').long!;
    const nowFlag = new Option(flags[r.now]!.flags, '').long!;
    // (commander fills in the new flag's default: that is not the operator giving both)
    if (out[r.now] !== undefined && out[r.now] !== unwrap(flags[r.now]!.type).defaultValue)
      throw usage(oldFlag, `expected ${nowFlag} alone (${oldFlag} is its old name), got both`);
    const value = r.value ? r.value(String(old)) : old;
    out[r.now] = value;
    notes.push(`${oldFlag} is now ${nowFlag}: use ${nowFlag} ${String(value)} (the old name will go)`);
  }
  return out;
}

/** The zod type inside optional/default wrappers, with the default (when there is one). */
function unwrap(type: z.ZodTypeAny): { inner: z.ZodTypeAny; defaultValue?: unknown; optional: boolean } {
  let t = type;
  let defaultValue: unknown;
  let optional = false;
  for (;;) {
    if (t instanceof z.ZodDefault) {
      defaultValue = t._def.defaultValue();
      optional = true;
      t = t._def.innerType;
    } else if (t instanceof z.ZodOptional) {
      optional = true;
      t = t._def.innerType;
    } else if (t instanceof z.ZodEffects) t = t._def.schema;
    else return { inner: t, defaultValue, optional };
  }
}

/**
 * A flag as commander's Option: choices from a zod enum, required when the type has neither a default nor
 * optional, and the default (shown in --help, then normalised by the type like a typed value) from the type.
 */
export function toOption(key: string, f: FlagDecl): Option {
  const { inner, defaultValue, optional } = unwrap(f.type);
  const option = new Option(f.flags, f.description);
  if (option.attributeName() !== key) throw new Error(`flag ${f.flags} is declared under ${key}`);
  if (inner instanceof z.ZodEnum) option.choices(inner._def.values as string[]);
  if (!option.isBoolean() && defaultValue !== undefined) option.default(defaultValue);
  if (!optional) option.makeOptionMandatory();
  return option;
}

/** A line per example, as commander shows them after the options. */
export function examples(lines: string[]): string {
  return `\nExamples:\n${lines.map((l) => `  $ ${l}`).join('\n')}\n`;
}

/** Adds a declared command (its flags, argument and examples) under `parent`. */
export function addCommand(parent: Command, name: string, d: CommandDecl | GroupDecl): Command {
  const cmd = parent.command(name).description(d.description);
  if ('flags' in d) {
    if (d.argument) cmd.argument(d.argument.spec, d.argument.description);
    for (const [key, f] of Object.entries(d.flags)) cmd.addOption(toOption(key, f));
    for (const [key, f] of Object.entries(OUTPUT_FLAGS)) if (!(key in d.flags)) cmd.addOption(toOption(key, f));
    for (const r of Object.values(d.renamed)) cmd.addOption(new Option(r.flags).hideHelp());
  }
  if (d.examples.length) cmd.addHelpText('after', examples(d.examples));
  return cmd;
}
