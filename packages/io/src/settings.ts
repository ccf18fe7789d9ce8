import { existsSync, readFileSync } from 'node:fs';
import { type ClockMode, LptError, machineTimeZone, parseDuration, SiteClock } from '@lptool/core';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';

/** Site settings after normalisation. */
export interface Settings {
  timezone: string;
  clock: ClockMode;
  intervalMs: number;
  /** Where each setting came from, for the run log. */
  sources: Record<'timezone' | 'clock' | 'interval', 'flag' | 'env' | 'lptool.yaml' | 'default'>;
}

/** Settings given on the command line (undefined = not given). */
export interface SettingFlags {
  tz?: string | undefined;
  clock?: string | undefined;
  interval?: string | undefined;
}

const durationText = z.union([z.string(), z.number()]);

/** `lptool.yaml`: every key optional; unknown keys are errors (a typo must not be ignored). */
export const SettingsFileSchema = z
  .object({
    timezone: z.string().min(1).optional(),
    clock: z.enum(['legal', 'standard']).optional(),
    interval: durationText.optional(),
  })
  .strict();

/** A zod type name as an operator reads it. */
const KINDS: Record<string, string> = {
  object: 'a section of keys',
  string: 'text',
  number: 'a number',
  integer: 'a whole number',
  array: 'a list',
  boolean: 'true or false',
  undefined: 'nothing',
  null: 'an empty value',
};
const kind = (t: string) => KINDS[t] ?? t;

/** A value as the message shows it: `"lega"`, `5`, `a list`, or `nothing`. */
function shownValue(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') return JSON.stringify(v);
  return Array.isArray(v) ? 'a list' : v === null ? 'an empty value' : 'a section of keys';
}

/** The value at a zod issue's path in the data that was checked. */
function valueAt(data: unknown, keys: (string | number)[]): unknown {
  let v = data;
  for (const k of keys) v = v !== null && typeof v === 'object' ? (v as Record<string, unknown>)[k] : undefined;
  return v;
}

/** One zod issue as `expected X, got Y` (zod's own text only for what it already phrases that way). */
function expectedGot(issue: z.ZodIssue, data: unknown): string {
  const got = shownValue(valueAt(data, issue.path));
  switch (issue.code) {
    case 'invalid_type':
      return `expected ${kind(issue.expected)}, got ${issue.received === 'undefined' ? 'nothing' : `${kind(issue.received)} (${got})`}`;
    case 'invalid_enum_value':
      return `expected one of ${issue.options.map((o) => JSON.stringify(o)).join(', ')}, got ${got}`;
    case 'invalid_literal':
      return `expected ${JSON.stringify(issue.expected)}, got ${got}`;
    case 'unrecognized_keys':
      return `expected only keys lptool knows, got unknown key(s) ${issue.keys.join(', ')}`;
    case 'too_small':
      return `expected ${issue.type === 'string' ? 'text that is not empty' : `at least ${issue.minimum}`}, got ${got}`;
    case 'too_big':
      return `expected at most ${issue.maximum}, got ${got}`;
    default:
      return /^expected /i.test(issue.message) ? issue.message : `expected ${issue.message.toLowerCase()}, got ${got}`;
  }
}

/** Turns a zod error into one LptError naming the key: `file: key — expected X, got Y` (with the file and key after). */
export function zodToLptError(error: z.ZodError, file: string, data?: unknown): LptError {
  const issue = error.issues[0]!;
  const key = issue.path.join('.') || '(top level)';
  const msg = issue.code === 'custom' ? issue.message : expectedGot(issue, data);
  return new LptError('LPT_CONFIG', `${file}: ${key} — ${msg}`, { file, key }, { issues: error.issues });
}

