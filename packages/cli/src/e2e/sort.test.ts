import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { goldenJson, lptool, siteRoots, siteTree as snapshot } from '../testing.js';

/**
 * `lptool sort` end to end: the real CLI on the golden tree, the dry run, and what only the CLI says (exit
 * codes and one line on stderr). The planner and sort() are tested in packages/sort.
 */
const roots = siteRoots();
const site = () => roots.fixture('sort/input');

describe('lptool sort — the golden tree', () => {
  it('files every fixture to its outcome, exactly', () => {
    const root = site();
    fs.symlinkSync('/etc/hostname', path.join(root, '_dropbox/KW/linked.csv'));
    fs.mkdirSync(path.join(root, '_dropbox/KW/folder.csv'));
    const r = lptool(['sort', '--root', root, '--settle', '0']);
    expect(r.stderr).toMatch(/^(lptool: sort: .*\n)+$/); // rejects and skips: problems, on stderr
    expect(r.code).toBe(1); // rejects happened
    expect(r.stdout).toMatch(/^sort .*: 7 archived, 5 rejected, 1 duplicate, 0 still being written, 4 ignored$/m);
    expect(r.stderr).toContain(
      'lptool: sort: SEQUENCE-ERROR north-missing-rows.csv → data/KW/ERROR/north-missing-rows_SEQUENCE-ERROR.csv: line 6: time break',
    );
    expect(r.stderr).toMatch(/sort: skipped linked\.csv: symlink/);
    const tree = snapshot(root);
    expect(tree).toEqual(goldenJson('sort/expected-tree.json', tree));
    // the DST files in both End Time conventions were accepted; the untouchables are still there
    for (const f of [
      '2024-11/south-fallback-wall.csv',
      '2024-11/south-fallback-plus.csv',
      '2024-03/south-spring-wall.csv',
      '2024-03/south-spring-plus.csv',
    ])
      expect(tree[`data/KW/${f}`]).toBeDefined();
    for (const f of ['.partial.csv', 'notes.txt', 'linked.csv', 'folder.csv'])
      expect(fs.lstatSync(path.join(root, '_dropbox/KW', f))).toBeTruthy();
    // the sidecar names the rows
    const side = JSON.parse(
      fs.readFileSync(path.join(root, 'data/KW/ERROR/north-missing-rows_SEQUENCE-ERROR.json'), 'utf8'),
    );
    expect(side.rows.map((x: { line: number }) => x.line)).toEqual([6]);
    // logs: one line per file taken in, mismatch context for the reject
    const log = fs
      .readFileSync(path.join(root, 'logs/dropbox.log'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(
      log
        .filter((l) => l.event === 'archived')
        .map((l) => l.file)
        .sort(),
    ).toHaveLength(7);
    expect(log[0]).toMatchObject({
      event: 'start',
      timezone: 'America/Los_Angeles',
      clock: 'legal',
      intervalMs: 900000,
    });
    const errs = fs
      .readFileSync(path.join(root, 'logs/dropbox-error.log'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    const seqErr = errs.find((e) => e.reason === 'SEQUENCE-ERROR');
    expect(seqErr.context.map((c: { line: number }) => c.line)).toEqual([4, 5, 6, 7, 8]);
  });
});

describe('lptool sort — safety', () => {
  it('--dry-run reports the plan and touches nothing (not even logs)', () => {
    const root = site();
    const before = snapshot(root, false);
    const r = lptool(['sort', '--root', root, '--settle', '0', '--dry-run']);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^\[dry run\] sort .*7 would be archived, 5 would be rejected/m);
    expect(snapshot(root, false)).toEqual(before);
  });

  it('a corrupt hash store stops the run with exit 2 and moves nothing', () => {
    const root = site();
    fs.writeFileSync(path.join(root, '.processed-hashes.json'), '{"version":1,"files":{"abc":{}}}');
    const before = snapshot(root, false);
    const r = lptool(['sort', '--root', root, '--settle', '0']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^lptool: LPT_HASH_STORE_CORRUPT: hash store — expected lptool's JSON, got files\.abc/);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(snapshot(root, false)).toEqual(before);
    fs.writeFileSync(path.join(root, '.processed-hashes.json'), '{"version":1,"files":{');
    expect(lptool(['sort', '--root', root]).code).toBe(2);
  });

  it('a second concurrent run waits, then exits 1 naming the holder', () => {
    const root = site();
    fs.writeFileSync(
      path.join(root, '.lptool.lock'),
      JSON.stringify({ pid: process.pid, host: os.hostname(), command: 'lptool sort', since: 'now' }),
    );
    const r = lptool(['sort', '--root', root, '--settle', '0', '--lock-wait', '0.5']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      new RegExp(`LPT_LOCKED: site is locked — expected no other lptool run, got pid ${process.pid}`),
    );
    expect(fs.readdirSync(path.join(root, '_dropbox/KW'))).toContain('clash.csv');
  });

  it('rejects a configuration error with exit 2 before touching anything', () => {
    const root = site();
    fs.writeFileSync(path.join(root, 'lptool.yaml'), 'timezone: Not/AZone\n');
    const r = lptool(['sort', '--root', root]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(
      /LPT_BAD_TIMEZONE: time zone — expected an IANA name like America\/Los_Angeles, got "Not\/AZone" \(from lptool\.yaml\)/,
    );
  });
});
