import { formatShortDuration } from './duration.js';
import { formatWall, type ParsedLabel, parseLabelInto } from './labels.js';
import type { SiteClock } from './zone.js';

/** What can be wrong with one row's times. `line` is the file line of the row (header = line 1). */
export type SequenceProblem =
  | { kind: 'bad-label'; index: number; line: number; column: 'Start Time' | 'End Time'; label: string }
  | { kind: 'nonexistent'; index: number; line: number; column: 'Start Time' | 'End Time'; label: string }
  | {
      kind: 'interval-length';
      index: number;
      line: number;
      start: string;
      end: string;
      expectedMs: number;
      gotMs: number;
    }
  | {
      kind: 'break';
      index: number;
      line: number;
      previousLine: number;
      previousEnd: string;
      start: string;
      /** next start − previous end, ms (negative: overlap or backwards). */
      deltaMs: number;
    };

export interface ResolvedIntervals {
  /** Start instants (epoch ms), NaN where unresolved. */
  start: Float64Array;
  /** End instants (epoch ms), NaN where unresolved. */
  end: Float64Array;
  problems: SequenceProblem[];
}

export interface ResolveOptions {
  clock: SiteClock;
  /** The interval length every row must have. */
  intervalMs: number;
  /** File line of each row; defaults to index + 2 (one header line). */
  lines?: ArrayLike<number>;
}

/** Human sentence for a problem, for logs, sidecars and stderr. */
export function describeProblem(p: SequenceProblem, zone?: string): string {
  switch (p.kind) {
    case 'bad-label':
      return `${p.column} — expected a time like 07/12/24 11:00:00 or 2024-07-12T11:00:00-07:00, got ${JSON.stringify(p.label)}`;
    case 'nonexistent':
      return `${p.column} — ${JSON.stringify(p.label)} does not exist in ${zone ?? 'the site zone'} (skipped by the spring-forward change); if the meter keeps standard time all year, set clock: standard`;
    case 'interval-length':
      return `interval length — expected ${formatShortDuration(p.expectedMs)}, got ${formatShortDuration(p.gotMs)} (${p.start} → ${p.end})`;
    case 'break':
      return p.deltaMs > 0
        ? `time break — expected the row to start at ${p.previousEnd} (end of line ${p.previousLine}), got ${p.start}: ${formatShortDuration(p.deltaMs)} missing`
        : `time break — expected the row to start at ${p.previousEnd} (end of line ${p.previousLine}), got ${p.start}: ${formatShortDuration(-p.deltaMs)} ${p.deltaMs === 0 ? '' : 'backwards/overlapping'}`.trimEnd();
  }
}

/** Labels as parsed (`parseLabels`): each one's wall value and explicit offset (NaN: naive); wall NaN where unreadable. */
export interface ParsedLabels {
  wall: Float64Array;
  offset: Float64Array;
}

/** Parse labels (parseLabelInto: every accepted spelling) into wall values and offsets. */
export function parseLabels(labels: ArrayLike<string>): ParsedLabels {
  const n = labels.length;
  const out: ParsedLabels = { wall: new Float64Array(n), offset: new Float64Array(n) };
  const scratch: ParsedLabel = { wall: 0, offsetMs: 0 };
  for (let i = 0; i < n; i++) {
    const ok = parseLabelInto(labels[i]!, scratch);
    out.wall[i] = ok ? scratch.wall : Number.NaN;
    out.offset[i] = ok ? scratch.offsetMs : Number.NaN;
  }
  return out;
}

/** The text of row i's Start and End labels, for messages (only asked for where there is a problem). */
export interface LabelText {
  start(i: number): string;
  end(i: number): string;
}

/**
 * Resolve the Start/End labels of one export, in record order, to instants (SPEC §2):
 *
 * - a label with an offset is absolute;
 * - a naive label is read in the site zone; in the repeated fall-back hour the
 *   candidate chosen is the first one later than the previous row's start
 *   (record order: first pass daylight, second pass standard time). A file that
 *   *begins* inside the repeated hour is resolved by look-ahead: the pass that
 *   makes it meet the first unambiguous row wins (daylight when both or neither do);
 * - an End label is accepted as the wall label of the end instant or as the
 *   Start label + interval, whichever gives start + interval.
 *
 * Every row whose times cannot be resolved, whose length is not the interval,
 * or that does not start where the previous row ended is reported.
 */
