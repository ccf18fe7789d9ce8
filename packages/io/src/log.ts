import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import pino from 'pino';

export type Logger = pino.Logger;

/** lptool's version, written on every log line (`version`) and shown by `lptool --version`. */
export const LPTOOL_VERSION = '0.1.0';

/*
 * A run: one command of one process. Every line a run logs carries its id (`run`) and lptool's version, so
 * `grep '"run":"20250105T101500Z-3fa9c01b"' logs/*.log` gives one run's lines across its logs. A command logs
 * `start` when it begins; its `end` carries `durationMs` (from the opening of its log) and `exitCode`. The CLI
 * begins a run for each command and ends it with the command's exit code: a log that saw a `start` and no `end`
 * (the command failed with exit 2 or 3, or logged no end of its own) then gets one, with the error's code. A
 * `start` with no `end` after that means the process was killed (or is still running).
 */
interface Run {
  id: string;
  logs: RunLog[];
}
interface RunLog {
  logger: Logger;
  started: boolean;
  ended: boolean;
}

/*
 * The current run lives on globalThis, not in this module: the CLI bundle loads some packages (export) from their own
 * folders, with their own copy of this module, and their logs must join the CLI's run (its id, its end events).
 */
const RUN = Symbol.for('lptool.run');
const runs = globalThis as unknown as { [RUN]?: Run | null };
const getRun = () => runs[RUN] ?? null;
const setRun = (r: Run | null) => {
  runs[RUN] = r;
};

function newRunId(now = new Date()): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace(/\.\d+/, '');
  return `${stamp}-${randomBytes(4).toString('hex')}`;
}

/** Begin a new run (the CLI, once per command); returns its id. */
export function beginRun(): string {
  const run = { id: newRunId(), logs: [] };
  setRun(run);
  return run.id;
}

/** The id of the current run (library use without `beginRun`: one for the process). */
export function currentRunId(): string {
  if (!getRun()) setRun({ id: newRunId(), logs: [] });
  return getRun()!.id;
}

/**
 * End the current run: each of its logs that has a `start` and no `end` gets an `end` with this exit code (and
 * the error that ended the run, if any). Logs whose command wrote its own `end` are left as they are.
 */
export function endRun(exitCode: number, error?: { code: string; message: string }): void {
  const current = getRun();
  if (!current) return;
  for (const l of current.logs) {
    if (!l.started || l.ended) continue;
    l.logger.info({ event: 'end', exitCode, ...(error ? { error } : {}) }, error ? 'failed' : 'finished');
  }
  setRun(null);
}

/**
 * A pino JSON-lines logger appending to `logs/<name>.log`, written synchronously so a crash never loses the line
 * about what was just done. Each run opens its logs and closes them at exit, so a log rotated away between runs
 * (logrotate's rename, then a new file) is never written to again: no `copytruncate` needed.
 */
export function createLogger(logsDir: string, name: string, base: Record<string, unknown> = {}): Logger {
  fs.mkdirSync(logsDir, { recursive: true });
  const dest = pino.destination({ dest: path.join(logsDir, `${name}.log`), sync: true, append: true, mkdir: true });
  currentRunId();
  const run = getRun()!;
  const t0 = performance.now();
  const entry: RunLog = { logger: undefined as unknown as Logger, started: false, ended: false };
  const logger = pino(
    {
      base: { pid: process.pid, run: run.id, version: LPTOOL_VERSION, ...base },
      timestamp: pino.stdTimeFunctions.isoTime,
      mixin: (fields: { event?: unknown }) => {
        if (fields.event === 'start') entry.started = true;
        if (fields.event !== 'end') return {};
        entry.ended = true;
        return { durationMs: Math.round(performance.now() - t0) };
      },
    },
    dest,
  );
  entry.logger = logger;
  run.logs.push(entry);
  return logger;
}

/** A logger that drops everything (dry runs, library use without a site). */
export function nullLogger(): Logger {
  return pino({ enabled: false });
}
