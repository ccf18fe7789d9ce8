/**
 * Test support: temp folders, fixture trees, golden files, raw exports. (Imported by tests only; it imports no
 * package, so any package's tests may use it.)
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach } from 'vitest';

export const REPO = fileURLToPath(new URL('../', import.meta.url));
export const FIXTURES = path.join(REPO, 'fixtures');

/** A fresh temp folder (removed by the returned function); `memory`: on tmpfs (/dev/shm) where there is one. */
export function tempDir(prefix = 'lptool-test-', memory = false): { dir: string; cleanup: () => void } {
  const dir = fs.mkdtempSync(path.join(memory ? memoryTmp() : os.tmpdir(), prefix));
  return { dir, cleanup: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

/**
 * /dev/shm when it is a writable tmpfs, else the temp folder. For the kill tests: a SIGKILL stops a process,
 * not the machine, so what it leaves does not depend on whether an fsync reached the disk — and on tmpfs an
 * fsync costs nothing, so many more kill points fit in the test budget.
 */
function memoryTmp(): string {
  try {
    fs.accessSync('/dev/shm', fs.constants.W_OK);
    if (fs.statSync('/dev/shm').isDirectory()) return '/dev/shm';
  } catch {
    /* none */
  }
  return os.tmpdir();
}

/** Copy a fixture tree into a fresh temp site root. */
export function siteFrom(fixture: string): { root: string; cleanup: () => void } {
  const { dir, cleanup } = tempDir();
  fs.cpSync(path.join(FIXTURES, fixture), dir, { recursive: true });
  // git does not keep mtimes: give every file the same one, so "oldest first" falls back to name order
  const fixed = new Date('2024-01-01T00:00:00Z');
  for (const f of listFiles(dir)) {
    if (path.basename(f) === '.gitkeep') fs.rmSync(path.join(dir, f));
    else fs.utimesSync(path.join(dir, f), fixed, fixed);
  }
  return { root: dir, cleanup };
}

/** Every file under dir (relative, '/'-separated, sorted); symlinks listed, not followed. */
export function listFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const full = path.join(d, e.name);
      if (e.isDirectory()) walk(full);
      else out.push(path.relative(dir, full).split(path.sep).join('/'));
    }
  };
  walk(dir);
  return out.sort();
}

