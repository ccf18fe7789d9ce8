import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { lptool, lptoolOnTerminal, tempDir } from './testing.js';

/* `lptool init` end to end: from flags, and asked on a real pseudo-terminal (util-linux `script`). */

let tmp: { dir: string; cleanup: () => void };
let root: string;
beforeEach(() => {
  tmp = tempDir();
  root = path.join(tmp.dir, 'site');
});
afterEach(() => tmp.cleanup());

describe('lptool init', () => {
  it('from flags: the site, its settings, and a site that builds', () => {
    const r = lptool(['init', '--root', root, '--tz', 'Europe/Berlin', '--clock', 'standard', '--interval', '15m']);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(
      [
        `init ${root}:`,
        '  created: _dropbox/KW/, data/KW/, lp/, logs/, lptool.yaml, meter-data.csv',
        '  timezone Europe/Berlin (flag), clock standard (flag), interval 15m (flag)',
        '  next: add the meters to meter-data.csv, deliver exports to _dropbox/KW/, run lptool sort',
        '',
      ].join('\n'),
    );
    expect(r.stderr).toBe(
      'lptool: note: meter-data.csv has only its header: add a line per meter (meter,name,multiplier)\n',
    );
    expect(fs.readFileSync(path.join(root, 'lptool.yaml'), 'utf8')).toMatch(
      /^timezone: Europe\/Berlin #.*\nclock: standard #.*\ninterval: 15m #/m,
    );
    expect(lptool(['sort', '--root', root]).code).toBe(0); // an empty site sorts: the folders are right
  });

  it('a second run with another zone is exit 2 naming lptool.yaml, and changes nothing', () => {
    expect(lptool(['init', '--root', root, '--tz', 'UTC']).code).toBe(0);
    const before = fs.readFileSync(path.join(root, 'lptool.yaml'), 'utf8');
    const r = lptool(['init', '--root', root, '--tz', 'Europe/Berlin', '--json']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(
      /^lptool: LPT_CONFIG: lptool\.yaml: timezone — expected "Europe\/Berlin" as given, got "UTC"/,
    );
    expect(fs.readFileSync(path.join(root, 'lptool.yaml'), 'utf8')).toBe(before);
    const again = lptool(['init', '--root', root, '--json']);
    expect(again.code).toBe(0);
    expect(JSON.parse(again.stdout)).toMatchObject({ created: [], settings: { timezone: 'UTC' } });
  });

  it('an unknown zone is exit 2 and nothing is made', () => {
    const r = lptool(['init', '--root', root, '--tz', 'Mars/Olympus']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/LPT_BAD_TIMEZONE: --tz — expected an IANA time zone/);
    expect(fs.existsSync(root)).toBe(false);
  });

  it('asked on a terminal: a wrong zone is said and asked again, Enter takes the default', async () => {
    const { code, out } = await lptoolOnTerminal(['init', '--root', root], 'Mars/Olympus\nAsia/Kolkata\n\n5m\n');
    expect(code).toBe(0);
    expect(out).toContain("Time zone of the meters' wall clock (IANA name) [America/Los_Angeles]: ");
    expect(out).toContain('lptool: LPT_BAD_TIMEZONE: timezone — expected an IANA time zone');
    const yaml = fs.readFileSync(path.join(root, 'lptool.yaml'), 'utf8');
    expect(yaml).toMatch(/^timezone: Asia\/Kolkata #.*\nclock: legal #.*\ninterval: 5m #/m);
    expect(out).toContain('timezone Asia/Kolkata, clock legal, interval 5m');
  });

  it('on a terminal, the end of input (Ctrl-D) is exit 2 and nothing is made', async () => {
    const { code, out } = await lptoolOnTerminal(['init', '--root', root, '--tz', 'UTC'], '\u0004');
    expect(code).toBe(2);
    expect(out).toContain('init — expected an answer for clock, got the end of input; nothing was written');
    expect(fs.existsSync(root)).toBe(false);
  });
});
