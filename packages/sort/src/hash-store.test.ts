import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { sha256File } from '@lptool/archive';
import { LptError } from '@lptool/core';
import { moveDurable, siteLayout } from '@lptool/io';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { HashStore } from './hash-store.js';

let root: string;
beforeEach(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'lpt-store-'));
  fs.mkdirSync(path.join(root, '_dropbox/KW'), { recursive: true });
  fs.mkdirSync(path.join(root, 'data/KW/2024-07'), { recursive: true });
});
afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

const storeFile = () => path.join(root, '.processed-hashes.json');
const entry = (dest: string) => ({ dest, outcome: 'archived' as const, source: path.basename(dest), at: 'x' });

describe('HashStore.recover', () => {
  it('records a move that happened, forgets one that did not, and ignores a line cut by the kill', () => {
    fs.writeFileSync(path.join(root, '_dropbox/KW/b.csv'), 'b');
    fs.writeFileSync(path.join(root, 'data/KW/2024-07/a.csv'), 'a');
    const ha = sha256File(path.join(root, 'data/KW/2024-07/a.csv'));
    const hb = sha256File(path.join(root, '_dropbox/KW/b.csv'));
    const s = HashStore.load(root, storeFile());
    s.intent(ha, '_dropbox/KW/a.csv', entry('data/KW/2024-07/a.csv'));
    s.intent(hb, '_dropbox/KW/b.csv', entry('data/KW/2024-07/b.csv'));
    fs.appendFileSync(s.journalFile, '{"op":"done","ha');
    const again = HashStore.load(root, storeFile());
    expect(again.recover()).toEqual({ recorded: 1, forgotten: 1, cleanedTemps: 0 });
    expect(again.get(ha)?.dest).toBe('data/KW/2024-07/a.csv');
    expect(again.get(hb)).toBeUndefined();
    expect(fs.existsSync(s.journalFile)).toBe(false);
    expect(HashStore.load(root, storeFile()).get(ha)).toBeDefined();
  });

  it('the next rewrite clears the temp file of a store rewrite that was killed', () => {
    const s = HashStore.load(root, storeFile());
    s.save();
    const before = fs.readFileSync(storeFile(), 'utf8');
    const dead = 2 ** 22 + 4242; // above any pid this machine hands out
    fs.writeFileSync(path.join(root, `..processed-hashes.json.tmp-${dead}-0badcafe`), '{"version":1,"fi');
    fs.writeFileSync(path.join(root, `..processed-hashes.json.tmp-${process.pid}-00c0ffee`), 'a live writer');
    expect(JSON.parse(fs.readFileSync(storeFile(), 'utf8'))).toEqual(JSON.parse(before)); // the store itself is intact
    HashStore.load(root, storeFile()).save();
    expect(fs.readdirSync(root).filter((f) => f.includes('.tmp-'))).toEqual([
      `..processed-hashes.json.tmp-${process.pid}-00c0ffee`,
    ]);
  });

  // a dropbox on another file system (here /dev/shm, linked in: HashStore itself does not look at links)
  const shm = '/dev/shm';
  const otherDevice = fs.existsSync(shm) && fs.statSync(shm).dev !== fs.statSync(os.tmpdir()).dev;
  it.runIf(otherDevice)('finishes a cross-device copy that died before unlinking the source', () => {
    const box = fs.mkdtempSync(path.join(shm, 'lpt-box-'));
    try {
      fs.rmSync(path.join(root, '_dropbox/KW'), { recursive: true });
      fs.symlinkSync(box, path.join(root, '_dropbox/KW'));
      fs.writeFileSync(path.join(box, 'c.csv'), 'c');
      fs.copyFileSync(path.join(box, 'c.csv'), path.join(root, 'data/KW/2024-07/c.csv'));
      fs.writeFileSync(path.join(root, 'data/KW/2024-07/.c.csv.tmp-1-deadbeef'), 'partial');
      const h = sha256File(path.join(box, 'c.csv'));
      HashStore.load(root, storeFile()).intent(h, '_dropbox/KW/c.csv', entry('data/KW/2024-07/c.csv'));
      const s = HashStore.load(root, storeFile());
      expect(s.recover()).toEqual({ recorded: 1, forgotten: 0, cleanedTemps: 1 });
      expect(fs.existsSync(path.join(box, 'c.csv'))).toBe(false);
      expect(fs.readdirSync(path.join(root, 'data/KW/2024-07'))).toEqual(['c.csv']);
    } finally {
      fs.rmSync(box, { recursive: true, force: true });
    }
  });

  it('never deletes what is under the source name now unless it is the journaled file left by a cross-device copy', () => {
    const dest = path.join(root, 'data/KW/2024-07/f.csv');
    const src = path.join(root, '_dropbox/KW/f.csv');
    fs.writeFileSync(dest, 'the export as first delivered');
    const h = sha256File(dest);
    HashStore.load(root, storeFile()).intent(h, '_dropbox/KW/f.csv', entry('data/KW/2024-07/f.csv'));
    // killed after the rename, before `done`; then a corrected re-export arrives under the same name
    fs.writeFileSync(src, 'the corrected re-export');
    expect(HashStore.load(root, storeFile()).recover()).toEqual({ recorded: 1, forgotten: 0, cleanedTemps: 0 });
    expect(fs.readFileSync(src, 'utf8')).toBe('the corrected re-export');
    expect(HashStore.load(root, storeFile()).get(h)?.dest).toBe('data/KW/2024-07/f.csv');
    // the same bytes again under the same name (same file system: a move is one rename, so it came later)
    HashStore.load(root, storeFile()).intent(h, '_dropbox/KW/f.csv', entry('data/KW/2024-07/f.csv'));
    fs.writeFileSync(src, 'the export as first delivered');
    HashStore.load(root, storeFile()).recover();
    expect(fs.readFileSync(src, 'utf8')).toBe('the export as first delivered');
  });
});

