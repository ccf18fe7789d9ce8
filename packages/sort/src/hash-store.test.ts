import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { moveDurable } from '@lptool/io';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { HashStore, sha256File } from './hash-store.js';

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

  it('finishes a cross-device copy that died before unlinking the source', () => {
    fs.writeFileSync(path.join(root, '_dropbox/KW/c.csv'), 'c');
    fs.copyFileSync(path.join(root, '_dropbox/KW/c.csv'), path.join(root, 'data/KW/2024-07/c.csv'));
    fs.writeFileSync(path.join(root, 'data/KW/2024-07/.c.csv.tmp-1-deadbeef'), 'partial');
    const h = sha256File(path.join(root, '_dropbox/KW/c.csv'));
    HashStore.load(root, storeFile()).intent(h, '_dropbox/KW/c.csv', entry('data/KW/2024-07/c.csv'));
    const s = HashStore.load(root, storeFile());
    expect(s.recover()).toEqual({ recorded: 1, forgotten: 0, cleanedTemps: 1 });
    expect(fs.existsSync(path.join(root, '_dropbox/KW/c.csv'))).toBe(false);
    expect(fs.readdirSync(path.join(root, 'data/KW/2024-07'))).toEqual(['c.csv']);
  });
});

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
