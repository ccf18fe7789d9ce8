import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { exportText, listFiles, lptool, lptoolTraced, sha256, tempDir } from '../testing.js';

/**
 * A full disk and a read-only archive in the middle of sort's batches (hash-store.ts: a batch's intents with
 * one fsync, its moves, one fsync per folder, its done records with one fsync), made with strace's fault
 * injection. Each stops the run with one line and exit 2; what moved stays filed exactly once, what did not
 * stays in the dropbox, and a plain re-run finishes: every input archived once, the store matching it.
 */
let cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups) c();
  cleanups = [];
});
const OLD = new Date('2024-08-01T00:00:00Z');
const DISK_FULL =
  'lptool: LPT_DISK_FULL: disk full — expected room to write, got ENOSPC (write); nothing half-written was kept and a re-run finishes the job: free space (or raise the quota) and run again\n';

/** A site sorted once before (one export filed, the store written), then six exports of two meters in the dropbox. */
function site(): { root: string; inputs: string[] } {
  const t = tempDir('lptool-batchfault-', true);
  cleanups.push(t.cleanup);
  const root = t.dir;
  fs.mkdirSync(path.join(root, '_dropbox/KW'), { recursive: true });
  fs.writeFileSync(path.join(root, 'lptool.yaml'), 'timezone: America/Los_Angeles\n');
  const inputs: string[] = [];
  const deliver = (name: string, text: string) => {
    const f = path.join(root, '_dropbox/KW', name);
    fs.writeFileSync(f, text);
    fs.utimesSync(f, OLD, OLD);
    return sha256(text);
  };
  deliver('m1001-0.csv', exportText('1001', '2024-06-30T00:00', 96, { seed: 1 }));
  expect(lptool(['sort', '--root', root, '--settle', '0']).code).toBe(0);
  for (const [i, id] of ['1001', '1002'].entries())
    for (let d = 1; d <= 3; d++)
      inputs.push(deliver(`m${id}-${d}.csv`, exportText(id, `2024-07-0${d}T00:00`, 96, { seed: d * 10 + i })));
  return { root, inputs: inputs.sort() };
}

const inBox = (root: string) => fs.readdirSync(path.join(root, '_dropbox/KW')).sort();
const archived = (root: string) =>
  listFiles(path.join(root, 'data/KW'))
    .filter((f) => /^2024-07\//.test(f))
    .map((f) => sha256(fs.readFileSync(path.join(root, 'data/KW', f))))
    .sort();
const journal = (root: string) =>
  fs
    .readFileSync(path.join(root, '.processed-hashes.journal'), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => (JSON.parse(l) as { op: string }).op);

/** The re-run: exit 0, the dropbox empty, every input archived once, the store naming each, no journal left. */
function rerunFinishes(root: string, inputs: string[]): { recovered: { recorded: number; forgotten: number } } {
  const r = lptool(['sort', '--root', root, '--settle', '0', '--json']);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  expect(inBox(root)).toEqual([]);
  expect(archived(root)).toEqual(inputs);
  const store = JSON.parse(fs.readFileSync(path.join(root, '.processed-hashes.json'), 'utf8')) as {
    files: Record<string, { dest: string }>;
  };
  expect(Object.keys(store.files)).toHaveLength(inputs.length + 1); // and the export sorted before
  for (const h of inputs) expect(store.files[h]?.dest).toMatch(/^data\/KW\/2024-07\//);
  for (const [hash, e] of Object.entries(store.files))
    expect(sha256(fs.readFileSync(path.join(root, e.dest)))).toBe(hash);
  expect(listFiles(root).filter((f) => /\.tmp-|\.journal$|\.lptool\.lock/.test(f))).toEqual([]);
  return JSON.parse(r.stdout);
}

describe('sort: a full disk or a read-only archive in the middle of a batch', () => {
  it('ENOSPC at the done records: the batch stays filed (exit 2), and the re-run records it from the journal', () => {
    const { root, inputs } = site();
    const r = lptoolTraced(['sort', '--root', root, '--settle', '0'], {
      trace: 'write',
      paths: [path.join(root, '.processed-hashes.journal')],
      inject: ['write:error=ENOSPC:when=2'], // the 1st write: the batch's intents; the 2nd: its done records
    });
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(DISK_FULL);
    expect(inBox(root)).toEqual([]);
    expect(archived(root)).toEqual(inputs); // all six moved in one batch, before the done records
    expect(journal(root)).toEqual(Array(6).fill('intent'));
    expect(rerunFinishes(root, inputs).recovered).toMatchObject({ recorded: 6, forgotten: 0 });
  });

  it('ENOSPC at the second batch’s intents (batches of 2): the first batch is filed, the rest stay in the dropbox', () => {
    const { root, inputs } = site();
    const r = lptoolTraced(['sort', '--root', root, '--settle', '0'], {
      trace: 'write',
      paths: [path.join(root, '.processed-hashes.journal')],
      inject: ['write:error=ENOSPC:when=3'], // intents of batch 1, its done records, intents of batch 2
      env: { LPTOOL_SORT_BATCH: '2' },
    });
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(DISK_FULL);
    expect(inBox(root)).toEqual(['m1002-1.csv', 'm1002-2.csv', 'm1002-3.csv', 'm1001-3.csv'].sort());
    expect(archived(root)).toHaveLength(2);
    expect(journal(root)).toEqual(['intent', 'intent', 'done', 'done']);
    expect(rerunFinishes(root, inputs).recovered).toMatchObject({ recorded: 2, forgotten: 0 });
  });

  it('EROFS at the third rename into data/KW/: the two moved are filed and recorded, exit 2, the re-run sorts the rest', () => {
    const { root, inputs } = site();
    // which rename is the third into data/KW/: counted on a twin (strace counts each call by its name)
    const twin = site().root;
    const probe = lptoolTraced(['sort', '--root', twin, '--settle', '0'], { trace: '/^rename' });
    const third = probe.calls.filter((c) => c.text.includes(`${twin}/data/KW/`))[2]!;
    const k = probe.calls.filter((c) => c.name === third.name).indexOf(third) + 1;
    const call = third.name;
    const r = lptoolTraced(['sort', '--root', root, '--settle', '0'], {
      trace: '/^rename',
      inject: [`${call}:error=EROFS:when=${k}`],
    });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(
      /^lptool: LPT_READ_ONLY: read-only file system — expected to write, got EROFS \(rename\);/,
    );
    expect(inBox(root)).toHaveLength(4);
    expect(archived(root)).toHaveLength(2);
    // the two moved were made durable and journaled done before the run stopped
    expect(journal(root)).toEqual([...Array(6).fill('intent'), 'done', 'done']);
    expect(rerunFinishes(root, inputs).recovered).toMatchObject({ recorded: 2, forgotten: 4 });
  });
});
