import fs from 'node:fs';
import path from 'node:path';
import pino from 'pino';

export type Logger = pino.Logger;

/**
 * A pino JSON-lines logger appending to `logs/<name>.log`, written
 * synchronously so a crash never loses the line about what was just done.
 */
export function createLogger(logsDir: string, name: string, base: Record<string, unknown> = {}): Logger {
  fs.mkdirSync(logsDir, { recursive: true });
  const dest = pino.destination({ dest: path.join(logsDir, `${name}.log`), sync: true, append: true, mkdir: true });
  return pino({ base: { pid: process.pid, ...base }, timestamp: pino.stdTimeFunctions.isoTime }, dest);
}

/** A logger that drops everything (dry runs, library use without a site). */
export function nullLogger(): Logger {
  return pino({ enabled: false });
}
