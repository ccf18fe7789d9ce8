import { realpathSync } from 'node:fs';
import path from 'node:path';
import { LptError } from '@lptool/core';

/** The folders and files of a site root (SPEC §1). */
export interface SiteLayout {
  root: string;
  dropbox: string;
  archive: string;
  error: string;
  duplicate: string;
  lp: string;
  logs: string;
  meterData: string;
  settings: string;
  hashStore: string;
  lockFile: string;
  buildManifest: string;
}

/** Site root: `--root DIR`, else `$LPTOOL_ROOT`, else the current directory. */
export function resolveRoot(flag?: string, env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): string {
  return path.resolve(cwd, flag || env.LPTOOL_ROOT || '.');
}

export function siteLayout(root: string): SiteLayout {
  const r = path.resolve(root);
  return {
    root: r,
    dropbox: path.join(r, '_dropbox', 'KW'),
    archive: path.join(r, 'data', 'KW'),
    error: path.join(r, 'data', 'KW', 'ERROR'),
    duplicate: path.join(r, 'data', 'KW', 'DUPLICATE'),
    lp: path.join(r, 'lp'),
    logs: path.join(r, 'logs'),
    meterData: path.join(r, 'meter-data.csv'),
    settings: path.join(r, 'lptool.yaml'),
    hashStore: path.join(r, '.processed-hashes.json'),
    lockFile: path.join(r, '.lptool.lock'),
    buildManifest: path.join(r, 'lp', '.build-manifest.json'),
  };
}

/** A name that may become a file name: `[A-Za-z0-9_.-]+`, not `.`/`..`. */
export function isPlainFileName(name: string): boolean {
  return /^[A-Za-z0-9_.-]+$/.test(name) && name !== '.' && name !== '..';
}

/**
 * A path that must stay inside the site root (SPEC §9): resolved against the
 * root, and — for the part that exists — through symlinks too.
 */
export function pathInsideRoot(root: string, target: string, what = 'path'): string {
  const abs = path.resolve(root, target);
  const check = (base: string, p: string) => {
    const rel = path.relative(base, p);
    return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
  };
  let real = abs;
  // resolve the deepest existing ancestor through symlinks
  let probe = abs;
  const rest: string[] = [];
  for (;;) {
    try {
      real = path.join(realpathSync(probe), ...rest.reverse());
      break;
    } catch {
      const parent = path.dirname(probe);
      if (parent === probe) break;
      rest.push(path.basename(probe));
      probe = parent;
    }
  }
  let realRoot = root;
  try {
    realRoot = realpathSync(root);
  } catch {
    /* root does not exist yet */
  }
  if (!check(path.resolve(root), abs) || !check(realRoot, real)) {
    throw new LptError(
      'LPT_PATH_OUTSIDE_ROOT',
      `${what} — expected a path inside the site root ${root}, got ${target}`,
      { key: what },
    );
  }
  return abs;
}
