import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { lptool, siteFrom } from './testing.js';

/*
 * Values from files reach messages (the sort summary, reject sidecars, build's bad rows, logs) only escaped and
 * cut to about 80 characters: LptError and ExportRejected bound every "got" value themselves.
 */
let cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups) c();
  cleanups = [];
});
const JUNK = `${'\u0007'.repeat(3)}${'y'.repeat(3000)}`;
const HEADER = 'meter,Record No.,Event Type,Start Time,End Time,kw_del,kw_rec,kva_del,kva_rec';
const row = (start: string, kwDel: string) => `144800052,1,Normal,${start},07/12/24 11:15:00,${kwDel},0,1,0`;

describe('values from files in messages are escaped and cut', () => {
  it('sort: a reject naming a 3,000-character label says so in ~80 characters, in the summary and the sidecar', () => {
    const s = siteFrom('build/golden/input');
    cleanups.push(s.cleanup);
    const dropbox = path.join(s.root, '_dropbox/KW');
    fs.mkdirSync(dropbox, { recursive: true });
    fs.writeFileSync(path.join(dropbox, 'junk.csv'), `${HEADER}\n${row(JUNK, '1')}\n`);
    const r = lptool(['sort', '--root', s.root, '--settle', '0']);
    expect(r.code).toBe(1);
    const line = r.stderr.split('\n').find((l) => l.includes('junk.csv'))!; // a reject: on stderr
    expect(line).toMatch(/got "\\x07\\x07\\x07y+… \(3012 chars\)"/);
    expect(line.length).toBeLessThan(300);
    const sidecar = JSON.parse(
      fs.readFileSync(path.join(s.root, 'data/KW/ERROR/junk_PARSE-ERROR.json'), 'utf8'),
    ) as Record<string, unknown>;
    expect(sidecar.message).toMatch(/… \(3012 chars\)"$/);
    expect((sidecar.rows as { message: string }[])[0]!.message).toMatch(/got "\\x07\\x07\\x07y+… \(3012 chars\)"$/);
  });

  it('build: a bad row with a 3,000-character value', () => {
    const s = siteFrom('build/golden/input');
    cleanups.push(s.cleanup);
    const file = path.join(s.root, 'data/KW/2024-07', fs.readdirSync(path.join(s.root, 'data/KW/2024-07'))[0]!);
    const lines = fs.readFileSync(file, 'utf8').split('\n');
    lines[1] = lines[1]!.replace(',0.84,', `,${JUNK},`);
    fs.writeFileSync(file, lines.join('\n'));
    const r = lptool(['build', '--root', s.root]);
    expect(r.code).toBe(1);
    const bad = r.stderr.split('\n').find((l) => l.startsWith('lptool: build: bad row '))!; // a problem: on stderr
    expect(bad).toMatch(/kw_del — expected a decimal number, got "\\x07\\x07\\x07y+… \(3012 chars\)"$/);
    expect(bad.length).toBeLessThan(250);
    expect(fs.readFileSync(path.join(s.root, 'logs/build.log'), 'utf8')).not.toContain('y'.repeat(200));
  });
});
