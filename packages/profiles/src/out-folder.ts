import fs from 'node:fs';
import path from 'node:path';
import { LptError } from '@lptool/core';
import { errnoOf, keptSiteFolderOf, type SiteLayout } from '@lptool/io';

/**
 * The folder of an extract (`build --out DIR`). lp/<name>.csv is always a meter's whole profile, so an extract
 * never goes into lp/ — nor into the archive (data/) or the dropbox (_dropbox/), where lptool reads exports.
 * That is judged on the folder the files would really land in, not on how `--out` is spelled: the real path of
 * its deepest existing ancestor (symlinks resolved), and the device and inode of each of its folders (a bind
 * mount). All of it happens before the site lock is taken, and exit 2 (one line) is all a wrong `--out` ever
 * gives: a folder that cannot be made never holds the lock, and nothing is written.
 */

/** The site folders an extract may not go into, with what they are for the message. */
const FORBIDDEN: readonly { folder: (l: SiteLayout) => string; what: string }[] = [
  { folder: (l) => l.lp, what: 'lp/ (it holds the whole profiles, which only a build without --out writes)' },
  { folder: (l) => path.dirname(l.archive), what: 'the archive (data/), where build reads the exports' },
  { folder: (l) => path.dirname(l.dropbox), what: 'the dropbox (_dropbox/), where sort takes in exports' },
];

const usage = (message: string) => new LptError('LPT_USAGE', `--out — ${message}`, { key: '--out' });

/**
 * Where a build writes: null for lp/ (no `--out`), else the real path of the extract folder (made later by
 * `makeExtractFolder`). A range needs `--out`. Reads only: nothing is made here.
 */
export function extractFolder(out: string | undefined, ranged: boolean, layout: SiteLayout): string | null {
  if (out === undefined || out.trim() === '') {
    if (ranged)
      throw usage(
        'expected a folder for a ranged build (--from/--to writes an extract there; lp/<name>.csv is always the whole profile), got none',
      );
    return null;
  }
  const dir = path.resolve(out);
  const { existing, rest } = deepestExisting(dir);
  const st = fs.statSync(existing);
  if (!st.isDirectory())
    throw usage(`expected a folder, got ${st.isFile() ? 'a file' : 'something that is not a folder'} at ${existing}`);
  const real = path.join(fs.realpathSync(existing), ...rest);
  for (const { folder, what } of FORBIDDEN) {
    if (isWithin(real, folder(layout), fs.realpathSync(existing)))
      throw usage(`expected a folder outside ${what}, got ${dir}${real !== dir ? ` (that is ${real})` : ''}`);
  }
  // nor among the profiles, archive, dropbox or logs of another site on this machine
  const kept = keptSiteFolderOf(real);
  if (kept)
    throw usage(`expected a folder outside any site's lp/, data/, _dropbox/ and logs/, got ${dir} (in ${kept})`);
  return real;
}

/** Make the extract folder (each missing part on its own: `mkdir -p` never returns on some paths under /proc). */
export function makeExtractFolder(real: string): string {
  const { existing, rest } = deepestExisting(real);
  let at = existing;
  for (const part of rest) {
    at = path.join(at, part);
    try {
      fs.mkdirSync(at);
    } catch (e) {
      if (errnoOf(e) === 'EEXIST' && fs.statSync(at, { throwIfNoEntry: false })?.isDirectory()) continue;
      throw usage(`expected a folder lptool can make, got ${errnoOf(e) ?? (e as Error).message} making ${at}`);
    }
  }
  try {
    fs.accessSync(real, fs.constants.W_OK | fs.constants.X_OK);
  } catch (e) {
    throw usage(`expected a folder lptool may write in, got ${errnoOf(e) ?? (e as Error).message} for ${real}`);
  }
  return real;
}

/** The deepest ancestor of an absolute path that exists (following symlinks), and the parts below it. */
function deepestExisting(dir: string): { existing: string; rest: string[] } {
  const rest: string[] = [];
  let at = dir;
  while (!fs.existsSync(at)) {
    const up = path.dirname(at);
    if (up === at) break;
    rest.unshift(path.basename(at));
    at = up;
  }
  return { existing: at, rest };
}

/**
 * Is `real` (a real path: its existing part has no symlinks) the site folder `site` or inside it? By real
 * paths, and by device and inode of `existingReal` and each folder above it (a bind mount of the folder).
 */
function isWithin(real: string, site: string, existingReal: string): boolean {
  const target = fs.statSync(site, { throwIfNoEntry: false });
  if (!target) return false;
  const siteReal = fs.realpathSync(site);
  const rel = path.relative(siteReal, real);
  if (rel === '' || (rel !== '..' && !rel.startsWith(`..${path.sep}`) && !path.isAbsolute(rel))) return true;
  for (let at = existingReal; ; at = path.dirname(at)) {
    const st = fs.statSync(at, { throwIfNoEntry: false });
    if (st && st.dev === target.dev && st.ino === target.ino) return true;
    if (path.dirname(at) === at) return false;
  }
}
