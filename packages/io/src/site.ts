import path from 'node:path';

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
