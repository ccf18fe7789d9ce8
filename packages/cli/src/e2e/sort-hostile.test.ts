import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { deliver, dropboxSite, exportLabel, exportText, listFiles, lptool, sha256, siteRoots } from '../testing.js';

/**
 * Hostile dropboxes (issue 13), through the real CLI: long names, names that are not UTF-8, symlinked site
 * folders, a missing or misplaced store, and exports that only look like exports. Each ends with every
 * input in exactly one place and a clear word about what happened.
 */
const roots = siteRoots();
/** A fresh site root with lptool.yaml and an empty dropbox. */
const site = () => dropboxSite(roots.temp('lptool-hostile-'));
const sortCli = (root: string, ...extra: string[]) => lptool(['sort', '--root', root, '--settle', '0', ...extra]);
const json = (r: { stdout: string }) => JSON.parse(r.stdout);
const bytes = (s: string) => Buffer.byteLength(s);

describe('long names (issue 13 item 2)', () => {
  it('a 250-byte reject, a 255-byte clash and a third delivery of a 255-byte name all get names that fit, and nothing waits', () => {
    const root = site();
    const long = `${'n'.repeat(246)}.csv`; // 250 bytes: <stem>_PARSE-ERROR.csv would be 262
    const max = `${'é'.repeat(123)}north.csv`; // 246 + 9 = 255 bytes, multi-byte characters
    expect(bytes(max)).toBe(255);
    deliver(root, long, 'hello');
    deliver(root, max, exportText('144800052', '2024-07-12T00:00', 8));
    deliver(root, 'after.csv', exportText('144800052', '2024-07-13T00:00', 8));
    const first = sortCli(root, '--json');
    expect(first.stderr).toMatch(/^(lptool: sort: .*\n)*$/); // its rejects, as problems
    expect(first.code).toBe(1);
    const reject = json(first).files.find((f: { name: string }) => f.name === long);
    const rejectName = path.basename(reject.dest);
    expect(rejectName).toMatch(/^n+~[0-9a-f]{10}_PARSE-ERROR\.csv$/);
    expect(bytes(rejectName)).toBeLessThanOrEqual(255);
    // the sidecar beside it keeps the original name
    const side = JSON.parse(fs.readFileSync(path.join(root, reject.dest.replace(/\.csv$/, '.json')), 'utf8'));
    expect(side.file).toBe(long);
    expect(fs.readdirSync(path.join(root, 'data/KW/2024-07')).sort()).toEqual(['after.csv', max].sort());

    // the same 255-byte name again with other content (a clash: .2), then the first bytes twice more
    deliver(root, max, exportText('144800052', '2024-07-12T00:00', 8, { seed: 2 }));
    const second = sortCli(root, '--json');
    expect(second.code).toBe(0);
    const clash = path.basename(json(second).files[0].dest);
    expect(clash).toMatch(/^(é)+~[0-9a-f]{10}\.2\.csv$/);
    expect(bytes(clash)).toBeLessThanOrEqual(255);
    for (const k of [1, 2]) {
      deliver(root, max, exportText('144800052', '2024-07-12T00:00', 8));
      const again = sortCli(root, '--json');
      expect(again.code).toBe(0);
      const dup = json(again).files[0];
      expect(dup.outcome).toBe('duplicate');
      expect(bytes(path.basename(dup.dest))).toBeLessThanOrEqual(255);
      if (k === 2) expect(path.basename(dup.dest)).toMatch(/~[0-9a-f]{10}\.2\.csv$/);
    }
    expect(fs.readdirSync(path.join(root, '_dropbox/KW'))).toEqual([]);
    expect(listFiles(root).filter((f) => f.includes('.tmp-'))).toEqual([]);
  });

  it('two long names that share their first 240 bytes get different shortened names', () => {
    const root = site();
    const a = `${'x'.repeat(240)}-a.csv`;
    const b = `${'x'.repeat(240)}-b.csv`;
    deliver(root, a, 'hello a');
    deliver(root, b, 'hello b');
    const r = sortCli(root, '--json');
    const dests = json(r).files.map((f: { dest: string }) => f.dest);
    expect(new Set(dests).size).toBe(2);
    for (const d of dests) expect(bytes(path.basename(d))).toBeLessThanOrEqual(255);
  });
});

