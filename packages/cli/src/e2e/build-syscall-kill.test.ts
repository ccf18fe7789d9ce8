import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  callCounts,
  DURABLE_SYSCALLS,
  exportText,
  listFiles,
  lptool,
  lptoolTraced,
  seededRandom,
  sha256,
  shuffled,
  tempDir,
} from '../testing.js';

/**
 * `build` killed at its system calls (issue 13): strace stops it on entering the K-th fsync, rename,
 * link or unlink of a thread (`-e inject=rename:signal=SIGKILL:when=K`), in a cron-style build that
 * appends a day to some profiles through their shadows and rebuilds one whose new file overlaps, and
 * in a --full build. The cron build is the first append after a full build (every shadow empty: the append
 * copies the whole profile into it) or a later one (the shadows filled by an earlier append). After each kill every profile is byte for byte the old one or the new one and the
 * archive is untouched; a re-run ends with every profile exactly as an uninterrupted build makes it, no
 * temp left, and the manifest right (the run after that has nothing to do). A seeded sample of points
 * per run (LPTOOL_SWEEP_SEED repeats one; the seed is in every failure message).
 */
const SEED = Number(process.env.LPTOOL_SWEEP_SEED) || Date.now() % 1_000_000;
const SAMPLE = { append: 14, later: 8, full: 8 };
const METERS = ['north', 'south', 'east', 'west'];
// one libuv thread for the async fsyncs, meters built in the main thread: K counts the same calls every run
const ENV = { UV_THREADPOOL_SIZE: '1', LPTOOL_WORKERS: '1' };

function addDay(root: string, m: number, day: number, seed = day): void {
  const start = new Date(Date.UTC(2023, 0, 1 + day)).toISOString().slice(0, 16);
  const dir = path.join(root, 'data/KW', start.slice(0, 7));
  fs.mkdirSync(dir, { recursive: true });
  const name = `${METERS[m]}-${start.slice(0, 10)}${seed === day ? '' : `-r${seed}`}.csv`;
  fs.writeFileSync(path.join(dir, name), exportText(String(1001 + m), start, 96, { seed: seed * 10 + m }));
}
/**
 * A site as cron finds it: three days of every meter built, then one more day of each and a corrected re-export
 * of south's second day archived. Made anew in each folder rather than copied: build trusts only profiles it
 * wrote in place (a copy's have another ctime and inode, and would be rebuilt in full, not appended to).
 * `empty`: the three days built by one full build (every shadow empty); `filled`: two days built, then the
 * third appended (the same profiles, every shadow holding its profile's first two days).
 */
function cronSite(root: string, shadows: 'empty' | 'filled' = 'empty'): void {
  fs.writeFileSync(path.join(root, 'lptool.yaml'), 'timezone: America/Los_Angeles\nclock: standard\n');
  fs.writeFileSync(
    path.join(root, 'meter-data.csv'),
    `meter,name,multiplier\n${METERS.map((n, m) => `${1001 + m},${n},${m + 1}`).join('\n')}\n`,
  );
  const built = shadows === 'empty' ? 3 : 2;
  for (let m = 0; m < METERS.length; m++) for (let d = 0; d < built; d++) addDay(root, m, d);
  expect(lptool(['build', '--root', root]).code).toBe(0);
  if (built < 3) {
    for (let m = 0; m < METERS.length; m++) addDay(root, m, 2);
    expect(lptool(['build', '--root', root]).code).toBe(0);
  }
  const cache = path.join(root, 'lp/.cache');
  const sizes = METERS.map((n) => fs.statSync(path.join(cache, `${n}.csv.shadow`)).size);
  expect(sizes.map((n) => n > 0)).toEqual(METERS.map(() => shadows === 'filled'));
  for (let m = 0; m < METERS.length; m++) addDay(root, m, 3);
  addDay(root, 1, 1, 7);
}
const profiles = (root: string) =>
  Object.fromEntries(
    fs
      .readdirSync(path.join(root, 'lp'))
      .filter((f) => f.endsWith('.csv'))
      .map((f) => [f, fs.readFileSync(path.join(root, 'lp', f), 'utf8')]),
  );
const archive = (root: string) =>
  Object.fromEntries(
    listFiles(path.join(root, 'data/KW')).map((f) => [f, sha256(fs.readFileSync(path.join(root, 'data/KW', f)))]),
  );

