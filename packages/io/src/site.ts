import fs from 'node:fs';
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

/** The folders of a site a command reads or writes, by part. */
const SITE_FOLDERS = {
  dropbox: ['_dropbox', '_dropbox/KW'],
  archive: ['data', 'data/KW', 'data/KW/ERROR', 'data/KW/DUPLICATE'],
  lp: ['lp', 'lp/.cache'],
  logs: ['logs'],
} as const;
export type SitePart = keyof typeof SITE_FOLDERS;

/**
 * Each site folder a command uses is a real folder when it exists (absent ones are created as needed):
 * a symlinked `_dropbox`, `data`, `ERROR`, month folder, `lp` or `logs` would make lptool read from or
 * move files outside the site root (SPEC §9), and a file where a folder belongs would fail half-way.
 * Either is LPT_SITE_LAYOUT (exit 2) naming it, before anything is touched. The root itself may be a
 * symlink: it is the operator's choice, resolved once. `more` names further site-relative folders to
 * check the same way (the archive's month folders: `archiveMonthFolders` of @lptool/archive).
 */
export function checkSiteFolders(layout: SiteLayout, parts: readonly SitePart[], more: readonly string[] = []): void {
  const rels: string[] = [...parts.flatMap((p) => [...SITE_FOLDERS[p]]), ...more];
  for (const rel of rels) {
    const full = path.join(layout.root, rel);
    const st = fs.lstatSync(full, { throwIfNoEntry: false });
    if (!st || st.isDirectory()) continue;
    const got = st.isSymbolicLink()
      ? `a symlink (to ${fs.readlinkSync(full)})`
      : st.isFile()
        ? 'a file'
        : 'something else (not a folder)';
    const fix = st.isSymbolicLink()
      ? 'lptool never reads or writes through a symlink (SPEC §9): mount the other disk at this path, or point --root at a site on it'
      : 'move it aside and run again';
    throw new LptError('LPT_SITE_LAYOUT', `site folder ${rel} — expected a folder, got ${got}; ${fix}`, {
      file: full,
    });
  }
}
