import fs from 'node:fs';
import path from 'node:path';
import type { RunFact } from './diagnose.js';

/** The commands that log, and where (SPEC §1: logs/). `cmd` is the `cmd` field of their lines. */
export const LOGGED_COMMANDS: { command: string; log: string; cmd: string }[] = [
  { command: 'sort', log: 'dropbox', cmd: 'sort' },
  { command: 'build', log: 'build', cmd: 'build' },
  { command: 'merge', log: 'merge', cmd: 'merge' },
  { command: 'gaps', log: 'gaps', cmd: 'gaps' },
  { command: 'export parquet', log: 'export', cmd: 'export parquet' },
  { command: 'export postgres', log: 'export', cmd: 'export postgres' },
];

/** How much of a log's end is read to find the last runs (a run's lines are together at the end of its log). */
const MAX_READ = 16 << 20;
const CHUNK = 64 << 10;

/** A file's lines from the last to the first, read backwards in chunks, at most `MAX_READ` bytes. */
function* linesBackwards(file: string): Generator<string> {
  let fd: number;
  try {
    fd = fs.openSync(file, 'r');
  } catch {
    return;
  }
  try {
    let pos = fs.fstatSync(fd).size;
    const stop = Math.max(0, pos - MAX_READ);
    let rest = Buffer.alloc(0);
    while (pos > stop) {
      const n = Math.min(CHUNK, pos - stop);
      pos -= n;
      const buf = Buffer.alloc(n);
      fs.readSync(fd, buf, 0, n, pos);
      let data = Buffer.concat([buf, rest]);
      for (let i = data.lastIndexOf(10); i >= 0; i = data.lastIndexOf(10)) {
        const line = data.subarray(i + 1).toString('utf8');
        if (line.trim()) yield line;
        data = data.subarray(0, i);
      }
      rest = data;
    }
    if (pos === 0 && rest.length) yield rest.toString('utf8');
  } finally {
    fs.closeSync(fd);
  }
}

type Line = Record<string, unknown>;
const num = (v: unknown) => (typeof v === 'number' ? v : null);

function toLast(e: Line): NonNullable<RunFact['last']> {
  const err = e.error as { code?: unknown; message?: unknown } | undefined;
  return {
    event: e.event as 'start' | 'end',
    at: String(e.time ?? ''),
    run: typeof e.run === 'string' ? e.run : null,
    pid: num(e.pid),
    exitCode: num(e.exitCode),
    durationMs: num(e.durationMs),
    error: err && typeof err.code === 'string' ? { code: err.code, message: String(err.message ?? '') } : null,
  };
}

/**
 * The last run of each command that logs: its end (exit code, duration), or its start when no end followed.
 * Read from the end of each log (and of `<log>.1` when logrotate has just moved the runs there).
 */
export function lastRuns(logsDir: string): RunFact[] {
  const found = new Map<string, RunFact['last']>();
  for (const log of new Set(LOGGED_COMMANDS.map((c) => c.log))) {
    const cmds = LOGGED_COMMANDS.filter((c) => c.log === log);
    for (const file of [`${log}.log`, `${log}.log.1`]) {
      if (cmds.every((c) => found.has(c.command))) break;
      for (const text of linesBackwards(path.join(logsDir, file))) {
        if (!text.includes('"event":"start"') && !text.includes('"event":"end"')) continue; // most lines: skip unparsed
        let e: Line;
        try {
          e = JSON.parse(text);
        } catch {
          continue;
        }
        const c = cmds.find((x) => x.cmd === e.cmd);
        if (!c || found.has(c.command) || (e.event !== 'start' && e.event !== 'end')) continue;
        found.set(c.command, toLast(e));
        if (cmds.every((x) => found.has(x.command))) break;
      }
    }
  }
  return LOGGED_COMMANDS.map((c) => ({
    command: c.command,
    log: `logs/${c.log}.log`,
    last: found.get(c.command) ?? null,
  }));
}
