import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { flatYaml, loadSettings } from './settings.js';

/**
 * lptool.yaml is read without the YAML parser when it is flat (`key: value` lines, comments): for every text
 * it accepts, flatYaml must give exactly what the parser gives; everything else is left to the parser.
 */
const keys = ['timezone', 'clock', 'interval', 'a', 'x_1', 'null', 'true', 'Timezone', 'on', 'y'];
const values = [
  'America/Los_Angeles',
  'Etc/GMT+5',
  'Etc/GMT-5',
  'legal',
  'standard',
  '15m',
  '1h',
  '1e',
  '1e5',
  '0x1f',
  '0o17',
  '0',
  '00',
  '012',
  '15',
  '900000',
  '1.5',
  '.5',
  '.inf',
  'inf',
  'NaN',
  'null',
  'Null',
  'NULL',
  '~',
  'true',
  'True',
  'FALSE',
  'yes',
  'no',
  'on',
  'y',
  '"quoted"',
  "'single'",
  '[1, 2]',
  '{a: 1}',
  '&anchor x',
  '*alias',
  '!!str 5',
  'a: b',
  'a:b',
  'a#b',
  '-',
  '- x',
  '',
  '_x',
  'x.',
  '123456789012345',
  '1234567890123456789',
];
const seps = [': ', ':  ', ':', ': \t', '\t: ', ' : '];
const tails = ['', ' ', ' # comment', '#c', '  # a: b', ' #', '\t# x'];
const others = [
  '# comment',
  '',
  ' ',
  '   # indented comment',
  '\t',
  '---',
  '...',
  '  indented: x',
  '- item',
  'key:',
  '%YAML 1.2',
];

const line = fc.oneof(
  {
    weight: 4,
    arbitrary: fc
      .tuple(fc.constantFrom(...keys), fc.constantFrom(...seps), fc.constantFrom(...values), fc.constantFrom(...tails))
      .map((p) => p.join('')),
  },
  { weight: 1, arbitrary: fc.constantFrom(...others) },
  { weight: 1, arbitrary: fc.string({ maxLength: 12 }) },
);
const doc = fc
  .tuple(fc.array(line, { maxLength: 6 }), fc.constantFrom('', '\n'), fc.constantFrom('', '\uFEFF'))
  .map(([lines, end, bom]) => `${bom}${lines.join('\n')}${end}`);

describe('flatYaml', () => {
  it('gives what the YAML parser gives for every text it reads, and reads lptool init’s own', () => {
    let read = 0;
    fc.assert(
      fc.property(doc, (text) => {
        const fast = flatYaml(text);
        if (fast === null) return;
        read++;
        expect(fast, JSON.stringify(text)).toEqual(parseYaml(text) ?? {});
      }),
      { numRuns: 3000 },
    );
    expect(read).toBeGreaterThan(150); // (the property is not vacuous)
    const init = [
      '# lptool site settings, written by lptool init (2026-11-30). A flag or LPTOOL_TZ /',
      '# LPTOOL_CLOCK / LPTOOL_INTERVAL overrides them for one run; `lptool doctor` shows which applies.',
      "timezone: America/Los_Angeles # IANA zone of the meters' wall clock",
      'clock: legal # legal (follows DST) or standard (the standard offset all year)',
      'interval: 15m # interval length of the exports',
      '',
    ].join('\n');
    expect(flatYaml(init)).toEqual({ timezone: 'America/Los_Angeles', clock: 'legal', interval: '15m' });
    expect(flatYaml(init)).toEqual(parseYaml(init));
  });

  it('an edited lptool.yaml is seen by the next run, through either reader', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lpt-yaml-'));
    try {
      const file = path.join(dir, 'lptool.yaml');
      const env = {};
      fs.writeFileSync(file, 'timezone: America/Los_Angeles\nclock: legal\ninterval: 15m\n');
      expect(loadSettings(file, {}, env)).toMatchObject({ timezone: 'America/Los_Angeles', intervalMs: 900_000 });
      fs.writeFileSync(file, 'timezone: Asia/Kolkata # edited\nclock: standard\ninterval: 5m\n');
      expect(loadSettings(file, {}, env)).toMatchObject({
        timezone: 'Asia/Kolkata',
        clock: 'standard',
        intervalMs: 300_000,
      });
      fs.writeFileSync(file, 'timezone: "Europe/Berlin"\ninterval: 30\n'); // quoted: the YAML parser's
      expect(loadSettings(file, {}, env)).toMatchObject({ timezone: 'Europe/Berlin', intervalMs: 1_800_000 });
      // an unknown key and a repeated one are still errors, each as before
      fs.writeFileSync(file, 'timezone: Asia/Kolkata\ntimezon: x\n');
      expect(() => loadSettings(file, {}, env)).toThrow(/timezon/);
      fs.writeFileSync(file, 'timezone: Asia/Kolkata\ntimezone: Europe/Berlin\n');
      expect(() => loadSettings(file, {}, env)).toThrow(/not valid YAML/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
