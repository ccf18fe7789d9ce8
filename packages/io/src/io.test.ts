import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import v8 from 'node:v8';
import vm from 'node:vm';
import { LptError } from '@lptool/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AtomicFile, moveDurable, writeFileAtomic } from './atomic.js';
import { csvLine, findColumns, parseCsvText, readCsvColumns } from './csv.js';
import { peekCsv, readCsvProjected } from './csv-stream.js';
import { acquireLock } from './lock.js';
import { openSite } from './open-site.js';
import { loadSettings } from './settings.js';
import { isPlainFileName, resolveRoot } from './site.js';

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lpt-io-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

const expectLpt = (fn: () => unknown, code: string, msg: RegExp) => {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(LptError);
    expect((e as LptError).code).toBe(code);
    expect((e as LptError).toLine()).toMatch(msg);
    return e as LptError;
  }
  throw new Error('expected an LptError');
};

describe('parseCsvText', () => {
  it('takes a BOM, CRLF, quoted fields and trailing blank lines as normal', () => {
    const t = parseCsvText('\uFEFF Meter ,b\r\n"1,5","x ""y"""\r\n2,3\r\n\r\n  \r\n', 'f.csv');
    expect(t.header).toEqual(['Meter', 'b']);
    expect(t.rows).toEqual([
      ['1,5', 'x "y"'],
      ['2', '3'],
    ]);
    expect(t.lines).toEqual([2, 3]);
  });

  it('gives real line numbers around blank lines and multi-line fields', () => {
    const t = parseCsvText('a,b\n\n1,"two\nlines"\n3,4\n', 'f.csv');
    expect(t.lines).toEqual([4, 5]);
  });

  it('names the line of a row with the wrong field count', () => {
    expectLpt(
      () => parseCsvText('a,b\n1,2\n1,2,3\n', 'f.csv'),
      'LPT_PARSE',
      /expected 2 fields like the header, got 3 \(f\.csv:3\)/,
    );
  });

  it('rejects binary content', () => {
    expectLpt(() => parseCsvText('a\u0000b\n', 'g.bin'), 'LPT_PARSE', /binary data/);
  });

  it('finds columns case-insensitively after trimming and lists the missing ones', () => {
    const t = parseCsvText('METER, Start time ,x\n', 'f.csv');
    expect(findColumns(t, ['meter', 'Start Time'])).toEqual({ meter: 0, 'Start Time': 1 });
    expectLpt(
      () => findColumns(t, ['meter', 'kw_del', 'kva_rec']),
      'LPT_PARSE',
      /expected column\(s\) kw_del, kva_rec.*\(f\.csv:1\)/,
    );
  });

  it('quotes output fields only when needed', () => {
    expect(csvLine(['a', 'b,c', 'd"e', ''])).toBe('a,"b,c","d""e",\n');
  });
});