export function resolveIntervals(
  startLabels: ArrayLike<string>,
  endLabels: ArrayLike<string>,
  options: ResolveOptions,
): ResolvedIntervals {
  const text: LabelText = { start: (i) => startLabels[i]!, end: (i) => endLabels[i]! };
  return resolveParsedIntervals(parseLabels(startLabels), parseLabels(endLabels), text, options);
}

/**
 * `resolveIntervals` on labels already parsed (`parseLabels`, or a reader's own parse of the same spellings
 * into the same values): the one resolution of SPEC §2's rules, whatever read the labels.
 */
export function resolveParsedIntervals(
  startParsed: ParsedLabels,
  endParsed: ParsedLabels,
  text: LabelText,
  options: ResolveOptions,
): ResolvedIntervals {
  const { clock, intervalMs } = options;
  const lineOf = (i: number) => (options.lines ? options.lines[i]! : i + 2);
  const { start, problems } = resolveParsedStarts(startParsed, text, {
    clock,
    intervalMs,
    lines: options.lines ?? [],
  });
  const startWall = startParsed.wall;
  const startOffset = startParsed.offset;
  const n = start.length;
  const end = new Float64Array(n).fill(Number.NaN);

  // End instants: the candidate equal to start + interval, else the nearest one (reported).
  for (let i = 0; i < n; i++) {
    const wall = endParsed.wall[i]!;
    if (Number.isNaN(wall)) {
      problems.push({ kind: 'bad-label', index: i, line: lineOf(i), column: 'End Time', label: text.end(i) });
      continue;
    }
    const offsetMs = endParsed.offset[i]!;
    const s = start[i]!;
    if (Number.isNaN(s)) continue;
    const expected = s + intervalMs;
    const psWall = startWall[i]!;
    const psNaive = Number.isNaN(startOffset[i]!);
    const naive = Number.isNaN(offsetMs);
    // the common case, without building candidate lists: the end label resolves to start + interval
    if (naive && psNaive && (s + (wall - psWall) === expected || clock.uniqueInstant(wall) === expected)) {
      end[i] = expected;
      continue;
    }
    const cands = naive ? clock.candidates(wall) : [wall - offsetMs];
    // the "Start label + interval" convention: the label difference, added to the start instant
    const byLabel = naive && psNaive ? s + (wall - psWall) : Number.NaN;
    if (byLabel === expected || cands.includes(expected)) {
      end[i] = expected;
      continue;
    }
    let got = byLabel;
    for (const x of cands) if (Number.isNaN(got) || Math.abs(x - expected) < Math.abs(got - expected)) got = x;
    end[i] = got;
    problems.push({
      kind: 'interval-length',
      index: i,
      line: lineOf(i),
      start: text.start(i),
      end: text.end(i),
      expectedMs: intervalMs,
      gotMs: got - s,
    });
  }

  for (const b of findBreaks(start, end)) {
    problems.push({
      kind: 'break',
      index: b,
      line: lineOf(b),
      previousLine: lineOf(b - 1),
      previousEnd: text.end(b - 1),
      start: text.start(b),
      deltaMs: start[b]! - end[b - 1]!,
    });
  }
  problems.sort((a, b) => a.index - b.index);
  return { start, end, problems };
}

/**
 * Start labels in record order → instants (the first half of resolveIntervals,
 * also used for profiles whose labels are naive): the repeated fall-back hour
 * by record order, a leading ambiguous run by look-ahead to the first
 * unambiguous row. Unreadable and nonexistent labels are reported (NaN).
 */
export function resolveStartInstants(
  startLabels: ArrayLike<string>,
  options: { clock: SiteClock; intervalMs: number; lines?: ArrayLike<number> },
): {
  start: Float64Array;
  /** Each label's wall value and offset (NaN: naive), as parsed; wall NaN where unreadable. */
  startWall: Float64Array;
  startOffset: Float64Array;
  problems: SequenceProblem[];
} {
  const parsed = parseLabels(startLabels);
  const text = { start: (i: number) => startLabels[i]!, end: (i: number) => startLabels[i]! };
  const { start, problems } = resolveParsedStarts(parsed, text, options);
  return { start, startWall: parsed.wall, startOffset: parsed.offset, problems };
}

