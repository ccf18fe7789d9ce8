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

/** Turns a zod error into one LptError naming the key and what was expected. */
export function zodToLptError(error: z.ZodError, file: string): LptError {
  const issue = error.issues[0]!;
  const key = issue.path.join('.') || '(top level)';
  let msg = issue.message;
  if (issue.code === 'unrecognized_keys') msg = `unknown key(s) ${issue.keys.join(', ')}`;
  return new LptError('LPT_CONFIG', `${file}: ${key} — ${msg}`, { file, key }, { issues: error.issues });
}

/** Reads and validates a YAML file into a schema's type. */
export function readYamlFile<S extends z.ZodTypeAny>(file: string, schema: S, displayName = file): z.infer<S> {
  let data: unknown;
  try {
    data = parseYaml(readFileSync(file, 'utf8')) ?? {};
  } catch (e) {
    throw new LptError('LPT_CONFIG', `${displayName}: not valid YAML — ${(e as Error).message.split('\n')[0]}`, {
      file: displayName,
    });
  }
  const r = schema.safeParse(data);
  if (!r.success) throw zodToLptError(r.error, displayName);
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