describe('openSite: settings → clock → folders; the lock and the logs around the work', () => {
  it('gives the settings and their clock, holds the lock and the logs while working, and lets go after a throw', async () => {
    fs.writeFileSync(path.join(dir, 'lptool.yaml'), 'timezone: Europe/Berlin\nclock: standard\n');
    const site = openSite({ root: dir, interval: '5m' }, ['lp', 'logs']);
    expect(site.settings).toMatchObject({ timezone: 'Europe/Berlin', clock: 'standard', intervalMs: 300_000 });
    expect(site.clock.zone).toBe('Europe/Berlin');
    expect(fs.existsSync(path.join(dir, 'logs'))).toBe(false); // nothing written before the work
    const lock = path.join(dir, '.lptool.lock');
    await site.locked({ command: 'build', logs: ['build'], lockWaitMs: 30_000 }, ([log]) => {
      expect(JSON.parse(fs.readFileSync(lock, 'utf8')).command).toBe('lptool build');
      log!.info({ event: 'x' }, 'hello');
    });
    expect(fs.existsSync(lock)).toBe(false);
    expect(JSON.parse(fs.readFileSync(path.join(dir, 'logs/build.log'), 'utf8'))).toMatchObject({
      cmd: 'build',
      msg: 'hello',
    });
    await expect(
      site.locked({ command: 'build', logs: [], lockWaitMs: 30_000 }, () => {
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect(fs.existsSync(lock)).toBe(false);
    // a dry run takes no lock and writes no log
    await site.locked({ command: 'sort', logs: ['dropbox'], lockWaitMs: 30_000, dryRun: true }, ([log]) => {
      log!.info('nothing');
      expect(fs.existsSync(lock)).toBe(false);
    });
    expect(fs.existsSync(path.join(dir, 'logs/dropbox.log'))).toBe(false);
  });

  it('a folder that is a file is exit 2 before anything is touched', () => {
    fs.writeFileSync(path.join(dir, 'lp'), 'x');
    expectLpt(
      () => openSite({ root: dir }, ['lp']),
      'LPT_SITE_LAYOUT',
      /site folder lp — expected a folder, got a file/,
    );
  });
});

describe('settings: flag > env > lptool.yaml > default', () => {
  it('takes each source in order and records where it came from', () => {
    const f = path.join(dir, 'lptool.yaml');
    fs.writeFileSync(f, 'timezone: Europe/Berlin\ninterval: 5m\nclock: standard\n');
    const s = loadSettings(f, { clock: 'legal' }, { LPTOOL_INTERVAL: '30m' });
    expect(s).toEqual({
      timezone: 'Europe/Berlin',
      clock: 'legal',
      intervalMs: 1_800_000,
      sources: { timezone: 'lptool.yaml', clock: 'flag', interval: 'env' },
    });
    const d = loadSettings(path.join(dir, 'none.yaml'), {}, {});
    expect(d.intervalMs).toBe(900_000);
    expect(d.sources.timezone).toBe('default');
  });

  it('names the key of a bad setting', () => {
    const f = path.join(dir, 'lptool.yaml');
    fs.writeFileSync(f, 'timezone: Europe/Berlin\nintervall: 5m\n');
    expectLpt(
      () => loadSettings(f, {}, {}),
      'LPT_CONFIG',
      /lptool\.yaml: \(top level\) — expected only keys lptool knows, got unknown key\(s\) intervall/,
    );
    fs.writeFileSync(f, 'clock: summer\n');
    expectLpt(() => loadSettings(f, {}, {}), 'LPT_CONFIG', /lptool\.yaml: clock — /);
    expectLpt(() => loadSettings(path.join(dir, 'x'), { tz: 'Nowhere/City' }, {}), 'LPT_BAD_TIMEZONE', /from flag/);
    expectLpt(
      () => loadSettings(path.join(dir, 'x'), { interval: 'soon' }, {}),
      'LPT_BAD_DURATION',
      /--interval — expected a duration/,
    );
    fs.writeFileSync(f, 'timezone: [1,\n');
    expectLpt(() => loadSettings(f, {}, {}), 'LPT_CONFIG', /not valid YAML/);
  });
});

describe('site paths', () => {
  it('resolves the root from flag, env, cwd', () => {
    expect(resolveRoot('x', {}, '/a')).toBe('/a/x');
    expect(resolveRoot(undefined, { LPTOOL_ROOT: '/srv/site' }, '/a')).toBe('/srv/site');
    expect(resolveRoot(undefined, {}, '/a')).toBe('/a');
  });

  it('accepts only plain file names', () => {
    expect(isPlainFileName('north_1.a-b')).toBe(true);
    for (const bad of ['../x', 'a/b', '', '..', 'a b', 'ü']) expect(isPlainFileName(bad)).toBe(false);
  });
});

describe('atomic writes and moves', () => {
  it('shows readers the old file or the new one, never a part', () => {
    const f = path.join(dir, 'out.csv');
    fs.writeFileSync(f, 'old\n');
    const w = new AtomicFile(f);
    w.write('new ');
    expect(fs.readFileSync(f, 'utf8')).toBe('old\n');
    w.write('content\n');
    w.commit();
    expect(fs.readFileSync(f, 'utf8')).toBe('new content\n');
    expect(fs.readdirSync(dir)).toEqual(['out.csv']);
  });

  it('abort leaves the target untouched and no temp file', () => {
    const f = path.join(dir, 'out.csv');
    writeFileAtomic(f, 'keep\n');
    const w = new AtomicFile(f);
    w.write('half');
    w.abort();
    expect(fs.readFileSync(f, 'utf8')).toBe('keep\n');
    expect(fs.readdirSync(dir)).toEqual(['out.csv']);
  });

  it('moveDurable never overwrites', () => {
    const a = path.join(dir, 'a');
    const b = path.join(dir, 'sub', 'b');
    fs.writeFileSync(a, '1');
    moveDurable(a, b);
    expect(fs.existsSync(a)).toBe(false);
    fs.writeFileSync(a, '2');
    expect(() => moveDurable(a, b)).toThrow(/EEXIST/);
    expect(fs.readFileSync(b, 'utf8')).toBe('1');
    expect(fs.readFileSync(a, 'utf8')).toBe('2');
  });
});

describe('acquireLock', () => {
  it('lets one run in, makes the second wait and then fail clearly', () => {
    const f = path.join(dir, '.lptool.lock');
    const release = acquireLock(f, { command: 'sort' });
    const e = expectLpt(() => acquireLock(f, { waitMs: 300, pollMs: 50 }), 'LPT_LOCKED', /site is locked.*sort/);
    expect(e.exitCode).toBe(1);
    release();
    acquireLock(f, { waitMs: 0 })();
    expect(fs.existsSync(f)).toBe(false);
  });

  it('takes over a stale lock from a dead process', async () => {
    const f = path.join(dir, '.lptool.lock');
    const child = spawn(process.execPath, ['-e', '0']);
    const pid = child.pid!;
    await new Promise((r) => child.on('exit', r));
    fs.writeFileSync(f, JSON.stringify({ pid, host: os.hostname(), command: 'sort', since: 'then' }));
    const release = acquireLock(f, { waitMs: 0 });
    expect(JSON.parse(fs.readFileSync(f, 'utf8')).pid).toBe(process.pid);
    release();
  });
});

describe('acquireLock: stale holders and impossible locks (issue 13 item 7)', () => {
  const lockAt = () => path.join(dir, '.lptool.lock');
  const write = (content: object) => fs.writeFileSync(lockAt(), JSON.stringify(content));
  // read here independently of the lock module: field 22 of /proc/<pid>/stat (after the command's parentheses)
  const stat = fs.readFileSync(`/proc/${process.pid}/stat`, 'utf8');
  const startTime = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  const bootId = fs.readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
  const mine = () => ({ pid: process.pid, host: os.hostname(), command: 'sort', since: 'then', startTime, bootId });

  it('records the holder: pid, host, its start time (/proc/<pid>/stat field 22) and the boot id', () => {
    const release = acquireLock(lockAt(), { command: 'sort' });
    const held = JSON.parse(fs.readFileSync(lockAt(), 'utf8'));
    expect(held).toMatchObject({ pid: process.pid, host: os.hostname(), command: 'sort', startTime, bootId });
    expect(startTime).toMatch(/^\d+$/);
    release();
  });

  it('a lock of a live process with its own start time holds', () => {
    write(mine());
    expectLpt(() => acquireLock(lockAt(), { waitMs: 0 }), 'LPT_LOCKED', /site is locked/);
  });

  it.each([
    ['whose pid now belongs to a process that started at another time', { startTime: '1' }],
    ['from before a reboot (another boot id)', { bootId: '00000000-0000-0000-0000-000000000000' }],
  ])('a lock %s is stale and taken over at once', (_what, change) => {
    write({ ...mine(), ...change });
    const release = acquireLock(lockAt(), { waitMs: 0 });
    expect(JSON.parse(fs.readFileSync(lockAt(), 'utf8')).since).not.toBe('then');
    release();
    expect(fs.existsSync(lockAt())).toBe(false);
  });

  it('an old-style lock (no start time, no boot id) written before this boot is stale, even if its pid lives', () => {
    write({ pid: process.pid, host: os.hostname(), command: 'sort', since: 'then' });
    const before = new Date(Date.now() - os.uptime() * 1000 - 3_600_000);
    fs.utimesSync(lockAt(), before, before);
    acquireLock(lockAt(), { waitMs: 0 })();
  });

  /** A process that lives until killed, and its pid once it runs. */
  const live = async (command: string, args: string[]) => {
    const child = spawn(command, args, { stdio: 'ignore' });
    await new Promise((resolve) => child.once('spawn', resolve));
    return { pid: child.pid!, stop: () => child.kill('SIGKILL') };
  };
  const oldStyle = (pid: number) => ({ pid, host: os.hostname(), command: 'sort', since: 'then' });

  it('an old-style lock (no start time) whose live pid is not a Node.js process is stale (review M4)', async () => {
    const other = await live('sleep', ['30']);
    try {
      write(oldStyle(other.pid));
      acquireLock(lockAt(), { waitMs: 0 })();
      write({ ...oldStyle(other.pid), startTime: '' });
      acquireLock(lockAt(), { waitMs: 0 })();
    } finally {
      other.stop();
    }
  });

  it('an old-style lock whose live pid started after the lock was written is stale (review M4)', async () => {
    const written = new Date(Date.now() - 30_000);
    const node = await live(process.execPath, ['-e', 'setTimeout(() => {}, 30000)']);
    try {
      write(oldStyle(node.pid));
      fs.utimesSync(lockAt(), written, written);
      acquireLock(lockAt(), { waitMs: 0 })();
    } finally {
      node.stop();
    }
  });

  it('an old-style lock of a live Node.js process older than the lock still holds', () => {
    write(oldStyle(process.pid));
    expectLpt(() => acquireLock(lockAt(), { waitMs: 0 }), 'LPT_LOCKED', /site is locked/);
  });

  it.each([
    ['pid 0', () => write({ ...mine(), pid: 0 }), /got pid 0;/],
    ['pid -1', () => write({ ...mine(), pid: -1 }), /got pid -1;/],
    ['no pid', () => write({ host: os.hostname() }), /got pid missing;/],
    ['no host (review M4)', () => write({ pid: process.pid, command: 'sort' }), /got host missing;/],
    ['a folder', () => fs.mkdirSync(lockAt()), /got a folder;/],
    [
      'a dangling symlink',
      () => fs.symlinkSync(path.join(dir, 'nowhere'), lockAt()),
      /got a symlink \(to .*nowhere\);/,
    ],
  ])('%s as the lock is exit 2 saying what to do, at once', (_what, make, got) => {
    make();
    const t0 = Date.now();
    const e = expectLpt(
      () => acquireLock(lockAt(), { waitMs: 5_000 }),
      'LPT_LOCK_INVALID',
      /^LPT_LOCK_INVALID: site lock — expected lptool's lock file \(a process id > 0 and its host\), got .*; if no lptool runs on this site, remove \.lptool\.lock and run again/,
    );
    expect(e.toLine()).toMatch(got);
    expect(e.exitCode).toBe(2);
    expect(Date.now() - t0).toBeLessThan(2_000);
  });
});

describe('parseCsvText — the quote-free fast path equals csv-parse', () => {
  it('property: same header, rows and lines as csv-parse for any quote-free CSV', async () => {
    const fc = (await import('fast-check')).default;
    const { parse } = await import('csv-parse/sync');
    const field = fc.stringMatching(/^[a-z0-9 .:/-]{0,6}$/);
    fc.assert(
      fc.property(
        fc
          .integer({ min: 1, max: 5 })
          .chain((w) => fc.array(fc.array(field, { minLength: w, maxLength: w }), { minLength: 1, maxLength: 20 })),
        fc.constantFrom('\n', '\r\n'),
        fc.boolean(),
        fc.nat(3),
        (records, eol, bom, trailing) => {
          const text = (bom ? '\uFEFF' : '') + records.map((r) => r.join(',')).join(eol) + eol.repeat(trailing);
          const t = parseCsvText(text, 'p.csv');
          const ref = (
            parse(text, { bom: true, skip_empty_lines: true, relax_column_count: true }) as string[][]
          ).filter((r) => r.length > 1 || (r[0] ?? '').trim() !== '');
          expect([t.header, ...t.rows]).toEqual(ref.length ? [ref[0]!.map((h) => h.trim()), ...ref.slice(1)] : [[]]);
          // lines: count them independently (1-based, non-blank lines, after the header's)
          const nonBlank = text
            .replace(/^\uFEFF/, '')
            .split(/\r?\n/)
            .flatMap((l, i) => (l.trim() ? [i + 1] : []));
          if (ref.length) expect([t.headerLine, ...t.lines]).toEqual(nonBlank);
        },
      ),
      { numRuns: 500 },
    );
  });
});

describe('readCsvColumns', () => {
  it('gives the same columns as a full parse, on the fast path and off it', () => {
    const f = path.join(dir, 'p.csv');
    for (const text of ['a,b,c\n1,2,3\n4,5,6\n', 'a,b,c\r\n1,"2",3\r\n\r\n4,5,6\r\n']) {
      fs.writeFileSync(f, text);
      const r = readCsvColumns(f, ['c', 'A'] as const);
      expect(r.columns).toEqual({ c: ['3', '6'], A: ['1', '4'] });
    }
    fs.writeFileSync(f, 'a,b,c\n1,2,3\n4,5\n');
    expectLpt(
      () => readCsvColumns(f, ['a'] as const),
      'LPT_PARSE',
      /expected 3 fields like the header, got 2 \(.*p\.csv:3\)/,
    );
    fs.writeFileSync(f, 'a,b,c\n1,2,3,4\n');
    expectLpt(() => readCsvColumns(f, ['a'] as const), 'LPT_PARSE', /got 4/);
  });
});

describe('readCsvProjected', () => {
  it('keeps only the chosen columns, across quoted and multi-line fields, with lines', () => {
    const f = path.join(dir, 'wide.csv');
    fs.writeFileSync(f, '\uFEFFts,a,"b, with comma",c\r\n1,x,"y\nz",3\r\n\r\n2,p,q,4\r\n');
    const r = readCsvProjected(f, 'wide.csv', (h) => [h.indexOf('c'), h.indexOf('ts')]);
    expect(r.header).toEqual(['ts', 'a', 'b, with comma', 'c']);
    expect(r.columns).toEqual([
      ['3', '4'],
      ['1', '2'],
    ]);
    expect(r.lines).toEqual([2, 5]);
  });

  it('reads a file larger than one chunk, and multi-byte text cut by a chunk boundary', () => {
    const f = path.join(dir, 'big.csv');
    const rows = ['t,name,v'];
    for (let i = 0; i < 200_000; i++) rows.push(`${i},Zürich-Ω-${i},${i * 2}`);
    fs.writeFileSync(f, `${rows.join('\n')}\n`);
    const r = readCsvProjected(f, 'big.csv', () => [1, 2]);
    expect(r.columns[0]).toHaveLength(200_000);
    expect(r.columns[0]!.every((s, i) => s === `Zürich-Ω-${i}`)).toBe(true);
    expect(r.columns[1]![199_999]).toBe('399998');
  });

  it('names the line of a short row', () => {
    const f = path.join(dir, 'bad.csv');
    fs.writeFileSync(f, 'a,b\n1,2\n3\n');
    expectLpt(
      () => readCsvProjected(f, 'bad.csv', () => [0]),
      'LPT_PARSE',
      /expected 2 fields like the header, got 1 \(bad\.csv:3\)/,
    );
  });
});

describe('peekCsv', () => {
  it('reads a header (and its text) and the first rows only: what lies beyond is never parsed', () => {
    const f = path.join(dir, 'head.csv');
    fs.writeFileSync(f, '\uFEFF\r\n"Start Time", MW_net\r\n1,2\r\n3\r\n\u0000');
    expect(peekCsv(f, 'head.csv')).toEqual({
      header: ['Start Time', 'MW_net'],
      headerLine: 2,
      headerText: '"Start Time", MW_net',
      rows: [],
    });
    expect(peekCsv(f, 'head.csv', 1).rows).toEqual([['1', '2']]);
    expectLpt(() => peekCsv(f, 'head.csv', 2), 'LPT_PARSE', /expected 2 fields like the header, got 1 \(head\.csv:4\)/);
    fs.writeFileSync(f, '');
    expect(peekCsv(f, 'head.csv', 1)).toMatchObject({ header: null, rows: [] });
  });
});

describe('peekCsv keeps nothing of the text it read', () => {
  it('what it returns does not pin the 64 KB it decoded (a build keeps the first label of every archived file)', () => {
    // V8 makes a slice of 13+ characters a view into its parent: 500 kept labels would keep 500 × 64 KB alive
    const f = path.join(dir, 'long.csv');
    fs.writeFileSync(f, `Meter,Start Time\n1001,01/01/23 00:00:00\n${'1001,01/01/23 00:15:00\n'.repeat(3000)}`);
    v8.setFlagsFromString('--expose-gc');
    const gc = vm.runInNewContext('gc') as () => void;
    gc();
    const before = process.memoryUsage().heapUsed;
    const kept = Array.from({ length: 500 }, () => {
      const head = peekCsv(f, 'long.csv', 1);
      return [head.header![1]!, head.rows[0]![1]!, head.headerText];
    });
    gc();
    const grown = process.memoryUsage().heapUsed - before;
    expect(kept[499]).toEqual(['Start Time', '01/01/23 00:00:00', 'Meter,Start Time']);
    expect(grown).toBeLessThan(4 << 20); // (each head pinned: 500 × 64 KB = 32 MB)
  });
});
