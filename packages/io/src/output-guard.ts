import fs from 'node:fs';
import path from 'node:path';
import { LptError } from '@lptool/core';
import { specialFileKind } from './atomic.js';
import { peekCsv } from './csv-stream.js';
import { derivedKind } from './derived.js';

/**
 * The one rule for a file an operator names as a command's output (`resample --out`, `stats --out`, `bess`'s
 * outputs, …): it never replaces one of the command's own inputs, nor a file a site keeps — anything under
 * `data/` or `_dropbox/`, `meter-data.csv`, `lptool.yaml`, the store, lp/.cache, or a meter's profile
 * `lp/<name>.csv` (and `lp/all.csv`). Paths are compared as they really are (the real path of the folder, the
 * file's dev+inode), so a symlinked folder, `..` or a hard link is caught as well as the plain spelling.
 */
export interface OutputGuard {
  /** The flag or key that names the output, for the message (`--out`, `output.daily`). */
  flag: string;
  /** The command's inputs: an output may be none of them. */
  inputs?: readonly string[];
  /**
   * The command reads stdin (a profile given as `-`): when stdin is a regular file (`< lp/north.csv`), it is an
   * input like the others, compared by dev+inode (it has no path).
   */
  stdin?: boolean;
  /**
   * The command writes lptool's own gap lists and pictures (gaps, for profiles of the folder it writes to): a
   * `lp/<stem>_gaps.*` is not refused by its name — everything else is, as for any output.
   */
  gapFiles?: boolean;
  /** The command's site root, when it has one (sites that hold the output are found from its path too). */
  root?: string | undefined;
  /** How a path is shown in the message (default: relative to the working folder when below it). */
  show?: (file: string) => string;
}

/** Files of a site root that no output may replace, and folders whose content none may. */
const SITE_FILES = new Set(['meter-data.csv', 'lptool.yaml', '.processed-hashes.json', '.lptool.lock']);
const SITE_FOLDERS = ['data', '_dropbox', 'logs', 'lp/.cache'];
/** What makes a folder a site root (any one of them). */
const SITE_MARKERS = ['meter-data.csv', 'lptool.yaml', 'data/KW', '_dropbox/KW'];

/** The path as the file system resolves it: the real path of its deepest existing folder, then the rest. */
export function realPathOf(file: string): string {
  const abs = path.resolve(file);
  let dir = abs;
  const rest: string[] = [];
  for (;;) {
    try {
      return path.join(fs.realpathSync(dir), ...rest);
    } catch {
      const up = path.dirname(dir);
      if (up === dir) return abs;
      rest.unshift(path.basename(dir));
      dir = up;
    }
  }
}

/** The ways a path may name the same file: the real path of where it is written, the file it leads to, its inode. */
function identities(file: string): string[] {
  const abs = path.resolve(file);
  const out = [path.join(realPathOf(path.dirname(abs)), path.basename(abs))];
  try {
    out.push(fs.realpathSync(abs));
    const st = fs.statSync(abs);
    out.push(`inode ${st.dev}:${st.ino}`);
  } catch {
    /* not there (yet): its spelling is all there is */
  }
  return out;
}

/** stdin's dev+inode as identities() gives it when stdin is a regular file (`< file`), else null (a pipe, a tty). */
function stdinIdentity(): string | null {
  try {
    const st = fs.fstatSync(0);
    return st.isFile() ? `inode ${st.dev}:${st.ino}` : null;
  } catch {
    return null;
  }
}

/** The site roots that hold this real path: folders above it with a site's marks, and the command's own root. */
function rootsAbove(real: string, root: string | undefined): string[] {
  const roots = root ? [realPathOf(root)] : [];
  for (let dir = path.dirname(real); ; dir = path.dirname(dir)) {
    if (SITE_MARKERS.some((m) => fs.existsSync(path.join(dir, m)))) roots.push(dir);
    if (path.dirname(dir) === dir) break;
  }
  return [...new Set(roots)];
}

/** The folders of a site whose files lptool reads or keeps: no folder of outputs may be (in) one of them. */
const KEPT_FOLDERS = ['lp', 'data', '_dropbox', 'logs'];

/**
 * When a folder (a real path) is, or is inside, the lp/, data/, _dropbox/ or logs/ of a site — any site whose root
 * is above it, this one or another — that folder (`/srv/b/lp`); else null. For commands that write a folder of
 * outputs (build's extracts), which must never land among another site's profiles either.
 */
