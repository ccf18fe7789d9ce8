import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { failure, listFiles, PLAIN_BUILD, siteRoots, stderrOf } from '../../io/src/fixtures.test-helper.js';
import { build } from './build.js';
import { buildProblems } from './format.js';

const roots = siteRoots();
const site = (name: string) => roots.fixture(`build/${name}/input`);

describe('lptool build — behaviour', () => {
  it('is incremental: unchanged inputs are not rebuilt; a new file rebuilds only its meter; --full rebuilds all', async () => {
    const root = site('legal');
    await build({ ...PLAIN_BUILD, root });
    const again = await build({ ...PLAIN_BUILD, root });
    expect(again.meters.map((m: { status: string }) => m.status)).toEqual(['up-to-date', 'up-to-date', 'up-to-date']);
    expect(again.rowsRead).toBe(0);
    const src = path.join(root, 'data/KW/2024-07/east.csv');
    const text = fs.readFileSync(src, 'utf8').replaceAll('07/12/24', '07/13/24');
    fs.writeFileSync(path.join(root, 'data/KW/2024-07/east-next-day.csv'), text);
    const third = await build({ ...PLAIN_BUILD, root });
    expect(third.meters.map((m: { status: string }) => m.status)).toEqual(['up-to-date', 'up-to-date', 'appended']);
    expect(third.meters[2]!.rows).toBe(10);
    expect(third.rowsRead).toBe(6); // only the new file was read
    const appended = fs.readFileSync(path.join(root, 'lp/east.csv'), 'utf8');
    const sidecar = fs.readFileSync(path.join(root, 'lp/.cache/east.bin'));
    const full = await build({ ...PLAIN_BUILD, root, full: true });
    expect(full.meters.map((m: { status: string }) => m.status)).toEqual(['built', 'built', 'built']);
    // appending gives exactly the bytes of a full build, sidecar included
    expect(fs.readFileSync(path.join(root, 'lp/east.csv'), 'utf8')).toBe(appended);
    const data = (b: Buffer) => b.subarray(b.length - 10 * 4 * 8); // 10 rows × 4 Float64 columns
    expect(data(fs.readFileSync(path.join(root, 'lp/.cache/east.bin')))).toEqual(data(sidecar));
    // a new file that overlaps what is already built cannot be appended: that meter is rebuilt in full
    fs.writeFileSync(path.join(root, 'data/KW/2024-07/east-resent.csv'), text.replace('13.03', '13.50'));
    const fourth = await build({ ...PLAIN_BUILD, root });
    expect(fourth.meters[2]).toMatchObject({ status: 'built', rows: 10, conflicts: 1 });
    // and a profile edited by hand is rebuilt, not appended to
    fs.appendFileSync(path.join(root, 'lp/north.csv'), '');
    fs.utimesSync(path.join(root, 'lp/north.csv'), new Date(2020, 0, 1), new Date(2020, 0, 1));
    fs.writeFileSync(
      path.join(root, 'data/KW/2024-07/north-later.csv'),
      fs.readFileSync(path.join(root, 'data/KW/2024-07/north-a.csv'), 'utf8').replaceAll('07/12/24', '07/14/24'),
    );
    const fifth = await build({ ...PLAIN_BUILD, root });
    expect(fifth.meters[0]!.status).toBe('built');
  });

  it('appends go through the shadow; a shadow not as the last build left it is never used', async () => {
    const root = site('legal');
    const src = fs.readFileSync(path.join(root, 'data/KW/2024-07/east.csv'), 'utf8');
    const shadow = path.join(root, 'lp/.cache/east.csv.shadow');
    const profile = path.join(root, 'lp/east.csv');
    let day = 12;
    /** One more day for east, then a build: the statuses and east's profile. */
    const nextDay = async () => {
      day++;
      const text = src.replaceAll('07/12/24', `07/${day}/24`);
      fs.writeFileSync(path.join(root, `data/KW/2024-07/east-${day}.csv`), text);
      const r = await build({ ...PLAIN_BUILD, root });
      return r.meters.find((m) => m.name === 'east')!.status as string;
    };
    const fullBytes = async () => {
      const t = fs.mkdtempSync(path.join(os.tmpdir(), 'lpt-full-'));
      try {
        fs.cpSync(path.join(root, 'data'), path.join(t, 'data'), { recursive: true });
        for (const f of ['meter-data.csv', 'lptool.yaml']) fs.copyFileSync(path.join(root, f), path.join(t, f));
        expect((await build({ ...PLAIN_BUILD, root: t, meter: 'east' })).exitCode).toBeLessThan(2);
        return fs.readFileSync(path.join(t, 'lp/east.csv'), 'utf8');
      } finally {
        fs.rmSync(t, { recursive: true, force: true });
      }
    };
    await build({ ...PLAIN_BUILD, root });
    // a full build leaves an empty shadow (no copy of the profile); the first append fills it from the profile
    // and leaves the old profile as the shadow
    expect(fs.readFileSync(shadow, 'utf8')).toBe('');
    const before = fs.readFileSync(profile, 'utf8');
    expect(await nextDay()).toBe('appended');
    expect(fs.readFileSync(shadow, 'utf8')).toBe(before);
    expect(fs.readFileSync(profile, 'utf8')).toBe(await fullBytes());
    expect(await nextDay()).toBe('appended'); // the shadow catches up one append and takes the next
    expect(fs.readFileSync(profile, 'utf8')).toBe(await fullBytes());
    // killed while writing the shadow: rows at its end the manifest does not know
    fs.appendFileSync(shadow, 'half a row,');
    expect(await nextDay()).toBe('appended');
    expect(fs.readFileSync(profile, 'utf8')).toBe(await fullBytes());
    // killed between the two renames: no shadow, a linked temp of a dead process beside where it was
    fs.linkSync(shadow, path.join(root, 'lp/.cache/.east.csv.shadow.tmp-999999-0badc0de'));
    fs.rmSync(shadow);
    expect(await nextDay()).toBe('appended');
    expect(fs.readFileSync(profile, 'utf8')).toBe(await fullBytes());
    expect(fs.readdirSync(path.join(root, 'lp/.cache')).filter((f) => f.includes('.tmp-'))).toEqual([]);
    // (that append copied the profile, as it had no shadow, and left an empty one; the next fills it)
    expect(fs.readFileSync(shadow, 'utf8')).toBe('');
    expect(await nextDay()).toBe('appended');
    expect(fs.readFileSync(profile, 'utf8')).toBe(await fullBytes());
    // same size, other bytes (an edit that kept the length): its mtime gives it away
    const text = fs.readFileSync(shadow, 'utf8');
    const edited = text.replace(',Normal,', ',Normxl,');
    expect(edited).not.toBe(text);
    fs.writeFileSync(shadow, edited);
    expect(await nextDay()).toBe('appended');
    expect(fs.readFileSync(profile, 'utf8')).toBe(await fullBytes());
  });

  it('two exports that end at the same instant: the later delivery wins', async () => {
    const root = site('legal');
    const a = path.join(root, 'data/KW/2024-07/north-a.csv');
    const fixed = path.join(root, 'data/KW/2024-07/a-fixed-north.csv'); // sorts first by name, delivered later
    fs.writeFileSync(fixed, fs.readFileSync(a, 'utf8').replace(',0.84,55.79,', ',0.99,55.79,'));
    fs.utimesSync(a, new Date(2024, 6, 13), new Date(2024, 6, 13));
    fs.utimesSync(fixed, new Date(2024, 6, 14), new Date(2024, 6, 14));
    const r = buildProblems(await build({ ...PLAIN_BUILD, root, meter: 'north' })).join('\n');
    expect(r).toContain('kept data/KW/2024-07/a-fixed-north.csv:2 (kw_del=0.99');
    fs.utimesSync(fixed, new Date(2024, 6, 12), new Date(2024, 6, 12));
    expect(buildProblems(await build({ ...PLAIN_BUILD, root, meter: 'north', full: true })).join('\n')).toContain(
      'kept data/KW/2024-07/north-a.csv:2 (kw_del=0.84',
    );
  });

  it('--on-bad-row fail leaves that meter unbuilt and the others built', async () => {
    const root = site('legal');
    const r = await build({ ...PLAIN_BUILD, root, onBadRow: 'fail' });
    expect(r.meters.find((m) => m.name === 'east')!.status).toBe('failed');
    expect(fs.existsSync(path.join(root, 'lp/east.csv'))).toBe(false);
    expect(fs.existsSync(path.join(root, 'lp/north.csv'))).toBe(true);
    expect(r.meters.find((m) => m.name === 'east')!.error).toBe(
      'bad row(s); --on-bad-row fail: lp/east.csv left as it was',
    );
    // in an extract, the message speaks of the extract: lp/ is not the place it would have gone (review L3)
    const out = path.join(root, 'extract');
    const ex = await build({ ...PLAIN_BUILD, root, onBadRow: 'fail', out });
    expect(ex.meters.find((m) => m.name === 'east')!.error).toBe(
      'bad row(s); --on-bad-row fail: no extract of east written',
    );
    expect(fs.existsSync(path.join(out, 'east.csv'))).toBe(false);
  });

  it('--meter and --from/--to limit the work (a range writes an extract into --out)', async () => {
    const root = site('legal');
    const r = await build({
      ...PLAIN_BUILD,
      root,
      meter: 'north',
      from: '2024-07-12T12:00',
      to: '2024-07-12T13:00',
      out: path.join(root, 'extract'),
    });
    expect(r.exitCode).toBe(1); // the re-export conflict is still flagged
    expect(listFiles(path.join(root, 'extract'))).toEqual(['north.csv']);
    expect(fs.readFileSync(path.join(root, 'extract/north.csv'), 'utf8').trim().split('\n')).toHaveLength(5);
    expect(fs.existsSync(path.join(root, 'lp'))).toBe(false);
    const bad = await failure(build({ ...PLAIN_BUILD, root, meter: 'nowhere' }));
    expect(bad.exitCode).toBe(2);
    expect(stderrOf(bad)).toMatch(
      /--meter — expected a name from meter-data\.csv \(north, south, east\), got "nowhere"/,
    );
  });

  it('meter-data problems: bad names and duplicates stop the run (exit 2); a bad multiplier stops only its meter', async () => {
    const root = site('legal');
    const md = path.join(root, 'meter-data.csv');
    fs.writeFileSync(md, 'meter,name,multiplier\n144800052,north,28.8\n144800099,../south,40\n');
    let e = await failure(build({ ...PLAIN_BUILD, root }));
    expect(e.exitCode).toBe(2);
    expect(stderrOf(e)).toMatch(
      /LPT_BAD_METER_DATA: name — expected a plain file name .*got "\.\.\/south" \(meter-data\.csv:3, column name\)/,
    );
    fs.writeFileSync(md, 'meter,name,multiplier\n144800052,north,28.8\n144800052,north2,40\n');
    e = await failure(build({ ...PLAIN_BUILD, root }));
    expect(stderrOf(e)).toMatch(
      /meter — expected each id once, got 144800052 again \(first on line 2\) \(meter-data\.csv:3, column meter\)/,
    );
    fs.writeFileSync(md, 'meter,name,multiplier\n144800052,north,28.8\n144800099,all,40\n');
    expect((await failure(build({ ...PLAIN_BUILD, root }))).exitCode).toBe(2);
    // names lptool would take for its own outputs, in any case (review M1)
    for (const name of ['NORTH_GAPS', 'north_Gaps']) {
      fs.writeFileSync(md, `meter,name,multiplier\n144800052,${name},28.8\n`);
      e = await failure(build({ ...PLAIN_BUILD, root }));
      expect(e.exitCode, name).toBe(2);
      expect(stderrOf(e)).toMatch(
        new RegExp(
          `name — expected a name not ending in "_gaps" in any case \\(lp/${name}\\.csv would be taken for lptool's gap list\\), got "${name}" \\(meter-data\\.csv:2, column name\\)`,
        ),
      );
    }
    // a meter-data.csv that cannot be read as the site's configuration is exit 2, nothing done (review L3)
    for (const [text, why] of [
      ['meter,name\n144800052,north\n', /LPT_BAD_METER_DATA: .*multiplier/],
      ['', /LPT_BAD_METER_DATA: /],
    ] as const) {
      fs.writeFileSync(md, text);
      e = await failure(build({ ...PLAIN_BUILD, root }));
      expect(e.exitCode, text).toBe(2);
      expect(stderrOf(e)).toMatch(why);
      expect(stderrOf(e)).toMatch(/meter-data\.csv/);
    }
    fs.rmSync(md);
    fs.mkdirSync(md);
    e = await failure(build({ ...PLAIN_BUILD, root }));
    expect(e.exitCode).toBe(2);
    expect(stderrOf(e)).toMatch(
      /LPT_BAD_METER_DATA: meter-data\.csv — expected a file of meter,name,multiplier lines, got a folder/,
    );
    fs.rmdirSync(md);
    fs.writeFileSync(md, 'meter,name,multiplier\n144800052,north,-2\n144800099,south,40\n144800077,east,12\n');
    const r = await build({ ...PLAIN_BUILD, root });
    expect(r.exitCode).toBe(1);
    expect(buildProblems(r).join('\n')).toMatch(
      /north failed: multiplier — expected a number > 0, got "-2" \(meter-data\.csv:2, column multiplier\)/,
    );
    expect(fs.existsSync(path.join(root, 'lp/south.csv'))).toBe(true);
  });
});

