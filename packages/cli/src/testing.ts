/**
 * Helpers for tests that run the real, built `lptool` on real folders.
 * (Used by *.test.ts files only.)
 */

import { type SpawnSyncReturns, spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { REPO, tempDir } from '../../io/src/fixtures.test-helper.js';

export {
  addDay,
  cleanupsAfterEach,
  DELIVERED,
  dailySite,
  deliver,
  dropboxSite,
  EXPORT_HEADER,
  errorLine,
  exportLabel,
  exportText,
  FAULTY_SITE,
  FIXTURES,
  failure,
  folderState,
  goldenJson,
  inDir,
  listFiles,
  PLAIN_BUILD,
  PLAIN_GAPS,
  PLAIN_SORT,
  REPO,
  SMALL_BESS,
  seededRandom,
  sha256,
  shuffled,
  siteFrom,
  siteRoots,
  siteTree,
  siteWithTotal,
  southSite,
  stderrOf,
  type ThrownError,
  tempDir,
  totalWithPartialRun,
  UPDATE_GOLDEN,
} from '../../io/src/fixtures.test-helper.js';

export const BIN = path.join(REPO, 'packages/cli/dist/bin.js');

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

/** Run the built CLI and SIGKILL it after `delayMs` unless it exits first; resolves once it is gone: killed or not. */
export async function lptoolKilledAfter(
  args: string[],
  delayMs: number,
): Promise<{ killed: boolean; elapsedMs: number }> {
  const t0 = performance.now();
  const child = spawn(process.execPath, [BIN, ...args], {
    stdio: 'ignore',
    env: { ...process.env, TZ: 'America/Los_Angeles' },
  });
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  const timer = setTimeout(() => child.kill('SIGKILL'), delayMs);
  await exited;
  clearTimeout(timer);
  return { killed: child.signalCode === 'SIGKILL', elapsedMs: performance.now() - t0 };
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
