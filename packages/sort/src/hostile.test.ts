import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { deliver, dropboxSite, exportText, PLAIN_SORT, siteRoots } from '../../io/src/fixtures.test-helper.js';
import { sort } from './sort.js';

/**
 * A hostile dropbox (issue 13), on sort() itself: a file that vanishes while sort reads the dropbox. (The
 * other hostile dropboxes go through the real CLI: packages/cli/src/e2e/sort-hostile.test.ts.)
 */
const roots = siteRoots();
/** A fresh site root with lptool.yaml and an empty dropbox. */
const site = () => dropboxSite(roots.temp('lptool-hostile-'));

describe('one file that cannot be handled never stops the others (issue 13 items 2 and 9)', () => {
  it('a file that vanishes mid-run is named and the run goes on (exit 1); in a dry run it is exit 2', async () => {
    const root = site();
    for (const d of ['12', '13', '14'])
      deliver(root, `north-${d}.csv`, exportText('144800052', `2024-07-${d}T00:00`, 4, { seed: Number(d) }));
    // another process takes north-13.csv while the dry run reads north-12.csv
    const box = path.join(root, '_dropbox/KW');
    const vanish = () => fs.renameSync(path.join(box, 'north-13.csv'), path.join(root, 'taken.csv'));
    await expect(
      sort({ ...PLAIN_SORT, root, settleMs: 0, dryRun: true, onProgress: (d) => d === 1 && vanish() }),
    ).rejects.toThrow(
      /^dropbox — expected north-13\.csv to stay while the dry run read it, got it gone \(another sort is moving files\); nothing was changed: run the dry run again$/,
    );
    fs.renameSync(path.join(root, 'taken.csv'), path.join(box, 'north-13.csv'));
    const s = await sort({ ...PLAIN_SORT, root, settleMs: 0, onProgress: (d) => d === 1 && vanish() });
    expect(s.exitCode).toBe(1);
    expect(s.counts).toMatchObject({ archived: 2, failed: 1 });
    expect(s.failed).toEqual([
      {
        name: 'north-13.csv',
        why: 'vanished during the run (moved or deleted by another process); nothing of it was filed',
      },
    ]);
    expect(fs.readdirSync(path.join(root, 'data/KW/2024-07')).sort()).toEqual(['north-12.csv', 'north-14.csv']);
    const errLog = fs.readFileSync(path.join(root, 'logs/dropbox-error.log'), 'utf8');
    expect(errLog).toContain('"event":"failed","file":"north-13.csv"');
  });

  it('a file that vanishes between its read and its move is named; the files of its batch before and after it are filed', async () => {
    const root = site();
    const days = ['10', '11', '12', '13', '14', '15'];
    for (const d of days)
      deliver(root, `north-${d}.csv`, exportText('144800052', `2024-07-${d}T00:00`, 4, { seed: Number(d) }));
    const box = path.join(root, '_dropbox/KW');
    // once every file is read (and planned into one batch), another process takes north-12.csv
    const vanish = () => fs.renameSync(path.join(box, 'north-12.csv'), path.join(root, 'taken.csv'));
    const s = await sort({ ...PLAIN_SORT, root, settleMs: 0, onProgress: (d, n) => d === n && vanish() });
    expect(s.exitCode).toBe(1);
    expect(s.counts).toMatchObject({ archived: 5, failed: 1 });
    expect(s.failed.map((f) => f.name)).toEqual(['north-12.csv']);
    expect(s.files.map((f) => f.name)).toEqual([
      'north-10.csv',
      'north-11.csv',
      'north-13.csv',
      'north-14.csv',
      'north-15.csv',
    ]);
    expect(fs.readdirSync(path.join(root, 'data/KW/2024-07')).sort()).toEqual(
      days.filter((d) => d !== '12').map((d) => `north-${d}.csv`),
    );
    expect(fs.readdirSync(box)).toEqual([]);
    expect(fs.existsSync(path.join(root, '.processed-hashes.journal'))).toBe(false);
    const store = JSON.parse(fs.readFileSync(path.join(root, '.processed-hashes.json'), 'utf8'));
    expect(
      Object.values(store.files)
        .map((e) => (e as { source: string }).source)
        .sort(),
    ).toEqual(s.files.map((f) => f.name));
  });
});
