import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { PLAIN_SORT, siteRoots, siteTree as snapshot } from '../../io/src/fixtures.test-helper.js';
import { sort } from './sort.js';

const roots = siteRoots();
const site = () => roots.fixture('sort/input');

describe('sort — a second run', () => {
  it('a second run has nothing to do; a re-delivery later is a DUPLICATE', async () => {
    const root = site();
    await sort({ ...PLAIN_SORT, root, settleMs: 0 });
    const before = snapshot(root);
    const again = await sort({ ...PLAIN_SORT, root, settleMs: 0 });
    expect(again.exitCode).toBe(0);
    expect(again.counts).toEqual({
      archived: 0,
      error: 0,
      duplicate: 0,
      settling: 0,
      ignored: 2,
      failed: 0,
    });
    expect(snapshot(root)).toEqual(before);
    fs.copyFileSync(
      path.join(root, 'data/KW/2024-07/north-071224-110000_071224-124500.csv'),
      path.join(root, '_dropbox/KW/late.csv'),
    );
    fs.utimesSync(path.join(root, '_dropbox/KW/late.csv'), new Date(2024, 0, 1), new Date(2024, 0, 1));
    const third = await sort({ ...PLAIN_SORT, root, settleMs: 0 });
    expect(third.files).toMatchObject([{ name: 'late.csv', outcome: 'duplicate', dest: 'data/KW/DUPLICATE/late.csv' }]);
  });
});

describe('sort — safety', () => {
  it('leaves a file that is still being written for the next run', async () => {
    const root = site();
    const now = new Date();
    for (const f of fs.readdirSync(path.join(root, '_dropbox/KW')))
      fs.utimesSync(path.join(root, '_dropbox/KW', f), now, now);
    const s = await sort({ ...PLAIN_SORT, root, settleMs: 60_000 });
    expect(s.counts.settling).toBe(13);
    expect(s.counts.archived).toBe(0);
  });

  it('never overwrites: same name, different content → both kept', async () => {
    const root = site();
    await sort({ ...PLAIN_SORT, root, settleMs: 0 });
    const a = fs.readFileSync(path.join(root, 'data/KW/2024-07/clash.csv'), 'utf8');
    const b = fs.readFileSync(path.join(root, 'data/KW/2024-07/clash.2.csv'), 'utf8');
    expect(a).toContain('07/19/24');
    expect(b).toContain('07/20/24');
  });
});
