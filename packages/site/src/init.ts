import fs from 'node:fs';
import path from 'node:path';
import { LptError, machineTimeZone, parseDuration, SiteClock } from '@lptool/core';
import { checkSiteFolders, readYamlFile, SettingsFileSchema, siteLayout, writeFileNew } from '@lptool/io';

/** The settings `lptool init` writes into lptool.yaml. */
export interface InitSettings {
  timezone: string;
  clock: 'legal' | 'standard';
  interval: string;
}
type Key = keyof InitSettings;

export interface InitOptions {
  root: string;
  tz?: string | undefined;
  clock?: string | undefined;
  interval?: string | undefined;
  /** Ask for a value not given as a flag (the CLI passes one when stdin is a terminal); else the default is taken. */
  ask?: Prompter | undefined;
}

/** A terminal: `ask` resolves to the answer ('' = the default), or null at the end of input; `say` tells one line. */
export interface Prompter {
  ask: (question: string) => Promise<string | null>;
  say: (line: string) => void;
}

export interface InitSummary {
  root: string;
  /** Folders and files made by this run, relative to the root. */
  created: string[];
  /** What was there already and is left as it is. */
  existing: string[];
  settings: InitSettings;
  /** Where each setting came from: a flag, the answer to a question, a default, or the lptool.yaml that was there. */
  sources: Record<Key, 'flag' | 'answer' | 'default' | 'lptool.yaml'>;
  notes: string[];
  exitCode: 0;
}

const FOLDERS = ['_dropbox/KW', 'data/KW', 'lp', 'logs'];
export const METER_DATA_HEADER = 'meter,name,multiplier\n';

const QUESTIONS: Record<Key, string> = {
  timezone: "Time zone of the meters' wall clock (IANA name)",
  clock: 'Meter clock: legal (follows DST) or standard (standard offset all year)',
  interval: 'Interval length of the exports',
};

/** A setting checked and spelled as lptool.yaml keeps it (a zone in its canonical spelling); throws LptError (exit 2). */
export function checkSetting(key: Key, value: string, from = `--${key === 'timezone' ? 'tz' : key}`): string {
  const v = value.trim();
  if (key === 'timezone') {
    try {
      new SiteClock(v);
    } catch {
      throw new LptError(
        'LPT_BAD_TIMEZONE',
        `${from} — expected an IANA time zone like America/Los_Angeles, got ${JSON.stringify(value)}`,
        { key: from },
      );
    }
    // ICU's spelling when it differs only in case (america/new_york); else as typed: ICU's own name can be an older
    // one (Asia/Kolkata resolves to Asia/Calcutta), and the operator's spelling is the current IANA one
    const resolved = new Intl.DateTimeFormat('en-US', { timeZone: v }).resolvedOptions().timeZone;
    return resolved.toLowerCase() === v.toLowerCase() ? resolved : v;
  }
  if (key === 'clock') {
    if (v !== 'legal' && v !== 'standard')
      throw new LptError('LPT_CONFIG', `${from} — expected legal or standard, got ${JSON.stringify(value)}`, {
        key: from,
      });
    return v;
  }
  parseDuration(v, from);
  return v;
}

const DEFAULTS = (): InitSettings => ({ timezone: machineTimeZone(), clock: 'legal', interval: '15m' });

/**
 * `lptool init`: lptool.yaml (zone, clock, interval), the site folders and a meter-data.csv with its header —
 * each only where it is missing. Nothing is ever overwritten: an lptool.yaml that is there is kept, and a flag
 * that disagrees with it is exit 2 naming the key (the flag could not take effect).
 */
export async function init(options: InitOptions): Promise<InitSummary> {
  const layout = siteLayout(options.root);
  const summary: InitSummary = {
    root: layout.root,
    created: [],
    existing: [],
    settings: DEFAULTS(),
    sources: { timezone: 'default', clock: 'default', interval: 'default' },
    notes: [],
    exitCode: 0,
  };
  const flags: Partial<Record<Key, string>> = {
    ...(options.tz !== undefined ? { timezone: checkSetting('timezone', options.tz) } : {}),
    ...(options.clock !== undefined ? { clock: checkSetting('clock', options.clock) } : {}),
    ...(options.interval !== undefined ? { interval: checkSetting('interval', options.interval) } : {}),
  };
  if (fs.existsSync(layout.root)) checkSiteFolders(layout, ['dropbox', 'archive', 'lp', 'logs']);
  const yamlText = fs.existsSync(layout.settings) ? settingsFromFile(layout.settings, flags, summary) : null;
  if (yamlText === null) await settingsFromFlagsOrAnswers(flags, options.ask, summary);
  fs.mkdirSync(layout.root, { recursive: true });
  for (const rel of FOLDERS) {
    const full = path.join(layout.root, rel);
    if (fs.existsSync(full)) summary.existing.push(`${rel}/`);
    else {
      fs.mkdirSync(full, { recursive: true });
      summary.created.push(`${rel}/`);
    }
  }
  if (yamlText === null) fileOnce(layout.settings, settingsYaml(summary.settings), summary);
  else summary.existing.push('lptool.yaml');
  fileOnce(layout.meterData, METER_DATA_HEADER, summary);
  if (summary.created.includes('meter-data.csv'))
    summary.notes.push('meter-data.csv has only its header: add a line per meter (meter,name,multiplier)');
  return summary;
}

