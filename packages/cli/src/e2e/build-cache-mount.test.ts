/**
 * lp/.cache on a mount of its own — another disk mounted there (as lptool's message for a symlinked lp/.cache
 * advises), or a bind mount of a folder of the same disk: a profile's shadow cannot be renamed over it (EXDEV), so
 * an append copies the profile instead. The real CLI in a mount namespace of its own (util-linux's unshare and
 * mount, as the output guard's bind-mount test).
 */

import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { BIN, cleanupsAfterEach, synthSite } from '../testing.js';

const cleanups = cleanupsAfterEach();
const SYNTH = ['--meters', '1', '--days', '21', '--start', '2024-06-03'];

/**
 * A full build of week 1 then a build per week after it, with `mount` (a shell line of `$root`) put at lp/.cache
 * first: the builds' exit lines, stderr, and lp/north.csv at the end.
 */
function weeksThroughMount(mount: string): { stdout: string; stderr: string; status: number | null; profile: string } {
  const s = synthSite(SYNTH);
  cleanups.push(s.cleanup);
  const { root, dir } = s;
  const held = path.join(dir, 'held');
  fs.mkdirSync(held);
  fs.mkdirSync(path.join(dir, 'elsewhere'));
  const weeks = fs.readdirSync(path.join(root, '_dropbox/KW')).sort();
  expect(weeks).toHaveLength(3);
  for (const f of weeks.slice(1)) fs.renameSync(path.join(root, '_dropbox/KW', f), path.join(held, f));
  fs.mkdirSync(path.join(root, 'lp/.cache'), { recursive: true });
  const script = [
    'root=$1 node=$2 bin=$3 held=$4 dir=$5',
    `${mount} || exit 99`,
    'build() { "$node" "$bin" sort --settle 0 -q --root "$root" && "$node" "$bin" build -q --root "$root"; echo "exit $?"; }',
    'build',
    `mv "$held/${weeks[1]}" "$root/_dropbox/KW/"`,
    'build',
    `mv "$held/${weeks[2]}" "$root/_dropbox/KW/"`,
    'build',
  ].join('\n');
  const r = spawnSync('unshare', ['-m', 'sh', '-c', script, 'sh', root, process.execPath, BIN, held, dir], {
    encoding: 'utf8',
    env: { ...process.env, TZ: 'America/Los_Angeles' },
  });
  return { ...r, profile: fs.readFileSync(path.join(root, 'lp/north.csv'), 'utf8') };
}

describe('lp/.cache on a mount of its own', () => {
  it('another file system, or a bind mount of the same one: every append is exit 0, the profile a full build', () => {
    const whole = synthSite(SYNTH, [['sort', '--settle', '0'], ['build']]);
    cleanups.push(whole.cleanup);
    const expected = fs.readFileSync(path.join(whole.root, 'lp/north.csv'), 'utf8');
    for (const mount of ['mount -t tmpfs tmpfs "$root/lp/.cache"', 'mount --bind "$dir/elsewhere" "$root/lp/.cache"']) {
      const r = weeksThroughMount(mount);
      expect([mount, r.status, r.stdout, r.stderr]).toEqual([mount, 0, 'exit 0\nexit 0\nexit 0\n', '']);
      expect(r.profile).toBe(expected);
    }
  });
});
