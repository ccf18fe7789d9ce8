import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listFiles, lptool, lptoolKilledAfter, seededRandom, tempDir } from '../testing.js';

/**
 * "Never a half-written profile" for appends through the shadow (SPEC §4):
 * a cron-style build that appends one day to 30 profiles is killed with
 * SIGKILL at seeded-random moments, mostly late in the run where the commit
 * happens — half of the time the first append after a full build (its shadows
 * empty: the append copies each whole profile into its shadow), half of the
 * time a later one (the shadows hold the profiles one append behind). At the moment of death every profile must be byte for byte the old
 * one or the new one; and after a re-run and one more day, every profile must
 * be exactly what a full build of all the inputs gives — so a shadow left
 * half-done can never leak into a profile.
 */
const METERS = 30;
const KILLS = 24;
const HEADER = 'meter,Record No.,Event Type,Start Time,End Time,kw_del,kw_rec,kva_del,kva_rec';

const p2 = (n: number) => String(n).padStart(2, '0');
const label = (wall: number) => {
  const d = new Date(wall);
  return `${p2(d.getUTCMonth() + 1)}/${p2(d.getUTCDate())}/${p2(d.getUTCFullYear() % 100)} ${p2(d.getUTCHours())}:${p2(d.getUTCMinutes())}:00`;
};