describe('names that are not UTF-8 (issue 13 item 6)', () => {
  it('are named (escaped) in the summary and the log, left in place, exit 1; the others are sorted', () => {
    const root = site();
    const bad = Buffer.concat([Buffer.from('north-'), Buffer.from([0xff, 0xfe]), Buffer.from('.csv')]);
    deliver(root, bad, exportText('144800052', '2024-07-12T00:00', 4));
    deliver(root, 'good.csv', exportText('144800052', '2024-07-13T00:00', 4));
    const r = sortCli(root);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/1 archived, 0 rejected, 0 duplicates, 0 still being written, 0 ignored, 1 left in place/);
    expect(r.stderr).toBe(
      'lptool: sort: left in place north-\\xFF\\xFE.csv: name is not valid UTF-8 — left in the dropbox; rename it, e.g. to north-%FF%FE.csv\n',
    );
    expect(fs.readdirSync(path.join(root, '_dropbox/KW'), { encoding: 'buffer' })).toEqual([bad]);
    expect(fs.readFileSync(path.join(root, 'logs/dropbox.log'), 'utf8')).toContain(
      '"event":"bad-name","file":"north-\\\\xFF\\\\xFE.csv"',
    );
    // and in the error log, where the README says a file left in the dropbox is named (review L1)
    expect(fs.readFileSync(path.join(root, 'logs/dropbox-error.log'), 'utf8')).toContain(
      '"event":"bad-name","file":"north-\\\\xFF\\\\xFE.csv"',
    );
    expect(fs.readdirSync(path.join(root, 'data/KW/2024-07'))).toEqual(['good.csv']);
    // the operator renames it as suggested: the next run takes it in
    fs.renameSync(
      Buffer.concat([Buffer.from(`${root}/_dropbox/KW/`), bad]),
      path.join(root, '_dropbox/KW/north-%FF%FE.csv'),
    );
    expect(sortCli(root).code).toBe(0);
    expect(fs.readdirSync(path.join(root, 'data/KW/2024-07')).sort()).toEqual(['good.csv', 'north-%FF%FE.csv']);
  });
});

describe('site folders that are symlinks, and things where folders belong (issue 13 items 9 and 11)', () => {
  const linked = [
    '_dropbox',
    '_dropbox/KW',
    'data',
    'data/KW',
    'data/KW/ERROR',
    'data/KW/DUPLICATE',
    'data/KW/2024-07',
  ];
  it.each(linked)('a symlinked %s is exit 2 naming it, and nothing moves', (folder) => {
    const root = site();
    deliver(root, 'north.csv', exportText('144800052', '2024-07-12T00:00', 4));
    deliver(root, 'bad.csv', 'hello');
    const outside = { dir: roots.temp('lptool-outside-') };
    const real = path.join(root, folder);
    fs.mkdirSync(real, { recursive: true });
    fs.cpSync(real, path.join(outside.dir, 'x'), { recursive: true });
    fs.rmSync(real, { recursive: true });
    fs.symlinkSync(path.join(outside.dir, 'x'), real);
    const before = listFiles(outside.dir);
    const dropbox = listFiles(path.join(root, '_dropbox/KW'));
    const r = sortCli(root);
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toMatch(
      new RegExp(
        `^lptool: LPT_SITE_LAYOUT: site folder ${folder} — expected a folder, got a symlink \\(to .*\\); lptool never reads or writes through a symlink \\(SPEC §9\\): mount the other disk at this path, or point --root at a site on it \\(.*\\)$`,
      ),
    );
    expect(listFiles(outside.dir)).toEqual(before);
    expect(listFiles(path.join(root, '_dropbox/KW'))).toEqual(dropbox);
  });

  it('a file where a site folder or the store belongs is exit 2 naming it', () => {
    const root = site();
    deliver(root, 'north.csv', exportText('144800052', '2024-07-12T00:00', 4));
    fs.writeFileSync(path.join(root, 'data'), 'not a folder');
    expect(sortCli(root).stderr).toMatch(
      /^lptool: LPT_SITE_LAYOUT: site folder data — expected a folder, got a file; move it aside and run again/,
    );
    fs.rmSync(path.join(root, 'data'));
    fs.mkdirSync(path.join(root, '.processed-hashes.json'));
    const r = sortCli(root);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^lptool: LPT_HASH_STORE_CORRUPT: hash store — expected a file, got a folder;/);
    expect(fs.readdirSync(path.join(root, '_dropbox/KW'))).toEqual(['north.csv']);
  });
});

describe('a missing store while the archive has files (issue 13 item 9)', () => {
  it('is rebuilt from the archive: a re-delivery of an archived export is still a duplicate', () => {
    const root = site();
    const text = exportText('144800052', '2024-07-12T00:00', 8);
    deliver(root, 'north.csv', text);
    deliver(root, 'bad.csv', 'hello');
    expect(sortCli(root).code).toBe(1);
    fs.rmSync(path.join(root, '.processed-hashes.json'));
    deliver(root, 'north-again.csv', text);
    deliver(root, 'bad-again.csv', 'hello');
    const r = sortCli(root);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('rebuilt the missing hash store from the archive: 2 files');
    expect(listFiles(path.join(root, 'data/KW')).filter((f) => !f.endsWith('.json'))).toEqual([
      '2024-07/north.csv',
      'DUPLICATE/bad-again.csv',
      'DUPLICATE/north-again.csv',
      'ERROR/bad_PARSE-ERROR.csv',
    ]);
    const store = JSON.parse(fs.readFileSync(path.join(root, '.processed-hashes.json'), 'utf8'));
    expect(store.files[sha256(text)].dest).toBe('data/KW/2024-07/north.csv');
  });
});