export function sha256(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

/** Should golden files be rewritten from this run? (`LPTOOL_UPDATE_GOLDEN=1 pnpm test`) */
export const UPDATE_GOLDEN = process.env.LPTOOL_UPDATE_GOLDEN === '1';

/** Compare a value to a golden JSON file, or rewrite it when UPDATE_GOLDEN. */
export function goldenJson(file: string, value: unknown): unknown {
  const full = path.join(FIXTURES, file);
  if (!UPDATE_GOLDEN && !fs.existsSync(full))
    throw new Error(`golden file ${file} is missing: run LPTOOL_UPDATE_GOLDEN=1 pnpm test and review it`);
  if (UPDATE_GOLDEN) {
    fs.mkdirSync(path.dirname(full), { recursive: true });
    fs.writeFileSync(full, `${JSON.stringify(value, null, 2)}\n`);
  }
  return JSON.parse(fs.readFileSync(full, 'utf8'));
}

/** A seeded pseudo-random source in [0, 1) (a linear congruential generator: the same kills on every run). */
export function seededRandom(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

export const EXPORT_HEADER = 'meter,Record No.,Event Type,Start Time,End Time,kw_del,kw_rec,kva_del,kva_rec';

const p2 = (n: number) => String(n).padStart(2, '0');
/** `MM/DD/YY HH:MM:SS` of a wall time (calendar fields as UTC). */
export function exportLabel(wall: number, yearDigits: 2 | 4 = 2): string {
  const d = new Date(wall);
  const y = yearDigits === 2 ? p2(d.getUTCFullYear() % 100) : String(d.getUTCFullYear()).padStart(4, '0');
  return `${p2(d.getUTCMonth() + 1)}/${p2(d.getUTCDate())}/${y} ${p2(d.getUTCHours())}:${p2(d.getUTCMinutes())}:00`;
}

/**
 * A valid raw export (SPEC §2): `rows` rows of `intervalMin` minutes from the naive wall time `start`
 * (`2024-07-12T11:00`), values that vary with `seed`. Labels come from `label` (default MM/DD/YY).
 */
export function exportText(
  meter: string,
  start: string,
  rows: number,
  opts: { seed?: number; intervalMin?: number; label?: (wall: number) => string } = {},
): string {
  const { seed = 1, intervalMin = 15, label = (w: number) => exportLabel(w) } = opts;
  let w = Date.parse(`${start}:00Z`);
  const step = intervalMin * 60_000;
  const out = [EXPORT_HEADER];
  for (let i = 0; i < rows; i++, w += step) {
    const kw = ((i * 7 + seed * 13) % 90) + 0.25;
    out.push(`${meter},${1000 + i},Normal,${label(w)},${label(w + step)},${kw},0,${(kw + 3).toFixed(2)},0`);
  }
  return `${out.join('\n')}\n`;
}

/**
 * Run `fn` with `dir` as the working folder (restored after): a command called directly shows the paths it was
 * given relative to it, as it does for an operator in that folder.
 */
export async function inDir<T>(dir: string, fn: () => T | Promise<T>): Promise<T> {
  const before = process.cwd();
  process.chdir(dir);
  try {
    return await fn();
  } finally {
    process.chdir(before);
  }
}

/** The one line an error makes (`LPT_CODE: message (where)`), from whatever a promise rejected with. */
export async function errorLine(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    return (e as { toLine: () => string }).toLine();
  }
  throw new Error('expected a rejection, got none');
}

/**
 * A two-feeder lp/all.csv over three July days (2024-07-01 … 03, 15-minute, PDT) whose second day's first half
 * lacks a feeder (48 partial totals), and MW_total a daily sine.
 */
export function totalWithPartialRun(file: string): void {
  const rows = ['Start Time,End Time,MW_total,MVA_total,PF_total,MW_net,feeders_reporting,feeders_expected'];
  const fmt = (t: number) => `${new Date(t - 7 * 3_600_000).toISOString().slice(0, 19)}-07:00`;
  const t0 = Date.parse('2024-07-01T07:00:00Z');
  for (let i = 0; i < 96 * 3; i++) {
    const partial = i >= 96 && i < 144; // half of the second day lacks a feeder
    const mw = 10 + 5 * Math.sin((2 * Math.PI * i) / 96) - (partial ? 6 : 0);
    rows.push(
      `${fmt(t0 + i * 900_000)},${fmt(t0 + (i + 1) * 900_000)},${mw.toFixed(3)},${(mw + 1).toFixed(3)},0.9,${mw.toFixed(3)},${partial ? 1 : 2},2`,
    );
  }
  fs.writeFileSync(file, `${rows.join('\n')}\n`);
}

/** The merge fixture's three feeders (lp/, meter-data.csv) with their golden total as lp/all.csv. */
export function siteWithTotal(): { root: string; cleanup: () => void } {
  const s = siteFrom('merge/input');
  fs.copyFileSync(path.join(FIXTURES, 'merge/expected-all.csv'), path.join(s.root, 'lp/all.csv'));
  return s;
}

/**
 * A site root with lp/south.csv (gaps, a duplicate, a row out of order: fixtures/gaps/south.csv), lptool.yaml in
 * America/Los_Angeles, and with `total` an lp/all.csv with partial totals (totalWithPartialRun).
 */
export function southSite(total = false): { root: string; cleanup: () => void } {
  const t = tempDir();
  fs.mkdirSync(path.join(t.dir, 'lp'));
  fs.copyFileSync(path.join(FIXTURES, 'gaps/south.csv'), path.join(t.dir, 'lp/south.csv'));
  fs.writeFileSync(path.join(t.dir, 'lptool.yaml'), 'timezone: America/Los_Angeles\n');
  if (total) totalWithPartialRun(path.join(t.dir, 'lp/all.csv'));
  return { root: t.dir, cleanup: t.cleanup };
}

/** What `lptool gaps` is given when no picture or flag is asked for (a test's own copy of those options). */
export const PLAIN_GAPS = {
  picture: null,
  width: 1000,
  height: 360,
  scale: 1,
  partialAsGap: false,
  failOnGaps: false,
} as const;

/** A synth site of four meters over the 2024 fall-back with one fault of each kind but two missing files. */
export const FAULTY_SITE = {
  meters: 4,
  days: 42,
  start: '2024-10-14',
  tz: 'America/Los_Angeles',
  clock: 'legal',
  seed: 3,
  fileDays: 7,
  intervalMs: 900_000,
  gaps: 2,
  sequenceErrors: 1,
  duplicates: 1,
  overlaps: 1,
} as const;

/** A list of cleanups run (and emptied) after each test of the file that makes it: `cleanups.push(s.cleanup)`. */
export function cleanupsAfterEach(): (() => void)[] {
  const list: (() => void)[] = [];
  afterEach(() => {
    for (const c of list.splice(0)) c();
  });
  return list;
}

/** A small `synth bess` (4 inverters over Sydney's 2024 DST end, 5-minute steps) without --out and --format. */
export const SMALL_BESS = {
  inverters: 4,
  days: 2,
  start: '2024-04-06',
  tz: 'Australia/Sydney',
  stepMs: 300_000,
  extraColumns: 30,
  seed: 5,
} as const;
