import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { AtomicFile } from './atomic.js';
import { cleanupsAfterEach, tempDir } from './fixtures.test-helper.js';
import { checkOutputPath, outputRefusal } from './output-guard.js';

const cleanups = cleanupsAfterEach();
/** A site with meter-data.csv (north, South), two profiles, an archived export and an outside folder. */
function site() {
  const t = tempDir('lptool-guard-');
  cleanups.push(t.cleanup);
  const root = path.join(t.dir, 'site');
  const profile = 'Start Time,End Time,MW_net\n2024-07-15T00:00:00-07:00,2024-07-15T00:15:00-07:00,1\n';
  fs.mkdirSync(path.join(root, 'lp'), { recursive: true });
  fs.mkdirSync(path.join(root, 'data/KW/2024-07'), { recursive: true });
  fs.mkdirSync(path.join(t.dir, 'elsewhere'));
  fs.writeFileSync(path.join(root, 'meter-data.csv'), 'meter,Name,multiplier\n1,north,1\n2,South,1\n');
  fs.writeFileSync(path.join(root, 'lp/north.csv'), profile);
  fs.writeFileSync(path.join(root, 'lp/South.csv'), profile);
  fs.writeFileSync(path.join(root, 'data/KW/2024-07/x.csv'), 'raw\n');
  return { root, outside: path.join(t.dir, 'elsewhere') };
}

describe('the output guard', () => {
  it('a named pipe, or a symlink to a device (/dev/stdout, /dev/null), is refused: never renamed over', () => {
    const t = tempDir('lptool-guard-special-');
    cleanups.push(t.cleanup);
    const fifo = path.join(t.dir, 'pipe');
    execFileSync('mkfifo', [fifo]);
    const dev = path.join(t.dir, 'null.csv');
    fs.symlinkSync('/dev/null', dev);
    for (const [out, kind] of [
      [fifo, 'a named pipe'],
      [dev, 'a character device'],
    ] as const) {
      expect(() => checkOutputPath(out, { flag: '--out' })).toThrow(
        new RegExp(`^--out — expected a path where a file can be written, got .* \\(it is ${kind}`),
      );
      // the writer itself refuses too (every command's outputs go through it), before it makes a temp file
      expect(() => new AtomicFile(out)).toThrow(new RegExp(`expected a regular file to write, got .*, ${kind}`));
    }
    expect(fs.statSync(fifo).isFIFO()).toBe(true);
    expect(fs.lstatSync(dev).isSymbolicLink()).toBe(true);
    expect(fs.readdirSync(t.dir).sort()).toEqual(['null.csv', 'pipe']);
  });

  it('a hard link to an input, a meter named in any case, a site found from the output path alone', () => {
    const { root, outside } = site();
    const input = path.join(outside, 'in.csv');
    fs.writeFileSync(input, 'x\n');
    fs.linkSync(input, path.join(outside, 'link.csv'));
    expect(outputRefusal(path.join(outside, 'link.csv'), { inputs: [input] })).toMatch(/^one of its inputs/);
    expect(outputRefusal(path.join(root, 'lp/south.csv'), {})).toBe('the profile of meter south');
    expect(outputRefusal(path.join(root, 'lp/South.csv'), {})).toBe('the profile of meter South');
    expect(outputRefusal(path.join(root, 'lp/all.csv'), {})).toBe('the site total lp/all.csv');
    expect(outputRefusal(path.join(root, 'data/KW/2024-07/x.csv'), {})).toBe("a file under the site's data/");
    expect(outputRefusal(path.join(root, 'data/KW/2025-01/new.csv'), {})).toBe("a file under the site's data/");
    expect(outputRefusal(path.join(root, 'lp/north_1d.csv'), {})).toBeNull();
    // lptool's own outputs that the site keeps in lp/: gap lists and gap pictures (any case), the QA report
    expect(outputRefusal(path.join(root, 'lp/north_gaps.csv'), {})).toBe("the site's gap list lp/north_gaps.csv");
    expect(outputRefusal(path.join(root, 'lp/X_GAPS.CSV'), {})).toBe("the site's gap list lp/X_GAPS.CSV");
    expect(outputRefusal(path.join(root, 'lp/all_gaps.vl.json'), {})).toBe(
      "the site's gap picture lp/all_gaps.vl.json",
    );
    expect(outputRefusal(path.join(root, 'lp/report/index.html'), {})).toBe(
      "a file of the site's QA report in lp/report/",
    );
    // what the operator asked resample and stats for may be written again; a gap list elsewhere is no site's
    expect(outputRefusal(path.join(root, 'lp/resampled/north_1d.csv'), {})).toBeNull();
    expect(outputRefusal(path.join(root, 'lp/stats/stats_duration.png'), {})).toBeNull();
    expect(outputRefusal(path.join(outside, 'north_gaps.csv'), {})).toBeNull();
    expect(outputRefusal(path.join(outside, 'new.csv'), { inputs: [input] })).toBeNull();
    expect(() => checkOutputPath(path.join(root, 'lp/north.csv'), { flag: '--out' })).toThrow(
      /^--out — expected an output of its own, got .*lp\/north\.csv \(the profile of meter north\); writing there would replace it$/,
    );
    expect(() => checkOutputPath(' ', { flag: '--out' })).toThrow('--out — expected a file name, got an empty value');
  });
});
