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
 * `sort` killed at its system calls (issue 13): strace stops it on entering the K-th fsync, rename,
 * link or unlink (`-e inject=fsync:signal=SIGKILL:when=K`). After each kill every input is in the
 * dropbox or in exactly one place under data/KW/. Then a corrected re-export arrives under the name of
 * every input that left the dropbox, and sort runs again: every input, old and new, ends in exactly one
 * place, the new bytes in the archive — recovery never deletes a new delivery (item 1).
 *
 * sort files its inputs in batches (one intent fsync, the renames, one fsync per folder, one done fsync):
 * the small site is one batch of several files and every point is tried, so kills land between a batch's
 * moves (counted: a journal left with intents some of whose files moved and some not). Larger site, in
 * batches of 4: a seeded sample of points per run (LPTOOL_SWEEP_SEED repeats one; the seed is in every
 * failure message).
 */
const OLD = new Date('2024-08-01T00:00:00Z');
const SEED = Number(process.env.LPTOOL_SWEEP_SEED) || Date.now() % 1_000_000;
const SAMPLE = 16;

function deliver(root: string, name: string, text: string): void {
  const f = path.join(root, '_dropbox/KW', name);
  fs.writeFileSync(f, text);
  fs.utimesSync(f, OLD, OLD);
}

/** Content hashes (with counts) of every input: the dropbox plus data/KW/ without sidecars. */
function contentCount(root: string): Map<string, number> {
  const m = new Map<string, number>();
  for (const f of listFiles(root)) {
    if (!(f.startsWith('_dropbox/KW/') || f.startsWith('data/KW/'))) continue;
    if ((f.startsWith('data/KW/ERROR/') && f.endsWith('.json')) || path.basename(f).startsWith('.')) continue;
    const h = sha256(fs.readFileSync(path.join(root, f)));
    m.set(h, (m.get(h) ?? 0) + 1);
  }
  return m;
}
const plus = (a: Map<string, number>, hashes: string[]) => {
  const m = new Map(a);
  for (const h of hashes) m.set(h, (m.get(h) ?? 0) + 1);
  return m;
};

/** The store matches the archive: each recorded hash is at its destination; each filed file is recorded. */
function expectStoreMatchesArchive(root: string, where: string): void {
  const store = JSON.parse(fs.readFileSync(path.join(root, '.processed-hashes.json'), 'utf8')) as {
    files: Record<string, { dest: string }>;
  };
  for (const [hash, e] of Object.entries(store.files))
    expect(sha256(fs.readFileSync(path.join(root, e.dest))), `${where}: ${e.dest}`).toBe(hash);
  const dests = new Set(Object.values(store.files).map((e) => e.dest));
  for (const f of listFiles(path.join(root, 'data/KW'))) {
    if (f.endsWith('.json') || f.startsWith('DUPLICATE/')) continue;
    expect(dests.has(`data/KW/${f}`), `${where}: data/KW/${f} is recorded`).toBe(true);
  }
  expect(
    listFiles(root).filter((f) => /\.tmp-|\.journal$|\.lptool\.lock/.test(f)),
    `${where}: leftovers`,
  ).toEqual([]);
}

/** A site whose archive already has `a.csv`, and a dropbox of new files: a clash, good ones, a reject, a duplicate, a time break. */
function makeSite(dir: string, files: number): void {
  fs.mkdirSync(path.join(dir, '_dropbox/KW'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'lptool.yaml'), 'timezone: America/Los_Angeles\n');
  deliver(dir, 'a.csv', exportText('144800052', '2024-07-01T00:00', 4));
  expect(lptool(['sort', '--root', dir, '--settle', '0']).code).toBe(0);
  deliver(dir, 'a.csv', exportText('144800052', '2024-07-01T00:00', 4, { seed: 2 })); // same name, other bytes
  deliver(dir, 'bad.csv', 'hello');
  for (let k = 0; k < files; k++) {
    const text = exportText('144800052', `2024-07-${String(2 + k).padStart(2, '0')}T00:00`, 4, { seed: k });
    deliver(dir, `f${k}.csv`, text);
    if (k === 0) deliver(dir, 'f0-again.csv', text); // a re-delivery in the same run
    if (k === 1)
      deliver(
        dir,
        'broken.csv',
        text
          .split('\n')
          .filter((_, i) => i !== 2)
          .join('\n'),
      ); // a row lost
  }
}

/**
 * Did the kill cut a batch (hash-store.ts): the journal holds two or more intents without their `done`, and
 * some of those files had reached data/KW/ while others had not?
 */
function cutBatch(root: string): boolean {
  let text = '';
  try {
    text = fs.readFileSync(path.join(root, '.processed-hashes.journal'), 'utf8');
  } catch {
    return false;
  }
  const pending = new Map<string, string>();
  for (const raw of text.split('\n')) {
    let line: { op: string; hash: string; entry?: { dest: string } };
    try {
      line = JSON.parse(raw);
    } catch {
      continue; // a blank line, or the last one cut by the kill
    }
    if (line.op === 'intent') pending.set(line.hash, line.entry!.dest);
    else pending.delete(line.hash);
  }
  const there = [...pending.values()].map((dest) => fs.existsSync(path.join(root, dest)));
  return there.length >= 2 && there.includes(true) && there.includes(false);
}