describe('exports that only look like exports (issue 12 "hello"; issue 13 items 5 and 12)', () => {
  const reasons = (root: string) =>
    Object.fromEntries(
      listFiles(path.join(root, 'data/KW'))
        .filter((f) => f.endsWith('.json'))
        .map((f) => {
          const s = JSON.parse(fs.readFileSync(path.join(root, 'data/KW', f), 'utf8'));
          return [s.file, `${s.reason}: ${s.message}`];
        }),
    );

  it('`hello` is a PARSE-ERROR (no header of the required columns), not EMPTY', () => {
    const root = site();
    deliver(root, 'hello.csv', 'hello');
    deliver(root, 'hello-crlf.csv', 'hello\r\n\r\n');
    deliver(root, 'blank.csv', '\n  \n');
    deliver(root, 'header-only.csv', 'meter,Start Time,End Time,kw_del,kw_rec,kva_del,kva_rec\n');
    expect(sortCli(root).code).toBe(1);
    expect(reasons(root)).toEqual({
      'hello.csv':
        'PARSE-ERROR: header — expected column(s) meter, Start Time, End Time, kw_del, kw_rec, kva_del, kva_rec, got "hello"',
      'hello-crlf.csv':
        'PARSE-ERROR: header — expected column(s) meter, Start Time, End Time, kw_del, kw_rec, kva_del, kva_rec, got "hello"',
      'blank.csv': 'EMPTY: rows — expected at least one data row, got no content',
      'header-only.csv': 'EMPTY: rows — expected at least one data row, got a header but no data rows',
    });
  });

  it('a duplicated column is a PARSE-ERROR naming both columns', () => {
    const root = site();
    const text = exportText('144800052', '2024-07-12T00:00', 4)
      .split('\n')
      .map((l, i) => (l ? `${l},${i === 0 ? ' KW_DEL' : '99'}` : l))
      .join('\n');
    deliver(root, 'twice.csv', text);
    expect(sortCli(root).code).toBe(1);
    expect(reasons(root)).toEqual({
      'twice.csv':
        'PARSE-ERROR: header — expected each column once, got kw_del 2 times: "kw_del" (column 6) and "KW_DEL" (column 10)',
    });
  });

  it('years: two digits are 20YY; 0024, 1969 and a date over a year ahead are PARSE-ERRORs naming row and column', () => {
    const root = site();
    const four = (w: number) => exportLabel(w, 4);
    const next = new Date().getUTCFullYear() + 2;
    deliver(root, 'yy.csv', exportText('144800052', '2024-03-01T00:00', 4));
    deliver(root, 'y0024.csv', exportText('144800052', '0024-03-01T00:00', 4, { label: four }));
    deliver(root, 'y1969.csv', exportText('144800052', '1969-12-31T23:00', 8, { label: four }));
    deliver(root, 'ahead.csv', exportText('144800052', `${next}-03-01T00:00`, 4, { label: four }));
    expect(sortCli(root).code).toBe(1);
    expect(listFiles(path.join(root, 'data/KW')).filter((f) => !f.startsWith('ERROR/'))).toEqual(['2024-03/yy.csv']);
    const r = reasons(root);
    expect(r['y0024.csv']).toMatch(
      /^PARSE-ERROR: line 2: Start Time — expected a date from 1970-01-01 to \d{4}-\d\d-\d\d \(a year from now\), got "03\/01\/0024 00:00:00" \(\+3 more\)$/,
    );
    expect(r['y1969.csv']).toMatch(/^PARSE-ERROR: line 2: Start Time — .*got "12\/31\/1969 23:00:00" \(\+3 more\)$/);
    expect(r['ahead.csv']).toMatch(new RegExp(`^PARSE-ERROR: line 2: Start Time — .*got "03/01/${next} 00:00:00"`));
    const side = JSON.parse(fs.readFileSync(path.join(root, 'data/KW/ERROR/y0024_PARSE-ERROR.json'), 'utf8'));
    expect(side.rows[0]).toMatchObject({ line: 2, column: 'Start Time' });
    expect(fs.existsSync(path.join(root, 'data/KW/1924-03'))).toBe(false);
  });
});

describe('locks that name no real holder (issue 13 item 7)', () => {
  it('a lock with pid 0 is exit 2 at once, saying what to do; a lock whose pid is now another process is taken over', () => {
    const root = site();
    deliver(root, 'north.csv', exportText('144800052', '2024-07-12T00:00', 4));
    const lock = path.join(root, '.lptool.lock');
    fs.writeFileSync(lock, JSON.stringify({ pid: 0, host: os.hostname(), command: 'lptool sort', since: 'then' }));
    const r = sortCli(root, '--lock-wait', '30');
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      `lptool: LPT_LOCK_INVALID: site lock — expected lptool's lock file (a process id > 0 and its host), got pid 0; if no lptool runs on this site, remove .lptool.lock and run again (${lock})\n`,
    );
    // this test's own pid is alive, but the lock says it started at another time: a reused pid
    fs.writeFileSync(
      lock,
      JSON.stringify({ pid: process.pid, host: os.hostname(), command: 'lptool sort', since: 'then', startTime: '1' }),
    );
    const t0 = Date.now();
    expect(sortCli(root, '--lock-wait', '30').code).toBe(0);
    expect(Date.now() - t0).toBeLessThan(15_000);
    expect(fs.existsSync(lock)).toBe(false);
  });
});
