import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listFiles, lptool, sha256, tempDir } from './testing.js';

/*
 * A reversed or empty --from/--to is a usage error (exit 2) that touches nothing, on every command that
 * takes a range — checked once, in core's parseRange, before a command reads or writes anything.
 */
let root = '';
let cleanup = () => {};
beforeAll(() => {
  const t = tempDir('lptool-ranges-');
  root = t.dir;
  cleanup = t.cleanup;
  const site = path.join(root, 'site');
  const run = (args: string[], code: number) => expect(lptool(args, { cwd: site }).code).toBe(code);
  expect(lptool(['synth', 'site', '--out', site, '--meters', '2', '--days', '7', '--start', '2024-01-01']).code).toBe(
    0,
  );
  run(['sort', '--settle', '0'], 0);
  run(['build'], 0);
  run(['merge'], 0);
  run(['gaps'], 0);
  run(
    ['synth', 'bess', '--out', path.join(site, 'bess'), '--inverters', '1', '--days', '2', '--extra-columns', '2'],
    0,
  );
});
afterAll(() => cleanup());

/** Every file of the site with its hash and mtime. */
const snapshot = () =>
  listFiles(root).map(
    (f) => `${f} ${sha256(fs.readFileSync(path.join(root, f)))} ${fs.statSync(path.join(root, f)).mtimeMs}`,
  );

const commands: [string, string[]][] = [
  ['build', ['build', '--out', 'extract']],
  ['gaps', ['gaps', 'lp/north.csv', '--png', '--out', 'ranged']],
  ['resample', ['resample', 'lp/north.csv', '--every', '1d']],
  ['stats', ['stats', 'lp/north.csv', 'lp/all.csv', '--out', 'stats.csv']],
  ['bess', ['bess', '-c', 'bess/bess.yaml']],
];

describe.each(commands)('lptool %s --from/--to', (_name, args) => {
  it.each([
    ['a reversed', '2024-02-01', '2024-01-01', 'a reversed range'],
    ['an empty', '2024-01-03', '2024-01-03', 'an empty range'],
    [
      'an empty (the same instant, written two ways)',
      '2024-01-03T00:00:00-08:00',
      '2024-01-03T08:00:00Z',
      'an empty range',
    ],
  ])('%s range is exit 2 and touches nothing', (_kind, from, to, what) => {
    const before = snapshot();
    const r = lptool([...args, '--from', from, '--to', to], { cwd: path.join(root, 'site') });
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      `lptool: LPT_USAGE: --from/--to — expected --to after --from, got --from ${from} and --to ${to}: ${what} (key --to)\n`,
    );
    expect(r.stdout).toBe('');
    expect(snapshot()).toEqual(before);
  });
});