/** One more local day of 15-minute rows per meter, continuing each meter's last archived export. */
function nextDay(root: string, tag: string): { file: string; text: string }[] {
  const meters = fs.readFileSync(path.join(root, 'meter-data.csv'), 'utf8').trim().split('\n').slice(1);
  const archived = listFiles(path.join(root, 'data/KW')).filter((f) => /^\d{4}-\d{2}\//.test(f));
  return meters.map((line) => {
    const [id, name] = line.split(',');
    const last = archived.filter((f) => path.basename(f).startsWith(`${name}-`)).pop()!;
    const rows = fs
      .readFileSync(path.join(root, 'data/KW', last), 'utf8')
      .trim()
      .split('\n');
    const f = rows[rows.length - 1]!.split(',');
    const [md, t] = f[4]!.split(' ');
    const [mo, d, y] = md!.split('/').map(Number);
    const [h, mi] = t!.split(':').map(Number);
    let w = Date.UTC(2000 + y!, mo! - 1, d!, h!, mi!);
    const out = [HEADER];
    for (let i = 0; i < 96; i++, w += 900_000)
      out.push(
        [id, Number(f[1]) + 1 + i, 'Normal', label(w), label(w + 900_000), (i % 40) + 0.5, 0, (i % 40) + 2, 0].join(
          ',',
        ),
      );
    const month = new Date(w - 900_000).toISOString().slice(0, 7);
    return { file: `data/KW/${month}/${name}-${tag}.csv`, text: `${out.join('\n')}\n` };
  });
}

type Shadows = 'empty' | 'filled';
/** Each meter's last archived export (by name, as nextDay finds it). */
function lastExports(root: string): string[] {
  const meters = fs.readFileSync(path.join(root, 'meter-data.csv'), 'utf8').trim().split('\n').slice(1);
  const archived = listFiles(path.join(root, 'data/KW')).filter((f) => /^\d{4}-\d{2}\//.test(f));
  return meters.map((line) => {
    const name = line.split(',')[1]!;
    return path.join(root, 'data/KW', archived.filter((f) => path.basename(f).startsWith(`${name}-`)).pop()!);
  });
}

const write = (root: string, files: { file: string; text: string }[]) => {
  for (const f of files) {
    fs.mkdirSync(path.dirname(path.join(root, f.file)), { recursive: true });
    fs.writeFileSync(path.join(root, f.file), f.text);
  }
};
const profiles = (root: string) =>
  Object.fromEntries(
    fs
      .readdirSync(path.join(root, 'lp'))
      .filter((f) => f.endsWith('.csv'))
      .map((f) => [f, fs.readFileSync(path.join(root, 'lp', f), 'utf8')]),
  );

describe('lptool build: appends under SIGKILL', () => {
  let template: { dir: string; cleanup: () => void };
  let day1: { file: string; text: string }[];
  let day2: { file: string; text: string }[];
  let before: Record<string, string>;
  let after: Record<string, string>;
  let full2: Record<string, string>;
  let appendMs = 0;

  /**
   * A copy of the sorted site with its profiles built there (a copied profile has a new mtime: it would be
   * rebuilt, not appended to). `empty`: by a full build, which leaves every shadow empty. `filled`: by a full
   * build without each meter's last export, then an append of it — the same profiles, their shadows one
   * append behind.
   */
  const copy = (shadows: Shadows = 'empty') => {
    const t = tempDir('lptool-append-crash-');
    fs.cpSync(template.dir, t.dir, { recursive: true });
    const held = shadows === 'filled' ? lastExports(t.dir) : [];
    for (const f of held) fs.renameSync(f, `${f}.held`);
    expect(lptool(['build', '--root', t.dir]).code).toBe(0);
    if (held.length) {
      for (const f of held) fs.renameSync(`${f}.held`, f);
      const r = lptool(['build', '--root', t.dir, '--json']);
      expect(r.code).toBe(0);
      expect(new Set(JSON.parse(r.stdout).meters.map((m: { status: string }) => m.status))).toEqual(
        new Set(['appended']),
      );
    }
    const sizes = fs
      .readdirSync(path.join(t.dir, 'lp/.cache'))
      .filter((f) => f.endsWith('.shadow'))
      .map((f) => fs.statSync(path.join(t.dir, 'lp/.cache', f)).size);
    expect(sizes.length).toBe(METERS);
    expect(sizes.every((n) => (shadows === 'empty' ? n === 0 : n > 0))).toBe(true);
    return t;
  };

  /** Every profile is byte for byte the old or the new one; returns how many are new. */
  const wholeProfiles = (root: string, label: string) => {
    let changed = 0;
    for (const [name, text] of Object.entries(profiles(root))) {
      expect([before[name], after[name]], `${name} ${label}`).toContain(text);
      if (text !== before[name]) changed++;
    }
    return changed;
  };
  /** One more day and a build run to the end: what a full build of everything gives, and no temps left. */
  const convergesAfterNextDay = (root: string) => {
    write(root, day2);
    const again = lptool(['build', '--root', root]);
    expect(again.stderr).toBe('');
    expect(again.code).toBe(0);
    expect(profiles(root)).toEqual(full2);
    expect(listFiles(root).filter((f) => /\.tmp-/.test(f))).toEqual([]);
  };

  beforeAll(() => {
    template = tempDir('lptool-append-template-');
    const root = template.dir;
    const made = [
      ['synth', 'site', '--out', root, '--meters', String(METERS), '--days', '9', '--start', '2024-02-01'],
      ['sort', '--root', root, '--settle', '0'],
    ].map((a) => lptool(a).code);
    expect(made).toEqual([0, 0]);
    day1 = nextDay(root, 'day1');
    // the run that gets killed, once uninterrupted: every meter appends
    const t = copy();
    try {
      before = profiles(t.dir);
      write(t.dir, day1);
      const t0 = performance.now();
      const r = lptool(['build', '--root', t.dir, '--json']);
      appendMs = performance.now() - t0;
      expect(r.code).toBe(0);
      expect(new Set(JSON.parse(r.stdout).meters.map((m: { status: string }) => m.status))).toEqual(
        new Set(['appended']),
      );
      after = profiles(t.dir);
      day2 = nextDay(t.dir, 'day2');
      write(t.dir, day2);
      expect(lptool(['build', '--root', t.dir, '--full']).code).toBe(0);
      full2 = profiles(t.dir);
    } finally {
      t.cleanup();
    }
  }, 120_000);
  afterAll(() => template.cleanup());

  // stopped between every two steps of the commit (LPTOOL_CRASH_AT makes the process SIGKILL itself there),
  // in the first append after a full build (empty shadows) and in a later one
  it.each(
    (['empty', 'filled'] as const).flatMap((shadows) =>
      [
        ['swap-synced:0', 'all shadows written and synced, no profile replaced yet'],
        ['swap-linked:12', '12 profiles replaced, the 13th linked to its temp name'],
        ['swap-synced:20', '20 profiles replaced'],
        ['swap-replaced:0', 'every profile replaced, no old one renamed to be a shadow'],
        ['swap-replaced:17', 'every profile replaced, 17 old ones renamed to be shadows'],
        ['manifest:0', 'everything committed but the manifest'],
      ].map(([point, what]) => [point!, what!, shadows] as const),
    ),
  )(
    'killed at %s (%s), shadows %s before: every profile whole, and a re-run converges on a full build',
    (point, _, shadows) => {
      const t = copy(shadows);
      try {
        write(t.dir, day1);
        const r = lptool(['build', '--root', t.dir], { env: { LPTOOL_CRASH_AT: point } });
        expect(r.code).toBe(-1); // killed by the signal
        const replaced = wholeProfiles(t.dir, `killed at ${point}`);
        const [where, i] = point.split(':');
        expect(replaced).toBe(where === 'swap-synced' || where === 'swap-linked' ? Number(i) : METERS);
        convergesAfterNextDay(t.dir);
      } finally {
        t.cleanup();
      }
    },
  );

  it('a full build killed between its renames (profile and shadow pairs) leaves every profile whole', () => {
    const t = copy();
    try {
      write(t.dir, day1);
      // the pending list pairs each profile with its shadow: 25 = 13 profiles and 12 shadows renamed
      const r = lptool(['build', '--root', t.dir, '--full'], { env: { LPTOOL_CRASH_AT: 'commit:25' } });
      expect(r.code).toBe(-1);
      expect(wholeProfiles(t.dir, 'killed at commit:25')).toBe(13);
      convergesAfterNextDay(t.dir);
    } finally {
      t.cleanup();
    }
  });

  it(`every profile is the old or the new one at ${KILLS} kills, and a re-run converges on a full build`, async () => {
    const random = seededRandom(20240301);
    let killedMidway = 0;
    let changedAtDeath = 0;
    let mixed = 0;
    for (let round = 0; round < KILLS; round++) {
      const t = copy(round % 2 ? 'filled' : 'empty');
      try {
        write(t.dir, day1);
        // the commit is at the end of the run: aim most kills at its second half
        const delay = appendMs * (0.45 + 0.6 * random());
        const run = await lptoolKilledAfter(['build', '--root', t.dir], delay);
        if (run.killed) killedMidway++;
        // the machine got faster (less load) than when appendMs was measured: aim at this run's length
        else appendMs = Math.min(appendMs, run.elapsedMs);
        const changed = wholeProfiles(t.dir, `at the kill, round ${round}`);
        changedAtDeath += changed;
        if (changed > 0 && changed < METERS) mixed++;
        convergesAfterNextDay(t.dir);
      } finally {
        t.cleanup();
      }
    }
    expect(killedMidway).toBeGreaterThanOrEqual(KILLS * 0.5);
    console.info(
      `append crash: ${killedMidway} of ${KILLS} runs killed (half of them first appends after a full build); ${changedAtDeath} profiles already new at a kill; ${mixed} kills inside the commit (some new, some old)`,
    );
  }, 300_000);
});
