import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { type LptError, machineTimeZone } from '@lptool/core';
import { loadSettings } from '@lptool/io';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { init, METER_DATA_HEADER, type Prompter } from './init.js';

let dir: string;
let root: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lpt-init-'));
  root = path.join(dir, 'site');
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

/** Every file and folder under the root with its bytes (folders end in /). */
function tree(at = root): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string, rel: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) {
        out[`${r}/`] = '';
        walk(path.join(d, e.name), r);
      } else out[r] = fs.readFileSync(path.join(d, e.name), 'utf8');
    }
  };
  if (fs.existsSync(at)) walk(at, '');
  return out;
}

async function rejects(p: Promise<unknown>, code: string, msg: RegExp): Promise<LptError> {
  try {
    await p;
  } catch (e) {
    expect((e as LptError).code).toBe(code);
    expect((e as LptError).toLine()).toMatch(msg);
    return e as LptError;
  }
  throw new Error('expected an LptError');
}

/** A terminal that answers from a list (null: the end of input) and records what it was told. */
function fakeTerminal(answers: (string | null)[]): Prompter & { asked: string[]; told: string[] } {
  const asked: string[] = [];
  const told: string[] = [];
  return {
    asked,
    told,
    ask: async (q) => {
      asked.push(q);
      return answers.length ? answers.shift()! : null;
    },
    say: (l) => told.push(l),
  };
}

