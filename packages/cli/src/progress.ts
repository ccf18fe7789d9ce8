/**
 * Progress on a terminal: `build: 42% · 12 of 50 meters · 1.2M rows/s · ETA 3s`, redrawn in place at most every
 * 100 ms (≤ 10 updates a second, however many files or rows go by), and nothing at all when stderr is not a
 * terminal (cron, a pipe, a file) or the operator asked for --quiet or --json.
 */

/** The part of a stream progress needs (process.stderr; a test gives its own with `isTTY: true`). */
export interface ProgressStream {
  isTTY?: boolean;
  write: (s: string) => unknown;
}

export interface Progress {
  /** `done` of `total` units (files, meters, bytes); `rows` taken in so far (for rows/s). */
  update: (done: number, total: number, rows?: number) => void;
  /** Clears the line. */
  finish: () => void;
}

const NO_PROGRESS: Progress = { update: () => {}, finish: () => {} };

/** At most one redraw per this many ms. */
export const PROGRESS_INTERVAL_MS = 100;

/** 1234567 → `1.2M`. */
function compact(n: number): string {
  if (n >= 1e6) return `${(n / 1e6).toFixed(1)}M`;
  if (n >= 1e4) return `${Math.round(n / 1e3)}k`;
  return String(Math.round(n));
}

/** Seconds as `45s`, `3m20s`. */
function eta(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  return s < 60 ? `${s}s` : `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
}

/** The line shown: percentage, counts, rows per second and the time left at the rate so far. */
export function progressLine(label: string, unit: string, done: number, total: number, rows: number, ms: number) {
  const pct = total > 0 ? Math.floor((100 * done) / total) : 100;
  const parts = [`${label}: ${pct}%`, `${done} of ${total} ${unit}`];
  const seconds = ms / 1000;
  if (rows > 0 && seconds > 0) parts.push(`${compact(rows / seconds)} rows/s`);
  if (done > 0 && done < total && seconds > 0) parts.push(`ETA ${eta((seconds * (total - done)) / done)}`);
  return parts.join(' · ');
}

/**
 * A progress writer for `label` counting `unit`s, or one that does nothing when `stream` is not a terminal or
 * `enabled` is false. `now` is injectable for tests.
 */
export function progressWriter(
  stream: ProgressStream | undefined,
  label: string,
  unit: string,
  options: { enabled?: boolean; now?: () => number } = {},
): Progress {
  if (!stream?.isTTY || options.enabled === false) return NO_PROGRESS;
  const now = options.now ?? (() => performance.now());
  const t0 = now();
  let last = Number.NEGATIVE_INFINITY;
  let drawn = false;
  return {
    update(done, total, rows = 0) {
      const t = now();
      if (t - last < PROGRESS_INTERVAL_MS && done < total) return;
      last = t;
      drawn = true;
      stream.write(`\r\x1b[K${progressLine(label, unit, done, total, rows, t - t0)}`);
    },
    finish() {
      if (drawn) stream.write('\r\x1b[K');
      drawn = false;
    },
  };
}