/** The lptool.yaml that is there: its values (defaults for keys it lacks), and no flag may disagree with it. */
function settingsFromFile(file: string, flags: Partial<Record<Key, string>>, summary: InitSummary): string {
  const have = readYamlFile(file, SettingsFileSchema, 'lptool.yaml');
  const yaml: Partial<Record<Key, string>> = {
    ...(have.timezone !== undefined ? { timezone: have.timezone } : {}),
    ...(have.clock !== undefined ? { clock: have.clock } : {}),
    ...(have.interval !== undefined ? { interval: String(have.interval) } : {}),
  };
  for (const key of Object.keys(QUESTIONS) as Key[]) {
    const flag = flags[key];
    const value = yaml[key];
    if (flag !== undefined && !sameSetting(key, flag, value))
      throw new LptError(
        'LPT_CONFIG',
        `lptool.yaml: ${key} — expected ${JSON.stringify(flag)} as given, got ${value === undefined ? 'no such key' : JSON.stringify(value)} in the lptool.yaml that is there; init never rewrites a file: edit it by hand`,
        { file, key },
      );
    if (value !== undefined) {
      (summary.settings as unknown as Record<Key, string>)[key] = value;
      summary.sources[key] = 'lptool.yaml';
    }
  }
  return fs.readFileSync(file, 'utf8');
}

function sameSetting(key: Key, flag: string, value: string | undefined): boolean {
  if (value === undefined) return false;
  if (key === 'interval') return parseDuration(flag) === parseDuration(value);
  if (key === 'timezone') {
    try {
      return checkSetting('timezone', value) === flag;
    } catch {
      return false;
    }
  }
  return flag === value;
}

/** Values from the flags; the others asked for (on a terminal) or their defaults. */
async function settingsFromFlagsOrAnswers(
  flags: Partial<Record<Key, string>>,
  ask: Prompter | undefined,
  summary: InitSummary,
): Promise<void> {
  for (const key of Object.keys(QUESTIONS) as Key[]) {
    const settings = summary.settings as unknown as Record<Key, string>;
    if (flags[key] !== undefined) {
      settings[key] = flags[key];
      summary.sources[key] = 'flag';
    } else if (ask) {
      settings[key] = await askUntilValid(ask, key, settings[key]);
      summary.sources[key] = 'answer';
    } else if (key === 'timezone') {
      summary.notes.push(
        `timezone ${settings[key]} is this machine's zone (no --tz given and no terminal to ask on): check it in lptool.yaml`,
      );
    }
  }
}

/** Ask for one setting until the answer is valid (an empty answer takes the default); end of input is exit 2. */
export async function askUntilValid(prompter: Prompter, key: Key, fallback: string): Promise<string> {
  for (;;) {
    const answer = await prompter.ask(`${QUESTIONS[key]} [${fallback}]: `);
    if (answer === null)
      throw new LptError(
        'LPT_USAGE',
        `init — expected an answer for ${key}, got the end of input; nothing was written`,
      );
    try {
      return checkSetting(key, answer.trim() === '' ? fallback : answer, key);
    } catch (e) {
      if (!(e instanceof LptError)) throw e;
      prompter.say(`lptool: ${e.toLine()}`);
    }
  }
}

function settingsYaml(s: InitSettings): string {
  return [
    `# lptool site settings, written by lptool init (${new Date().toISOString().slice(0, 10)}). A flag or LPTOOL_TZ /`,
    '# LPTOOL_CLOCK / LPTOOL_INTERVAL overrides them for one run; `lptool doctor` shows which applies.',
    `timezone: ${s.timezone} # IANA zone of the meters' wall clock`,
    `clock: ${s.clock} # legal (follows DST) or standard (the standard offset all year)`,
    `interval: ${s.interval} # interval length of the exports`,
    '',
  ].join('\n');
}

function fileOnce(file: string, text: string, summary: InitSummary): void {
  const rel = path.basename(file);
  if (writeFileNew(file, text)) summary.created.push(rel);
  else summary.existing.push(rel);
}

/** The summary for people: what was made, what was there, the settings. */
export function formatInitSummary(s: InitSummary): string {
  const lines = [`init ${s.root}:`];
  if (s.created.length) lines.push(`  created: ${s.created.join(', ')}`);
  if (s.existing.length) lines.push(`  already there (kept as it is): ${s.existing.join(', ')}`);
  if (!s.created.length) lines.push('  nothing to do: the site has everything init makes');
  const from = (k: Key) => (s.sources[k] === 'answer' ? '' : ` (${s.sources[k]})`);
  lines.push(
    `  timezone ${s.settings.timezone}${from('timezone')}, clock ${s.settings.clock}${from('clock')}, interval ${s.settings.interval}${from('interval')}`,
  );
  if (s.created.length)
    lines.push('  next: add the meters to meter-data.csv, deliver exports to _dropbox/KW/, run lptool sort');
  return `${lines.join('\n')}\n`;
}