describe('HashStore batches (intents with one fsync, moves, done records with one fsync)', () => {
  const put = (name: string) => {
    fs.writeFileSync(path.join(root, '_dropbox/KW', name), `bytes of ${name}`);
    return sha256File(path.join(root, '_dropbox/KW', name));
  };
  const move = (name: string) =>
    fs.renameSync(path.join(root, '_dropbox/KW', name), path.join(root, 'data/KW/2024-07', name));
  const lines = (s: HashStore) =>
    fs
      .readFileSync(s.journalFile, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l).op);

  it('a batch cut by a kill: each intent is settled on its own — moved ones recorded, the others forgotten', () => {
    const names = ['a.csv', 'b.csv', 'c.csv', 'd.csv'];
    const hashes = names.map(put);
    const s = HashStore.load(root, storeFile());
    s.intents(
      names.map((n, i) => ({ hash: hashes[i]!, src: `_dropbox/KW/${n}`, entry: entry(`data/KW/2024-07/${n}`) })),
    );
    expect(lines(s)).toEqual(['intent', 'intent', 'intent', 'intent']);
    move('a.csv');
    move('b.csv'); // killed here: before c and d moved, before any done
    const again = HashStore.load(root, storeFile());
    expect(again.recover()).toEqual({ recorded: 2, forgotten: 2, cleanedTemps: 0 });
    expect(names.map((_, i) => again.get(hashes[i]!)?.dest)).toEqual([
      'data/KW/2024-07/a.csv',
      'data/KW/2024-07/b.csv',
      undefined,
      undefined,
    ]);
    expect(fs.readdirSync(path.join(root, '_dropbox/KW')).sort()).toEqual(['c.csv', 'd.csv']);
  });

  it('done records settle a batch without looking at the files; an intent journaled again settles by the last', () => {
    const [ha, hb] = [put('a.csv'), put('b.csv')];
    const s = HashStore.load(root, storeFile());
    // a batch cut short by a file that failed before b moved: b is planned again (another name) and filed
    s.intents([
      { hash: ha, src: '_dropbox/KW/a.csv', entry: entry('data/KW/2024-07/a.csv') },
      { hash: hb, src: '_dropbox/KW/b.csv', entry: entry('data/KW/2024-07/b.csv') },
    ]);
    move('a.csv');
    s.doneAll([{ hash: ha, entry: entry('data/KW/2024-07/a.csv') }]);
    s.intents([{ hash: hb, src: '_dropbox/KW/b.csv', entry: entry('data/KW/2024-07/b-1.csv') }]);
    fs.renameSync(path.join(root, '_dropbox/KW/b.csv'), path.join(root, 'data/KW/2024-07/b-1.csv'));
    s.doneAll([{ hash: hb, entry: entry('data/KW/2024-07/b-1.csv') }]);
    expect(lines(s)).toEqual(['intent', 'intent', 'done', 'intent', 'done']);
    fs.writeFileSync(path.join(root, 'data/KW/2024-07/a.csv'), 'changed after'); // (done: not hashed again)
    const again = HashStore.load(root, storeFile());
    expect(again.recover()).toEqual({ recorded: 2, forgotten: 0, cleanedTemps: 0 });
    expect([again.get(ha)?.dest, again.get(hb)?.dest]).toEqual(['data/KW/2024-07/a.csv', 'data/KW/2024-07/b-1.csv']);
  });
});

