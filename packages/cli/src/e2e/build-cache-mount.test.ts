/**
 * lp/.cache on a file system of its own (another disk mounted there, as lptool's message for a symlinked
 * lp/.cache advises): a profile's shadow cannot be renamed over it, so an append copies the profile instead —
 * the real CLI in a mount namespace of its own (util-linux's unshare and mount, as the output guard's test).
 */

import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { BIN, cleanupsAfterEach, synthSite } from '../testing.js';

const cleanups = cleanupsAfterEach();

describe('lp/.cache mounted from another file system', () => {
  it('the first append after a full build (and the next) is exit 0, the profile as a full build makes it', () => {
    const synth = ['--meters', '1', '--days', '21', '--start', '2024-06-03'];
    const s = synthSite(synth);
    cleanups.push(s.cleanup);
    const whole = synthSite(synth, [['sort', '--settle', '0'], ['build']]);
    cleanups.push(whole.cleanup);
    const { root, dir } = s;
    const held = path.join(dir, 'held');
    fs.mkdirSync(held);
    const weeks = fs.readdirSync(path.join(root, '_dropbox/KW')).sort();
    expect(weeks).toHaveLength(3);
    for (const f of weeks.slice(1)) fs.renameSync(path.join(root, '_dropbox/KW', f), path.join(held, f));
    fs.mkdirSync(path.join(root, 'lp/.cache'), { recursive: true });
    // a full build, then a week at a time: each build appends through (or past) the shadow on the tmpfs
    const script = [
      'root=$1 node=$2 bin=$3',
      'mount -t tmpfs tmpfs "$root/lp/.cache" || exit 99',
      'build() { "$node" "$bin" sort --settle 0 -q --root "$root" && "$node" "$bin" build -q --root "$root"; echo "exit $?"; }',
      'build',
      `mv "$4/${weeks[1]}" "$1/_dropbox/KW/"`,
      'build',
      `mv "$4/${weeks[2]}" "$1/_dropbox/KW/"`,
      'build',
    ].join('\n');
    const r = spawnSync('unshare', ['-m', 'sh', '-c', script, 'sh', root, process.execPath, BIN, held], {
      encoding: 'utf8',
      env: { ...process.env, TZ: 'America/Los_Angeles' },
    });
    expect([r.status, r.stdout, r.stderr]).toEqual([0, 'exit 0\nexit 0\nexit 0\n', '']);
    expect(fs.readFileSync(path.join(root, 'lp/north.csv'), 'utf8')).toBe(
      fs.readFileSync(path.join(whole.root, 'lp/north.csv'), 'utf8'),
    );
  });
});
