import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { exportText, listFiles, lptool, lptoolTraced, sha256, tempDir } from './testing.js';

/**
 * A full disk and a read-only lp/ (issue 13 item 9), made with strace's fault injection: the system
 * call fails as it would on such a disk. Each is one line on stderr that says what to do, exit 2, no
 * stack trace; nothing half-written is left, and once the disk is fixed a plain re-run finishes.
 */
let cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups) c();
  cleanups = [];
});
const OLD = new Date('2024-08-01T00:00:00Z');

function site(): string {
  const t = tempDir('lptool-syserr-', true);
  cleanups.push(t.cleanup);
  const root = t.dir;
  fs.mkdirSync(path.join(root, '_dropbox/KW'), { recursive: true });
  fs.writeFileSync(path.join(root, 'lptool.yaml'), 'timezone: America/Los_Angeles\nclock: standard\n');
  fs.writeFileSync(path.join(root, 'meter-data.csv'), 'meter,name,multiplier\n1001,north,2\n1002,south,3\n');
  for (const [i, id] of ['1001', '1002'].entries())
    for (let d = 1; d <= 3; d++) {
      const f = path.join(root, '_dropbox/KW', `m${id}-${d}.csv`);
      fs.writeFileSync(f, exportText(id, `2024-07-0${d}T00:00`, 96, { seed: d * 10 + i }));
      fs.utimesSync(f, OLD, OLD);
    }
  return root;
}
const tree = (root: string) =>
  Object.fromEntries(
    listFiles(root)
      .filter((f) => !f.startsWith('logs/'))
      .map((f) => [f, sha256(fs.readFileSync(path.join(root, f)))]),
  );

describe('a full disk and a read-only lp/ are exit 2 with what to do', () => {
  it('sort: the journal cannot be written (ENOSPC) — nothing moves; after, a re-run sorts everything', () => {
    const root = site();
    const inputs = fs.readdirSync(path.join(root, '_dropbox/KW')).sort();
    const r = lptoolTraced(['sort', '--root', root, '--settle', '0'], {
      trace: 'write',
      paths: [path.join(root, '.processed-hashes.journal')],
      inject: ['write:error=ENOSPC'],
    });
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      'lptool: LPT_DISK_FULL: disk full — expected room to write, got ENOSPC (write); nothing half-written was kept and a re-run finishes the job: free space (or raise the quota) and run again\n',
    );
    expect(fs.readdirSync(path.join(root, '_dropbox/KW')).sort()).toEqual(inputs);
    const again = lptool(['sort', '--root', root, '--settle', '0', '--json']);
    expect(again.code).toBe(0);
    expect(JSON.parse(again.stdout).counts.archived).toBe(6);
  });

  // EDQUOT reaches Node without a name (`Unknown system error -122`): named by its number (review L2)
  it.each(['ENOSPC', 'EDQUOT'])(
    'build: the fsync of the new profiles fails (%s) — every profile as it was, no temp left',
    (errno) => {
      const root = site();
      expect(lptool(['sort', '--root', root, '--settle', '0']).code).toBe(0);
      const before = tree(root);
      const r = lptoolTraced(['build', '--root', root], { trace: 'fsync', inject: [`fsync:error=${errno}`] });
      expect(r.code).toBe(2);
      expect(r.stderr).toBe(
        `lptool: LPT_DISK_FULL: disk full — expected room to write, got ${errno} (fsync); nothing half-written was kept and a re-run finishes the job: free space (or raise the quota) and run again\n`,
      );
      // only the manifest-free state of before: no profile, no temp, no lock (logs aside)
      expect(Object.keys(tree(root)).filter((f) => !f.startsWith('lp/.cache/'))).toEqual(Object.keys(before));
      expect(listFiles(root).filter((f) => f.includes('.tmp-'))).toEqual([]);
      expect(lptool(['build', '--root', root]).code).toBe(0);
      expect(fs.existsSync(path.join(root, 'lp/north.csv'))).toBe(true);
    },
  );

  it('an errno Node cannot name (ESTALE) is named in the one line of an internal error (review L2)', () => {
    const root = site();
    expect(lptool(['sort', '--root', root, '--settle', '0']).code).toBe(0);
    const r = lptoolTraced(['build', '--root', root], { trace: 'fsync', inject: ['fsync:error=ESTALE'] });
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/^lptool: LPT_INTERNAL: ESTALE: errno 116, fsync \(set LPTOOL_DEBUG=1 for the stack\)\n$/);
    expect(r.stderr).not.toMatch(/Unknown system error/);
  });

  it('build: lp/ is read-only (EROFS at the first write there) — exit 2 naming the file, profiles as they were', () => {
    const root = builtSiteWithOneMoreDay();
    const before = tree(root);
    const env = { LPTOOL_WORKERS: '1' };
    // which of the main thread's opens is the first that writes in lp/: that one fails, as on a read-only disk.
    // Counted on a twin made the same way (a copy would not do: build trusts only profiles it wrote in place)
    const count = builtSiteWithOneMoreDay();
    const probe = lptoolTraced(['build', '--root', count], { trace: 'openat', env });
    const main = probe.calls.filter((c) => c.tid === probe.calls[0]!.tid);
    const k = main.findIndex((c) => c.text.includes(`${count}/lp/`) && /O_WRONLY|O_RDWR|O_CREAT/.test(c.text)) + 1;
    expect(k).toBeGreaterThan(0);
    const r = lptoolTraced(['build', '--root', root], {
      trace: 'openat',
      inject: [`openat:error=EROFS:when=${k}`],
      env,
    });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(
      /^lptool: LPT_READ_ONLY: read-only file system — expected to write, got EROFS \(open\); nothing half-written was kept and a re-run finishes the job: remount it read-write \(or use --root on a writable copy\) and run again \(.*\/lp\/.*north.*\)\n$/,
    );
    expect(tree(root)).toEqual(before);
    expect(lptool(['build', '--root', root]).code).toBe(0);
  });
});

/** A site sorted and built, then one more day archived for north: the next build appends to lp/north.csv. */
function builtSiteWithOneMoreDay(): string {
  const root = site();
  expect(lptool(['sort', '--root', root, '--settle', '0']).code).toBe(0);
  expect(lptool(['build', '--root', root]).code).toBe(0);
  const f = path.join(root, 'data/KW/2024-07/m1001-4.csv');
  fs.writeFileSync(f, exportText('1001', '2024-07-04T00:00', 96, { seed: 4 }));
  return root;
}