describe('lptool build killed at its fsyncs, renames, links and unlinks (strace)', () => {
  let template: { dir: string; cleanup: () => void };
  let before: Record<string, string>;
  let after: Record<string, string>;

  beforeAll(() => {
    template = tempDir('lptool-build-syscall-', true);
    const root = template.dir;
    cronSite(root);
    before = profiles(root);
    const done = tempDir('lptool-build-syscall-done-', true);
    const full = tempDir('lptool-build-syscall-full-', true);
    try {
      cronSite(done.dir);
      const r = lptool(['build', '--root', done.dir, '--json']);
      expect(r.code).toBe(1); // south's overlap is a conflict
      expect(JSON.parse(r.stdout).meters.map((x: { status: string }) => x.status)).toEqual([
        'appended',
        'built',
        'appended',
        'appended',
      ]);
      after = profiles(done.dir);
      cronSite(full.dir);
      expect(lptool(['build', '--root', full.dir, '--full']).code).toBe(1);
      expect(profiles(full.dir)).toEqual(after); // an append is byte for byte a full build
    } finally {
      done.cleanup();
      full.cleanup();
    }
  });
  afterAll(() => template.cleanup());

  const sweep = (label: string, args: string[], sample: number, shadows: 'empty' | 'filled' = 'empty') => {
    const count = tempDir('lptool-build-syscall-count-', true);
    let points: [string, number][];
    try {
      cronSite(count.dir, shadows);
      const r = lptoolTraced(['build', '--root', count.dir, ...args], { trace: DURABLE_SYSCALLS, env: ENV });
      expect(r.code).toBe(1);
      points = [...callCounts(r.calls)].flatMap(([call, n]) =>
        Array.from({ length: n }, (_, i) => [call, i + 1] as [string, number]),
      );
    } finally {
      count.cleanup();
    }
    const chosen = shuffled(points, seededRandom(SEED)).slice(0, sample);
    const inputs = archive(template.dir);
    let killed = 0;
    for (const [call, k] of chosen) {
      const where = `${label}: killed at ${call} #${k} (LPTOOL_SWEEP_SEED=${SEED})`;
      const t = tempDir('lptool-build-syscall-kill-', true);
      try {
        cronSite(t.dir, shadows);
        const r = lptoolTraced(['build', '--root', t.dir, ...args], {
          trace: DURABLE_SYSCALLS,
          inject: [`${call}:signal=SIGKILL:when=${k}`],
          env: ENV,
        });
        if (r.signal === 'SIGKILL') killed++;
        const now = profiles(t.dir);
        for (const [f, text] of Object.entries(now))
          expect(text === before[f] || text === after[f], `${where}: ${f} is the old or the new profile`).toBe(true);
        expect(archive(t.dir), `${where}: the archive is untouched`).toEqual(inputs);
        const again = lptool(['build', '--root', t.dir]);
        expect(again.stderr, where).toMatch(/^(lptool: (sort|build): .*\n)*$/); // its conflicts (problems), nothing else
        expect([0, 1], where).toContain(again.code);
        expect(profiles(t.dir), `${where}: after a re-run`).toEqual(after);
        const leftovers = [...listFiles(path.join(t.dir, 'lp')), ...fs.readdirSync(t.dir)].filter((f) =>
          /\.tmp-|\.lptool\.lock/.test(f),
        );
        expect(leftovers, where).toEqual([]);
        const third = JSON.parse(lptool(['build', '--root', t.dir, '--json']).stdout);
        expect(
          third.meters.map((m: { status: string }) => m.status),
          `${where}: the run after has nothing to do`,
        ).toEqual(METERS.map(() => 'up-to-date'));
      } finally {
        t.cleanup();
      }
    }
    const kinds = [...new Set(points.map((p) => p[0]))]
      .map((c) => `${c} ×${points.filter((p) => p[0] === c).length}`)
      .join(', ');
    console.log(
      `build syscall sweep (${label}, seed ${SEED}): ${chosen.length} of ${points.length} points (${kinds}), ${killed} killed, 0 failed`,
    );
    expect(killed).toBe(chosen.length);
  };

  it(`a cron build, the first after a full build (appends through empty shadows, one overlap rebuilt): ${SAMPLE.append} seeded points`, () => {
    sweep('append', [], SAMPLE.append);
  }, 240_000);

  it(`a later cron build (appends through filled shadows, one overlap rebuilt): ${SAMPLE.later} seeded points`, () => {
    sweep('later append', [], SAMPLE.later, 'filled');
  }, 240_000);

  it(`a --full build: ${SAMPLE.full} seeded points`, () => {
    sweep('full', ['--full'], SAMPLE.full);
  }, 240_000);
});