/** resolveStartInstants on labels already parsed. */
function resolveParsedStarts(
  parsed: ParsedLabels,
  text: LabelText,
  options: { clock: SiteClock; intervalMs: number; lines?: ArrayLike<number> },
): { start: Float64Array; problems: SequenceProblem[] } {
  const { clock, intervalMs } = options;
  const n = parsed.wall.length;
  const lineOf = (i: number) => (options.lines?.length ? options.lines[i]! : i + 2);
  const start = new Float64Array(n).fill(Number.NaN);
  const problems: SequenceProblem[] = [];
  const startCands: (readonly number[] | null)[] = new Array(n);
  // Most rows have one candidate: their instant goes straight into `start`; only the others keep a list.
  const single = new Float64Array(n).fill(Number.NaN);
  let ambiguous = false;
  for (let i = 0; i < n; i++) {
    const wall = parsed.wall[i]!;
    if (Number.isNaN(wall)) {
      problems.push({ kind: 'bad-label', index: i, line: lineOf(i), column: 'Start Time', label: text.start(i) });
      startCands[i] = null;
      continue;
    }
    const offsetMs = parsed.offset[i]!;
    if (!Number.isNaN(offsetMs)) {
      single[i] = wall - offsetMs;
      continue;
    }
    const u = clock.uniqueInstant(wall);
    if (!Number.isNaN(u)) {
      single[i] = u;
      continue;
    }
    const c = clock.candidates(wall);
    if (c.length === 0)
      problems.push({ kind: 'nonexistent', index: i, line: lineOf(i), column: 'Start Time', label: text.start(i) });
    startCands[i] = c.length ? c : null;
    ambiguous = true;
  }
  // every row has one instant (or none): nothing to choose
  if (!ambiguous) return { start: single, problems };
  chooseCandidates(start, single, startCands, intervalMs);
  return { start, problems };
}

/**
 * Choose a candidate per row of the repeated fall-back hour: the first one later than the previous row's
 * start (record order); a leading run of ambiguous rows by look-ahead to the first unambiguous row.
 */
function chooseCandidates(
  start: Float64Array,
  single: Float64Array,
  startCands: (readonly number[] | null)[],
  intervalMs: number,
): void {
  const n = start.length;
  let prev = Number.NaN;
  let pendingFrom = -1;
  const pick = (c: readonly number[], after: number) => {
    if (c.length === 1 || Number.isNaN(after)) return c[0]!;
    for (const x of c) if (x > after) return x;
    return c[c.length - 1]!;
  };
  const greedy = (from: number, to: number, first: number) => {
    const out = new Float64Array(to - from);
    let p = first;
    out[0] = p;
    for (let i = from + 1; i < to; i++) {
      const c = startCands[i];
      if (c) p = pick(c, p);
      out[i - from] = c ? p : Number.NaN;
    }
    return out;
  };
  // rows from..to-1 are a leading ambiguous run; anchor = start of row `to` (NaN: none)
  const settleRun = (from: number, to: number, anchor: number) => {
    const trials = startCands[from]!.map((first) => greedy(from, to, first));
    const meets = (t: Float64Array) => anchor - t[t.length - 1]! === intervalMs;
    start.set(trials.find(meets) ?? trials[0]!, from);
  };
  for (let i = 0; i < n; i++) {
    const one = single[i]!;
    const c = startCands[i];
    if (Number.isNaN(one) && !c) continue;
    if (c && c.length > 1 && Number.isNaN(prev)) {
      if (pendingFrom < 0) pendingFrom = i;
      continue;
    }
    if (pendingFrom >= 0) {
      settleRun(pendingFrom, i, Number.isNaN(one) ? pick(c!, Number.NaN) : one);
      pendingFrom = -1;
    }
    start[i] = Number.isNaN(one) ? pick(c!, prev) : one;
    prev = start[i]!;
  }
  if (pendingFrom >= 0) settleRun(pendingFrom, n, Number.NaN);
}

/**
 * Is a sequence of intervals continuous (each end = the next start)? Returns the
 * indices `i` where row i does not start at row i−1's end; empty means continuous.
 * Rows with unresolved (NaN) times are skipped, not reported twice.
 */
export function findBreaks(start: ArrayLike<number>, end: ArrayLike<number>): number[] {
  const out: number[] = [];
  for (let i = 1; i < start.length; i++) {
    const e = end[i - 1]!;
    const s = start[i]!;
    if (Number.isNaN(e) || Number.isNaN(s)) continue;
    if (s !== e) out.push(i);
  }
  return out;
}

/** A wall label for messages about wall values (not instants). */
export { formatWall };