/** Kill sort at each point, check, deliver corrected re-exports under the names that left, sort again, check. */
function killAndRecover(
  template: string,
  points: [string, number][],
  label: string,
  env: Record<string, string> = {},
): { killed: number; cut: number } {
  const expected = contentCount(template);
  const names = fs.readdirSync(path.join(template, '_dropbox/KW'));
  let killed = 0;
  let cut = 0;
  for (const [call, k] of points) {
    const where = `${label}: killed at ${call} #${k} (LPTOOL_SWEEP_SEED=${SEED})`;
    const t = tempDir('lptool-syscall-kill-', true);
    try {
      fs.cpSync(template, t.dir, { recursive: true, preserveTimestamps: true });
      const r = lptoolTraced(['sort', '--root', t.dir, '--settle', '0'], {
        trace: DURABLE_SYSCALLS,
        inject: [`${call}:signal=SIGKILL:when=${k}`],
        env,
      });
      if (r.signal === 'SIGKILL') killed++;
      if (cutBatch(t.dir)) cut++;
      // at the moment of death: every input in the dropbox or in exactly one place under data/KW
      expect(contentCount(t.dir), where).toEqual(expected);
      // corrected re-exports arrive under the names that left the dropbox
      const box = new Set(fs.readdirSync(path.join(t.dir, '_dropbox/KW')));
      const fresh: string[] = [];
      names.forEach((name, i) => {
        if (box.has(name)) return;
        const text = exportText('144800052', `2024-08-${String(1 + i).padStart(2, '0')}T00:00`, 4, { seed: 100 + k });
        deliver(t.dir, name, text);
        fresh.push(sha256(text));
      });
      const again = lptool(['sort', '--root', t.dir, '--settle', '0']);
      expect(again.stderr, where).toMatch(/^(lptool: (sort|build): .*\n)*$/); // its rejects (problems), nothing else
      expect([0, 1], where).toContain(again.code);
      expect(fs.readdirSync(path.join(t.dir, '_dropbox/KW')), where).toEqual([]);
      expect(contentCount(t.dir), where).toEqual(plus(expected, fresh));
      // each corrected re-export is archived (a month folder), exactly once
      const archived = listFiles(path.join(t.dir, 'data/KW'))
        .filter((f) => /^\d{4}-\d{2}\//.test(f))
        .map((f) => sha256(fs.readFileSync(path.join(t.dir, 'data/KW', f))));
      for (const h of fresh)
        expect(
          archived.filter((x) => x === h),
          `${where}: new bytes archived once`,
        ).toHaveLength(1);
      expectStoreMatchesArchive(t.dir, where);
    } finally {
      t.cleanup();
    }
  }
  return { killed, cut };
}

/** Every (call, K) at which an uninterrupted sort of the template enters a durability call. */
function allPoints(template: string, env: Record<string, string> = {}): [string, number][] {
  const t = tempDir('lptool-syscall-count-', true);
  try {
    fs.cpSync(template, t.dir, { recursive: true, preserveTimestamps: true });
    const r = lptoolTraced(['sort', '--root', t.dir, '--settle', '0'], { trace: DURABLE_SYSCALLS, env });
    expect(r.code).toBe(1); // a reject and a time break
    expect(new Set(r.calls.map((c) => c.tid)).size).toBe(1); // sort is one thread: K counts every call
    return [...callCounts(r.calls)].flatMap(([call, n]) =>
      Array.from({ length: n }, (_, i) => [call, i + 1] as [string, number]),
    );
  } finally {
    t.cleanup();
  }
}

describe('lptool sort killed at its fsyncs, renames, links and unlinks (strace)', () => {
  let small: { dir: string; cleanup: () => void };
  let large: { dir: string; cleanup: () => void };
  beforeAll(() => {
    small = tempDir('lptool-syscall-small-', true);
    makeSite(small.dir, 2);
    large = tempDir('lptool-syscall-large-', true);
    makeSite(large.dir, 12);
  });
  afterAll(() => {
    small.cleanup();
    large.cleanup();
  });

  it('at every point of a small sort: nothing lost or doubled, and a corrected re-export is never deleted', () => {
    const points = allPoints(small.dir);
    expect(points.length).toBeGreaterThan(20);
    const { killed, cut } = killAndRecover(small.dir, points, 'small site');
    const kinds = [...new Set(points.map((p) => p[0]))]
      .map((c) => `${c} ×${points.filter((p) => p[0] === c).length}`)
      .join(', ');
    console.log(
      `sort syscall sweep (small site): ${points.length} points (${kinds}), ${killed} killed (${cut} inside a batch), 0 failed`,
    );
    expect(killed).toBe(points.length);
    // the files go in batches (several under one intent fsync), and kills land between a batch's moves
    expect(cut).toBeGreaterThanOrEqual(3);
  }, 180_000);

  it(`at ${SAMPLE} seeded points of a larger sort in batches of 4 (seed ${SEED})`, () => {
    const env = { LPTOOL_SORT_BATCH: '4' }; // several batches: kills after some batches are done
    const points = allPoints(large.dir, env);
    const sample = shuffled(points, seededRandom(SEED)).slice(0, SAMPLE);
    const { killed, cut } = killAndRecover(large.dir, sample, 'larger site', env);
    console.log(
      `sort syscall sweep (larger site, batches of 4, seed ${SEED}): ${sample.length} of ${points.length} points, ${killed} killed (${cut} inside a batch), 0 failed`,
    );
    expect(killed).toBe(sample.length);
  }, 180_000);
});