describe('lptool init — from flags', () => {
  it('writes lptool.yaml, the site folders and meter-data.csv; the settings load as given', async () => {
    const s = await init({ root, tz: 'Europe/Berlin', clock: 'standard', interval: '5m' });
    expect(s.created).toEqual(['_dropbox/KW/', 'data/KW/', 'lp/', 'logs/', 'lptool.yaml', 'meter-data.csv']);
    expect(s.existing).toEqual([]);
    expect(s.sources).toEqual({ timezone: 'flag', clock: 'flag', interval: 'flag' });
    expect(Object.keys(tree()).sort()).toEqual(
      ['_dropbox/', '_dropbox/KW/', 'data/', 'data/KW/', 'logs/', 'lp/', 'lptool.yaml', 'meter-data.csv'].sort(),
    );
    expect(tree()['meter-data.csv']).toBe(METER_DATA_HEADER);
    const settings = loadSettings(path.join(root, 'lptool.yaml'), {}, {});
    expect(settings).toMatchObject({ timezone: 'Europe/Berlin', clock: 'standard', intervalMs: 300_000 });
    expect(settings.sources).toEqual({ timezone: 'lptool.yaml', clock: 'lptool.yaml', interval: 'lptool.yaml' });
  });

  it.each([
    ['america/los_angeles', 'America/Los_Angeles'],
    ['Asia/Kolkata', 'Asia/Kolkata'], // not ICU's older Asia/Calcutta
    ['Europe/Kyiv', 'Europe/Kyiv'],
  ])('zone %s is written as %s', async (given, written) => {
    await init({ root, tz: given });
    expect(loadSettings(path.join(root, 'lptool.yaml'), {}, {}).timezone).toBe(written);
  });

  it.each([
    [
      'an unknown zone',
      { tz: 'Mars/Olympus' },
      'LPT_BAD_TIMEZONE',
      /--tz — expected an IANA time zone .*got "Mars\/Olympus"/,
    ],
    ['a bad interval', { interval: 'often' }, 'LPT_BAD_DURATION', /--interval — expected a duration/],
    ['a bad clock', { clock: 'summer' }, 'LPT_CONFIG', /--clock — expected legal or standard, got "summer"/],
  ])('%s is exit 2 and nothing is made', async (_what, flags, code, msg) => {
    const e = await rejects(init({ root, ...flags }), code, msg);
    expect(e.exitCode).toBe(2);
    expect(fs.existsSync(root)).toBe(false);
  });

  it('never overwrites: a second run makes nothing and changes nothing', async () => {
    await init({ root, tz: 'Europe/Berlin' });
    const before = tree();
    const mtime = fs.statSync(path.join(root, 'lptool.yaml')).mtimeMs;
    const s = await init({ root, tz: 'Europe/Berlin' });
    expect(s.created).toEqual([]);
    expect(s.existing).toHaveLength(6);
    expect(tree()).toEqual(before);
    expect(fs.statSync(path.join(root, 'lptool.yaml')).mtimeMs).toBe(mtime);
  });

  it('on a site made by hand it adds only what is missing and keeps the rest byte for byte', async () => {
    fs.mkdirSync(path.join(root, 'lp'), { recursive: true });
    fs.writeFileSync(path.join(root, 'lp', 'north.csv'), 'x\n');
    fs.writeFileSync(path.join(root, 'meter-data.csv'), 'meter,name,multiplier\n1,north,2\n');
    fs.writeFileSync(path.join(root, 'lptool.yaml'), 'timezone: Australia/Sydney\n');
    const s = await init({ root });
    expect(s.created).toEqual(['_dropbox/KW/', 'data/KW/', 'logs/']);
    expect(s.existing).toEqual(['lp/', 'lptool.yaml', 'meter-data.csv']);
    expect(s.settings).toEqual({ timezone: 'Australia/Sydney', clock: 'legal', interval: '15m' });
    expect(s.sources).toEqual({ timezone: 'lptool.yaml', clock: 'default', interval: 'default' });
    expect(tree()['meter-data.csv']).toBe('meter,name,multiplier\n1,north,2\n');
    expect(tree()['lptool.yaml']).toBe('timezone: Australia/Sydney\n');
    expect(tree()['lp/north.csv']).toBe('x\n');
  });

  it('a flag that disagrees with the lptool.yaml there is exit 2 naming the file and key; the same value is fine', async () => {
    fs.mkdirSync(root);
    fs.writeFileSync(path.join(root, 'lptool.yaml'), 'timezone: Australia/Sydney\ninterval: 15\n');
    const e = await rejects(
      init({ root, tz: 'Europe/Berlin' }),
      'LPT_CONFIG',
      /^LPT_CONFIG: lptool\.yaml: timezone — expected "Europe\/Berlin" as given, got "Australia\/Sydney" in the lptool\.yaml that is there; init never rewrites a file: edit it by hand \(.*lptool\.yaml, key timezone\)$/,
    );
    expect(e.exitCode).toBe(2);
    await rejects(
      init({ root, clock: 'standard' }),
      'LPT_CONFIG',
      /clock — expected "standard" as given, got no such key/,
    );
    expect(fs.readdirSync(root)).toEqual(['lptool.yaml']); // nothing made
    const s = await init({ root, tz: 'australia/sydney', interval: '15m' }); // 15 (minutes) is 15m
    expect(s.created).toContain('logs/');
  });

  it('an lptool.yaml that is not valid is exit 2, as for every command', async () => {
    fs.mkdirSync(root);
    fs.writeFileSync(path.join(root, 'lptool.yaml'), 'timezone: [\n');
    await rejects(init({ root }), 'LPT_CONFIG', /lptool\.yaml: not valid YAML/);
  });

  it('a symlink where a site folder belongs is exit 2 (LPT_SITE_LAYOUT), nothing made', async () => {
    fs.mkdirSync(root);
    fs.symlinkSync(dir, path.join(root, 'lp'));
    await rejects(init({ root, tz: 'UTC' }), 'LPT_SITE_LAYOUT', /site folder lp — expected a folder, got a symlink/);
    expect(fs.readdirSync(root)).toEqual(['lp']);
  });

  it("without a flag and without a terminal the machine's zone is written, with a note", async () => {
    const s = await init({ root });
    expect(s.settings.timezone).toBe(machineTimeZone());
    expect(s.notes[0]).toMatch(/is this machine's zone \(no --tz given and no terminal to ask on\)/);
  });
});

describe('lptool init — asked on a terminal (the prompts are tested here with a fake terminal)', () => {
  it('asks only for what no flag gave, with defaults; a wrong answer is said and asked again', async () => {
    const t = fakeTerminal(['Mars/Olympus', ' europe/berlin ', '']);
    const s = await init({ root, interval: '5m', ask: t });
    expect(t.asked).toEqual([
      `Time zone of the meters' wall clock (IANA name) [${machineTimeZone()}]: `,
      `Time zone of the meters' wall clock (IANA name) [${machineTimeZone()}]: `,
      'Meter clock: legal (follows DST) or standard (standard offset all year) [legal]: ',
    ]);
    expect(t.told).toEqual([
      'lptool: LPT_BAD_TIMEZONE: timezone — expected an IANA time zone like America/Los_Angeles, got "Mars/Olympus" (key timezone)',
    ]);
    expect(s.settings).toEqual({ timezone: 'Europe/Berlin', clock: 'legal', interval: '5m' });
    expect(s.sources).toEqual({ timezone: 'answer', clock: 'answer', interval: 'flag' });
  });

  it('the end of input (Ctrl-D) is exit 2 and nothing is made', async () => {
    const e = await rejects(
      init({ root, ask: fakeTerminal(['UTC', null]) }),
      'LPT_USAGE',
      /init — expected an answer for clock, got the end of input; nothing was written/,
    );
    expect(e.exitCode).toBe(2);
    expect(fs.existsSync(root)).toBe(false);
  });

  it('nothing is asked when lptool.yaml is there', async () => {
    fs.mkdirSync(root);
    fs.writeFileSync(path.join(root, 'lptool.yaml'), 'timezone: UTC\n');
    const t = fakeTerminal([]);
    await init({ root, ask: t });
    expect(t.asked).toEqual([]);
  });
});
