/**
 * Fixtures for tests that work on real folders: temp site roots, the fixture trees, golden files, raw
 * exports made to order. (Used by test files only; the CLI's own helpers — running the built `lptool` —
 * are in packages/cli/src/testing.ts, which passes these on.)
 */

import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach } from 'vitest';

export const REPO = fileURLToPath(new URL('../../../', import.meta.url));
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

/** Every file under a folder with its bytes' hash and mtime (a snapshot to prove a run touched nothing there). */
export function folderState(dir: string): Record<string, string> {
  if (!fs.existsSync(dir)) return {};
  return Object.fromEntries(
    listFiles(dir).map((f) => {
      const full = path.join(dir, f);
      return [f, `${sha256(fs.readFileSync(full))} ${fs.statSync(full).mtimeMs}`];
    }),
  );
}

/** A site tree as {path: sha256}, with run-dependent fields (timestamps) left out of lptool's JSON files. */
export function siteTree(root: string, skipLogs = true): Record<string, string> {
  const out: Record<string, string> = {};
  for (const f of listFiles(root)) {
    if (skipLogs && f.startsWith('logs/')) continue;
    let data: string | Buffer = fs.readFileSync(path.join(root, f));
    if (f.endsWith('.json')) data = JSON.stringify(JSON.parse(data.toString()), (k, v) => (k === 'at' ? undefined : v));
    out[f] = f.endsWith('.json') ? (data as string) : sha256(data);
  }
  return out;
}

/** Temp site roots for a test file, each removed after its test (this registers the `afterEach`). */
export function siteRoots(): { fixture(name: string): string; temp(prefix?: string, memory?: boolean): string } {
  const cleanups = cleanupsAfterEach();
  return {
    /** A copy of the fixture tree `fixtures/<name>` (see `siteFrom`). */
    fixture(name) {
      const s = siteFrom(name);
      cleanups.push(s.cleanup);
      return s.root;
    },
    /** A new empty folder. */
    temp(prefix = 'lptool-test-', memory = false) {
      const t = tempDir(prefix, memory);
      cleanups.push(t.cleanup);
      return t.dir;
    },
  };
}

/** When a delivered export was last touched: long settled. */
export const DELIVERED = new Date('2024-08-01T00:00:00Z');

/** A site root with lptool.yaml (Los Angeles) and an empty dropbox: where `deliver` drops exports. */
export function dropboxSite(root: string): string {
  fs.mkdirSync(path.join(root, '_dropbox/KW'), { recursive: true });
  fs.writeFileSync(path.join(root, 'lptool.yaml'), 'timezone: America/Los_Angeles\n');
  return root;
}

/** Drop a file into a site's dropbox under any name (a Buffer: not UTF-8), settled (an old mtime). */
export function deliver(root: string, name: string | Buffer, text: string | Buffer): void {
  const box = Buffer.from(`${path.join(root, '_dropbox/KW')}/`);
  const full = Buffer.concat([box, typeof name === 'string' ? Buffer.from(name) : name]);
  fs.writeFileSync(full, text);
  fs.utimesSync(full, DELIVERED, DELIVERED);
}

/**
 * An archive of `days` days from 2023-01-01, one export a day per meter (`id → name`, multiplier 2), on a
 * standard clock (no DST nights to dodge): a site to build.
 */
export function dailySite(root: string, meters: Record<string, string>, days: number): string {
  fs.writeFileSync(path.join(root, 'lptool.yaml'), 'timezone: America/Los_Angeles\nclock: standard\n');
  const lines = Object.entries(meters).map(([id, name]) => `${id},${name},2`);
  fs.writeFileSync(path.join(root, 'meter-data.csv'), `meter,name,multiplier\n${lines.join('\n')}\n`);
  for (const [id, name] of Object.entries(meters)) for (let d = 0; d < days; d++) addDay(root, id, name, d);
  return root;
}

/** Day `day` (from 2023-01-01) of a meter's exports in a `dailySite`: 96 rows in `data/KW/YYYY-MM/<name>-<date>.csv`. */
export function addDay(root: string, id: string, name: string, day: number): void {
  const start = new Date(Date.UTC(2023, 0, 1 + day)).toISOString().slice(0, 16);
  const dir = path.join(root, 'data/KW', start.slice(0, 7));
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, `${name}-${start.slice(0, 10)}.csv`), exportText(id, start, 96, { seed: day }));
}

/** Fisher–Yates with a seeded source. */
export function shuffled<T>(xs: T[], random: () => number): T[] {
  const out = [...xs];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
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

/** An error lptool throws, as a test sees it (an LptError, by its shape: this file imports no package). */
export interface ThrownError {
  code: string;
  exitCode: number;
  message: string;
  toLine(): string;
}

/** What a promise rejected with: an error of lptool's (anything else, or no rejection, fails the test). */
export async function failure(run: Promise<unknown>): Promise<ThrownError> {
  const e = await run.then(
    () => null,
    (x: unknown) => x,
  );
  if (!e || typeof (e as ThrownError).toLine !== 'function') throw new Error(`expected an LptError, got ${String(e)}`);
  return e as ThrownError;
}

/** The one line an error makes (`LPT_CODE: message (where)`), from whatever a promise rejected with. */
export async function errorLine(p: Promise<unknown>): Promise<string> {
  return (await failure(p)).toLine();
}

/** The line the CLI writes to stderr for an error. */
export const stderrOf = (e: ThrownError) => `lptool: ${e.toLine()}\n`;

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

/** What `lptool sort` is given with no flag (a test's own copy: the defaults are the CLI's). */
export const PLAIN_SORT = { dryRun: false, settleMs: 5_000, lockWaitMs: 30_000 } as const;

/** What `lptool build` is given with no flag (a test's own copy: the defaults are the CLI's). */
export const PLAIN_BUILD = {
  allowShrink: false,
  legacyNet: false,
  onBadRow: 'skip',
  full: false,
  lockWaitMs: 30_000,
} as const;