describe('build — properties', () => {
  const base = () => site('legal');
  const profiles = (root: string) =>
    Object.fromEntries(
      ['north', 'south', 'east'].map((n) => [n, fs.readFileSync(path.join(root, `lp/${n}.csv`), 'utf8')]),
    );

  it('any order of the archived files gives the same bytes', async () => {
    const ref = base();
    await build({ ...PLAIN_BUILD, root: ref });
    const expected = profiles(ref);
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.integer({ min: 0, max: 999 }), { minLength: 10, maxLength: 10 }),
        async (prefixes) => {
          const root = base();
          const files = listFiles(path.join(root, 'data/KW'));
          files.forEach((f, i) => {
            const [month, name] = f.split('/');
            fs.renameSync(
              path.join(root, 'data/KW', f),
              path.join(
                root,
                'data/KW',
                month!,
                `${String(prefixes[i % prefixes.length]).padStart(3, '0')}-${i}-${name}`,
              ),
            );
          });
          await build({ ...PLAIN_BUILD, root });
          expect(profiles(root)).toEqual(expected);
        },
      ),
      { numRuns: 6 },
    );
  });

  it('splitting one export into several files gives the same bytes', async () => {
    const ref = base();
    await build({ ...PLAIN_BUILD, root: ref });
    const expected = profiles(ref);
    await fc.assert(
      fc.asyncProperty(fc.uniqueArray(fc.integer({ min: 1, max: 15 }), { maxLength: 5 }), async (cuts) => {
        const root = base();
        const file = path.join(root, 'data/KW/2024-11/south-fallback-wall.csv');
        const [head, ...rows] = fs.readFileSync(file, 'utf8').trim().split('\n');
        fs.rmSync(file);
        const points = [0, ...cuts.sort((a, b) => a - b), rows.length];
        for (let k = 0; k + 1 < points.length; k++) {
          fs.writeFileSync(
            path.join(root, `data/KW/2024-11/part-${k}.csv`),
            `${[head, ...rows.slice(points[k], points[k + 1])].join('\n')}\n`,
          );
        }
        await build({ ...PLAIN_BUILD, root });
        expect(profiles(root)).toEqual(expected);
      }),
      { numRuns: 6 },
    );
  });
});