/** A line of a flat YAML file: `key: value`, maybe a comment after it (see flatYaml). */
const FLAT_LINE = /^([a-z][a-z0-9_]*): +([A-Za-z_][A-Za-z0-9_/+.-]*|[1-9][0-9]*[a-z]+|0|[1-9][0-9]{0,14})(?: +#.*)? *$/;
/** Plain words YAML's core schema reads as something other than text. */
const NOT_TEXT = new Set(['null', 'Null', 'NULL', 'true', 'True', 'TRUE', 'false', 'False', 'FALSE']);

/**
 * A flat YAML file as lptool init writes lptool.yaml — `key: value` lines, comments and blank lines, with
 * values that are plain words, lengths such as `15m` or whole numbers — read without the YAML parser (its
 * first use costs ~5 ms of every command's start). Null for anything else (quotes, nesting, tabs, CR, a
 * repeated key …): the YAML parser reads those. For what it accepts it gives what the parser gives.
 */
export function flatYaml(text: string): Record<string, string | number> | null {
  const out: Record<string, string | number> = {};
  for (const line of text.split('\n')) {
    if (/^ *(#.*)?$/.test(line)) continue;
    const m = FLAT_LINE.exec(line);
    if (!m) return null;
    const [, key, value] = m as unknown as [string, string, string];
    if (NOT_TEXT.has(key) || NOT_TEXT.has(value) || Object.hasOwn(out, key)) return null;
    out[key] = /^[0-9]+$/.test(value) ? Number(value) : value;
  }
  return out;
}

/** Reads and validates a YAML file into a schema's type. */
export function readYamlFile<S extends z.ZodTypeAny>(file: string, schema: S, displayName = file): z.infer<S> {
  let data: unknown;
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const got =
      code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'a folder' : `a file that cannot be read (${code})`;
    throw new LptError('LPT_CONFIG', `${displayName} — expected a YAML file, got ${got} at ${file}`, {
      file: displayName,
    });
  }
  try {
    data = flatYaml(text) ?? parseYaml(text) ?? {};
  } catch (e) {
    throw new LptError('LPT_CONFIG', `${displayName}: not valid YAML — ${(e as Error).message.split('\n')[0]}`, {
      file: displayName,
    });
  }
  const r = schema.safeParse(data);
  if (!r.success) throw zodToLptError(r.error, displayName, data);
  return r.data;
}

const FLAG_NAMES = { timezone: 'tz', clock: 'clock', interval: 'interval' } as const;
const FLAG_EXAMPLES = {
  timezone: 'an IANA zone such as America/Los_Angeles',
  clock: 'legal or standard',
  interval: 'a length such as 15m',
} as const;

/**
 * Resolve settings: command-line flag > environment (`LPTOOL_TZ`, `LPTOOL_CLOCK`,
 * `LPTOOL_INTERVAL`) > `lptool.yaml` > default (machine zone, legal clock, 15m).
 */
export function loadSettings(
  settingsFile: string,
  flags: SettingFlags = {},
  env: NodeJS.ProcessEnv = process.env,
): Settings {
  const file = existsSync(settingsFile) ? readYamlFile(settingsFile, SettingsFileSchema, 'lptool.yaml') : {};
  const sources = {} as Settings['sources'];
  const pick = <T>(
    key: keyof Settings['sources'],
    flag: T | undefined,
    envValue: T | undefined,
    fileValue: T | undefined,
    def: () => T,
  ): T => {
    const layers: [Settings['sources'][typeof key], T | undefined][] = [
      ['flag', flag],
      ['env', envValue],
      ['lptool.yaml', fileValue],
    ];
    // a flag given empty (`--tz ''`, a script's unset variable) is a mistake, not "not given": it is never ignored
    if (typeof flag === 'string' && flag.trim() === '')
      throw new LptError(
        'LPT_USAGE',
        `--${FLAG_NAMES[key]} — expected a value (${FLAG_EXAMPLES[key]}), got an empty one; leave the flag out for lptool.yaml's or the default`,
        { key: `--${FLAG_NAMES[key]}` },
      );
    for (const [source, value] of layers) {
      if (value !== undefined && value !== '') {
        sources[key] = source;
        return value;
      }
    }
    sources[key] = 'default';
    return def();
  };
  const timezone = pick('timezone', flags.tz, env.LPTOOL_TZ, file.timezone, machineTimeZone);
  const clockText = pick('clock', flags.clock, env.LPTOOL_CLOCK, file.clock, () => 'legal');
  if (clockText !== 'legal' && clockText !== 'standard') {
    throw new LptError(
      'LPT_CONFIG',
      `clock — expected legal or standard, got ${JSON.stringify(clockText)} (from ${sources.clock})`,
      { key: 'clock' },
    );
  }
  const intervalText = pick<string | number>(
    'interval',
    flags.interval,
    env.LPTOOL_INTERVAL,
    file.interval,
    () => '15m',
  );
  const intervalMs = parseDuration(intervalText, sources.interval === 'flag' ? '--interval' : 'interval');
  // validate the zone now, with the source named
  try {
    new SiteClock(timezone);
  } catch (e) {
    if (e instanceof LptError)
      throw new LptError(e.code, `${e.message} (from ${sources.timezone})`, { key: 'timezone' });
    throw e;
  }
  return { timezone, clock: clockText, intervalMs, sources };
}