export function keptSiteFolderOf(real: string): string | null {
  for (const root of rootsAbove(path.join(real, '.probe'), undefined)) {
    const first = path.relative(root, real).split(path.sep)[0]!;
    if (KEPT_FOLDERS.includes(first)) return path.join(root, first);
  }
  return null;
}

/** The meter names of a site's meter-data.csv (its `name` column, any case), lower-cased; [] when unreadable. */
function meterNames(root: string): Set<string> {
  try {
    const head = peekCsv(path.join(root, 'meter-data.csv'), 'meter-data.csv', 1_000_000, 16 << 20);
    const k = (head.header ?? []).findIndex((h) => h.trim().toLowerCase() === 'name');
    return new Set(k < 0 ? [] : head.rows.map((r) => (r[k] ?? '').trim().toLowerCase()));
  } catch {
    return new Set();
  }
}

/** A file with a load profile's header (Start Time and MW_net) that is not one of lptool's derived outputs. */
function isProfileFile(file: string): boolean {
  try {
    if (!fs.statSync(file).isFile() || derivedKind(file)) return false;
    const header = peekCsv(file, file).header ?? [];
    return header.includes('Start Time') && header.includes('MW_net');
  } catch {
    return false;
  }
}

/** What a site keeps at this site-relative path (a phrase for the message), or null when an output may go there. */
function siteFileAt(root: string, rel: string, real: string, gapFiles: boolean): string | null {
  if (rel === '' || rel.startsWith('..') || path.isAbsolute(rel)) return null;
  const posix = rel.split(path.sep).join('/');
  if (SITE_FILES.has(posix)) return `the site's ${posix}`;
  const folder = SITE_FOLDERS.find((f) => posix === f || posix.startsWith(`${f}/`));
  if (folder) return `a file under the site's ${folder}/`;
  if (posix === 'lp' || posix === 'lp/.build-manifest.json') return `the site's ${posix}`;
  const derived = derivedOutputAt(posix, gapFiles);
  if (derived) return derived;
  const m = /^lp\/([^/]+)\.csv$/i.exec(posix);
  if (!m) return null;
  const stem = m[1]!.toLowerCase();
  if (stem === 'all') return 'the site total lp/all.csv';
  if (meterNames(root).has(stem)) return `the profile of meter ${m[1]}`;
  return isProfileFile(real) ? 'a load profile in lp/' : null;
}

/**
 * The outputs lptool keeps in a site's lp/ for cron and people to read — a gap list or gap picture beside a profile
 * (`lp/<stem>_gaps.csv`, `.png`, `.svg`, `.vl.json`, any case) and the QA report (`lp/report/`) — as a phrase, or
 * null. `lp/resampled/` and `lp/stats/` hold what an operator asked resample and stats for: named, they may be
 * written again.
 */
function derivedOutputAt(posix: string, gapFiles: boolean): string | null {
  if (posix === 'lp/report' || posix.startsWith('lp/report/')) return "a file of the site's QA report in lp/report/";
  const m = /^lp\/([^/]+)_gaps\.(csv|png|svg|vl\.json)$/i.exec(posix);
  if (!m || gapFiles) return null;
  return m[2]!.toLowerCase() === 'csv' ? `the site's gap list ${posix}` : `the site's gap picture ${posix}`;
}

/**
 * Why this output may not be written (`one of its inputs (x.csv)`, `the profile of meter north` …), or null:
 * the rule of checkOutputPath, for a command that words the error itself (bess names its config key).
 */
export function outputRefusal(output: string, guard: Omit<OutputGuard, 'flag'>): string | null {
  const mine = identities(output);
  for (const input of guard.inputs ?? []) {
    const theirs = identities(input);
    if (!mine.some((id) => theirs.includes(id))) continue;
    const spelled = show(guard, input);
    return spelled === show(guard, output) ? 'one of its inputs' : `one of its inputs, ${spelled}`;
  }
  if (guard.stdin && mine.includes(stdinIdentity() ?? '')) return 'one of its inputs, stdin';
  const reals = mine.filter((id) => !id.startsWith('inode '));
  if (guard.root) reals.push(...throughMounts(reals[0]!, guard.root));
  for (const real of new Set(reals)) {
    for (const root of rootsAbove(real, guard.root)) {
      const what = siteFileAt(root, path.relative(root, real), real, guard.gapFiles === true);
      if (what) return what;
    }
  }
  return null;
}

