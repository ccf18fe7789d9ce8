/**
 * Helpers for tests that run the real, built `lptool` on real folders.
 * (Used by *.test.ts files only.)
 */

import { type SpawnSyncReturns, spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO = fileURLToPath(new URL('../../../', import.meta.url));
export const BIN = path.join(REPO, 'packages/cli/dist/bin.js');
export const FIXTURES = path.join(REPO, 'fixtures');

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Run the built CLI; the environment is cleaned of LPTOOL_* so tests do not depend on the caller's. */
export function lptool(
  args: string[],
  opts: { cwd?: string; env?: Record<string, string>; timeoutMs?: number } = {},
): CliRun {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env))
    if (!k.startsWith('LPTOOL_') && !k.startsWith('npm_') && v !== undefined) env[k] = v;
  const r: SpawnSyncReturns<string> = spawnSync(process.execPath, [BIN, ...args], {
    cwd: opts.cwd ?? REPO,
    env: { ...env, TZ: 'America/Los_Angeles', ...opts.env },
    encoding: 'utf8',
    ...(opts.timeoutMs ? { timeout: opts.timeoutMs, killSignal: 'SIGKILL' as const } : {}),
  });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

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

/** Run the built CLI and SIGKILL it after `delayMs` unless it exits first; resolves once it is gone: killed or not. */
export async function lptoolKilledAfter(args: string[], delayMs: number): Promise<{ killed: boolean }> {
  const child = spawn(process.execPath, [BIN, ...args], {
    stdio: 'ignore',
    env: { ...process.env, TZ: 'America/Los_Angeles' },
  });
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  const timer = setTimeout(() => child.kill('SIGKILL'), delayMs);
  await exited;
  clearTimeout(timer);
  return { killed: child.signalCode === 'SIGKILL' };
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
 * strace, for the tests that kill lptool at a given system call or make one fail (a full disk, a
 * read-only folder). It is a test dependency: `.ci/run` installs it (`apt-get install -y strace`).
 */
export function strace(): string {
  for (const p of ['/usr/bin/strace', '/bin/strace', '/usr/local/bin/strace']) if (fs.existsSync(p)) return p;
  throw new Error('strace is required by this test: apt-get install -y strace (.ci/run installs it)');
}

/** The system calls of the crash sweeps: every durability step of a commit. */
export const DURABLE_SYSCALLS = '/^(fsync|fdatasync|rename|renameat|renameat2|link|linkat|unlink|unlinkat)$';

export interface TracedRun extends CliRun {
  /** The signal that ended lptool (`SIGKILL` when an injection killed it), or null. */
  signal: NodeJS.Signals | null;
  /** The traced calls, in order: thread id, system call, and the call's text. */
  calls: { tid: number; name: string; text: string }[];
}

/**
 * Run the built CLI under `strace -f`: trace the calls whose names match `trace` (a regex over
 * system call names, as strace takes it) and apply `inject` (strace's `-e inject=` expressions, e.g.
 * `fsync:signal=SIGKILL:when=3`: killed on entering its 3rd fsync; counted per call and per thread).
 */
export function lptoolTraced(
  args: string[],
  opts: { trace: string; inject?: string[]; paths?: string[]; env?: Record<string, string>; cwd?: string } = {
    trace: 'fsync',
  },
): TracedRun {
  const out = path.join(os.tmpdir(), `lptool-strace-${process.pid}-${Math.random().toString(16).slice(2)}.txt`);
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env))
    if (!k.startsWith('LPTOOL_') && !k.startsWith('npm_') && v !== undefined) env[k] = v;
  const r = spawnSync(
    strace(),
    [
      '-f',
      '-qq', // (no --seccomp-bpf: strace 6.1 then skips the injections)
      '-o',
      out,
      '-e',
      `trace=${opts.trace}`,
      ...(opts.inject ?? []).flatMap((i) => ['-e', `inject=${i}`]),
      ...(opts.paths ?? []).flatMap((p) => ['-P', p]),
      process.execPath,
      BIN,
      ...args,
    ],
    { cwd: opts.cwd ?? REPO, env: { ...env, TZ: 'America/Los_Angeles', ...opts.env }, encoding: 'utf8' },
  );
  let text = '';
  try {
    text = fs.readFileSync(out, 'utf8');
  } finally {
    fs.rmSync(out, { force: true });
  }
  const calls: TracedRun['calls'] = [];
  for (const line of text.split('\n')) {
    const m = /^(\d+) +([a-z0-9_]+)\((.*)$/.exec(line);
    if (m) calls.push({ tid: Number(m[1]), name: m[2]!, text: m[3]! });
  }
  if (r.error) throw r.error;
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr, signal: r.signal, calls };
}

/** For each system call name, the most calls any one thread made (the `when=K` range of an injection). */
export function callCounts(calls: TracedRun['calls']): Map<string, number> {
  const per = new Map<string, number>();
  for (const c of calls) {
    const k = `${c.tid} ${c.name}`;
    per.set(k, (per.get(k) ?? 0) + 1);
  }
  const out = new Map<string, number>();
  for (const [k, n] of per) {
    const name = k.split(' ')[1]!;
    out.set(name, Math.max(out.get(name) ?? 0, n));
  }
  return out;
}

/** The pipeline's first steps, as cron runs them. */
export const PIPELINE: string[][] = [['sort', '--settle', '0'], ['build'], ['merge']];

/**
 * A synth site (`lptool synth site --out <temp>/site …synth`) with `steps` run on it in order, each required to exit
 * 0; `dir` is the temp folder around it (for other files of the test), removed by `cleanup`.
 */
export function synthSite(synth: string[], steps: string[][] = []): { root: string; dir: string; cleanup: () => void } {
  const t = tempDir();
  const root = path.join(t.dir, 'site');
  const ok = (args: string[]) => {
    const r = lptool(args);
    if (r.code !== 0) throw new Error(`lptool ${args.join(' ')}: exit ${r.code}\n${r.stderr}`);
  };
  ok(['synth', 'site', '--out', root, ...synth]);
  for (const step of steps) ok([...step, '--root', root]);
  return { root, dir: t.dir, cleanup: t.cleanup };
}

/** The built CLI on a pseudo-terminal (util-linux `script`), `input` typed into it; `out` is what the terminal shows. */
export function lptoolOnTerminal(args: string[], input = ''): Promise<{ code: number; out: string }> {
  const cmd = [process.execPath, BIN, ...args].map((a) => `'${a.replaceAll("'", `'\\''`)}'`).join(' ');
  const child = spawn('script', ['-q', '-e', '-c', cmd, '/dev/null'], {
    env: { ...process.env, TZ: 'America/Los_Angeles' },
  });
  let out = '';
  child.stdout.on('data', (d) => {
    out += d;
  });
  child.stdin.end(input);
  return new Promise((resolve) => child.on('exit', (code) => resolve({ code: code ?? -1, out })));
}