describe('HashStore.load', () => {
  it('a journal line of valid JSON but the wrong shape, or a journal that is a folder, is exit 2 naming it', () => {
    const s = HashStore.load(root, storeFile());
    fs.writeFileSync(s.journalFile, '{"op":"intent","hash":"abc","src":7}\n{"op":"done","hash":"abc"}\n');
    const e = expectCorrupt(() => HashStore.load(root, storeFile()).recover());
    expect(e.toLine()).toMatch(
      /^LPT_HASH_STORE_CORRUPT: hash journal — expected lptool's journal lines, got hash — expected a SHA-256 in hex; nothing was moved: .*\(\.processed-hashes\.journal:1\)$/,
    );
    fs.rmSync(s.journalFile);
    fs.mkdirSync(s.journalFile);
    expect(expectCorrupt(() => HashStore.load(root, storeFile())).toLine()).toMatch(
      /^LPT_HASH_STORE_CORRUPT: hash journal — expected a file, got a folder; nothing was moved: move it aside/,
    );
    fs.rmdirSync(s.journalFile);
    fs.mkdirSync(storeFile());
    expect(expectCorrupt(() => HashStore.load(root, storeFile())).toLine()).toMatch(
      /^LPT_HASH_STORE_CORRUPT: hash store — expected a file, got a folder; nothing was moved: move it aside and run again \(the store is then rebuilt from the archive\)/,
    );
  });

  it('a missing store is rebuilt from the archive: archived files and rejects, not duplicates', () => {
    fs.writeFileSync(path.join(root, 'data/KW/2024-07/a.csv'), 'a');
    fs.mkdirSync(path.join(root, 'data/KW/ERROR'));
    fs.writeFileSync(path.join(root, 'data/KW/ERROR/b_PARSE-ERROR.csv'), 'b');
    fs.writeFileSync(path.join(root, 'data/KW/ERROR/b_PARSE-ERROR.json'), '{}');
    fs.mkdirSync(path.join(root, 'data/KW/DUPLICATE'));
    fs.writeFileSync(path.join(root, 'data/KW/DUPLICATE/a.csv'), 'a');
    const s = HashStore.load(root, storeFile());
    expect(s.existed).toBe(false);
    expect(s.rebuildFromArchive(siteLayout(root))).toBe(2);
    expect([...s.files.values()].map((e) => [e.dest, e.outcome])).toEqual([
      ['data/KW/2024-07/a.csv', 'archived'],
      ['data/KW/ERROR/b_PARSE-ERROR.csv', 'error'],
    ]);
  });
});

function expectCorrupt(f: () => unknown): LptError {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(LptError);
    expect((e as LptError).exitCode).toBe(2);
    return e as LptError;
  }
  throw new Error('expected LPT_HASH_STORE_CORRUPT');
}

describe('moveDurable across file systems', () => {
  const shm = '/dev/shm';
  const crossDevice = fs.existsSync(shm) && fs.statSync(shm).dev !== fs.statSync(os.tmpdir()).dev;
  it.runIf(crossDevice)('copies, fsyncs, renames, then unlinks the source', () => {
    const dir = fs.mkdtempSync(path.join(shm, 'lpt-'));
    try {
      const src = path.join(dir, 'x.csv');
      fs.writeFileSync(src, 'payload');
      const dest = path.join(root, 'data/KW/2024-07/x.csv');
      moveDurable(src, dest);
      expect(fs.readFileSync(dest, 'utf8')).toBe('payload');
      expect(fs.existsSync(src)).toBe(false);
      expect(fs.readdirSync(path.dirname(dest))).toEqual(['x.csv']);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