/** Folders of a site a bind mount could show elsewhere (the real path does not see through a mount). */
const MOUNTABLE = ['.', 'lp', 'lp/.cache', 'data', 'data/KW', '_dropbox', '_dropbox/KW', 'logs'];

/**
 * The output's path as inside the command's site when one of the folders above it is one of the site's folders
 * under another name — a bind mount (same device and inode) — so `/mnt/meters-lp/north.csv` is judged as
 * `lp/north.csv`.
 */
function throughMounts(real: string, root: string): string[] {
  const ids = new Map<string, string>();
  for (const rel of MOUNTABLE) {
    const st = fs.statSync(path.join(root, rel), { throwIfNoEntry: false });
    if (st?.isDirectory()) ids.set(`${st.dev}:${st.ino}`, path.join(realPathOf(root), rel));
  }
  const out: string[] = [];
  for (let dir = path.dirname(real); ; dir = path.dirname(dir)) {
    const st = fs.statSync(dir, { throwIfNoEntry: false });
    const site = st ? ids.get(`${st.dev}:${st.ino}`) : undefined;
    if (site && site !== dir) out.push(path.join(site, path.relative(dir, real)));
    if (path.dirname(dir) === dir) return out;
  }
}

function show(guard: Omit<OutputGuard, 'flag'>, file: string): string {
  if (guard.show) return guard.show(file);
  const r = path.relative(process.cwd(), path.resolve(file));
  return r && !r.startsWith('..') ? r : path.resolve(file);
}

/** Kernel file systems where no file can be created (a recursive mkdir in /proc never returns). */
const PSEUDO_FS = new Map([
  [0x9fa0, 'proc'],
  [0x62656572, 'sysfs'],
  [0x1cd1, 'devpts'],
  [0x64626720, 'debugfs'],
  [0x27e0eb, 'cgroup'],
  [0x63677270, 'cgroup2'],
]);

/**
 * Why no file can be created at this path, judged from its deepest existing folder (where the writer's mkdir
 * would start): a file or a device in the way, or a kernel file system. Null when it may be tried.
 */
export function outputFolderProblem(output: string): string | null {
  const special = specialFileKind(output);
  if (special) return `it is ${special}: lptool writes a new file and renames it into place; for stdout give -`;
  let dir = path.dirname(path.resolve(output));
  let st = fs.statSync(dir, { throwIfNoEntry: false });
  while (!st && path.dirname(dir) !== dir) {
    dir = path.dirname(dir);
    st = fs.statSync(dir, { throwIfNoEntry: false });
  }
  if (!st) return null;
  if (!st.isDirectory()) return `${dir} is not a folder`;
  const kind = PSEUDO_FS.get(Number(fs.statfsSync(dir).type));
  return kind ? `${dir} is on the kernel's ${kind} file system, where no file can be made` : null;
}

/**
 * A failure to create the output file (a path the checks above could not foresee) as the usage error it is:
 * LPT_USAGE naming the flag, or null for errors of the machine (a full or read-only disk: io's system errors).
 */
export function outputWriteError(e: unknown, flag: string, output: string): LptError | null {
  const err = e as NodeJS.ErrnoException;
  if (!['ENOENT', 'ENOTDIR', 'EISDIR', 'EINVAL', 'ELOOP', 'ENAMETOOLONG', 'EEXIST'].includes(err?.code ?? ''))
    return null;
  return new LptError(
    'LPT_USAGE',
    `${flag} — expected a path where a file can be written, got ${output} (${err.code}${err.syscall ? ` on ${err.syscall}` : ''}); nothing was written`,
    { key: flag },
  );
}

/**
 * Refuse (LPT_USAGE, exit 2, before anything is written) an output that is empty, one of the command's inputs,
 * a file a site keeps, or where no file can be made. See OutputGuard.
 */
export function checkOutputPath(output: string, guard: OutputGuard): void {
  if (!output.trim())
    throw new LptError('LPT_USAGE', `${guard.flag} — expected a file name, got an empty value`, { key: guard.flag });
  const folder = outputFolderProblem(output);
  if (folder)
    throw new LptError(
      'LPT_USAGE',
      `${guard.flag} — expected a path where a file can be written, got ${show(guard, output)} (${folder})`,
      { key: guard.flag },
    );
  const why = outputRefusal(output, guard);
  if (why)
    throw new LptError(
      'LPT_USAGE',
      `${guard.flag} — expected an output of its own, got ${show(guard, output)} (${why}); writing there would replace it`,
      { key: guard.flag },
    );
}
