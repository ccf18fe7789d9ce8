/**
 * The system total of SPEC §5 as a push engine: feeders' rows in, Σ MW_net and Σ MVA_net per interval start out,
 * with how many feeders reported. Pure: no fs, no clock, no log.
 */
import { bucketMean, MAX_EXACT, parseBucket, Resampler, type SiteClock } from '@lptool/core';

/** The totals, one row per distinct interval start, in time order. */
export interface FeederTotals {
  start: Float64Array;
  end: Float64Array;
  /** Σ MW_net and Σ MVA_net in integer millionths: Numbers, or BigInts where a sum left the exact range. */
  mw: ArrayLike<number | bigint>;
  mva: ArrayLike<number | bigint>;
  /** Feeders with a row at that start. */
  reporting: Int32Array;
  /** Every sum stayed within ±2^53 millionths (`mw`/`mva` are Float64Arrays). */
  exact: boolean;
}

/** The most steps the grid spans (64 MB): a start further out than that from the others is found through the Map. */
const MAX_GRID = 1 << 24;

/** Growable typed columns, one slot per interval start. */
class Slots {
  cap = 1 << 16;
  start = new Float64Array(this.cap);
  end = new Float64Array(this.cap);
  mw = new Float64Array(this.cap);
  mva = new Float64Array(this.cap);
  n = new Int32Array(this.cap);
  /** The last feeder that pushed a row at each start (a feeder's repeated start counts once). */
  feeder = new Int32Array(this.cap);

  grow(): void {
    this.cap *= 2;
    const grown = <A extends Float64Array | Int32Array>(x: A, make: (n: number) => A) => {
      const y = make(this.cap);
      y.set(x);
      return y;
    };
    this.start = grown(this.start, (n) => new Float64Array(n));
    this.end = grown(this.end, (n) => new Float64Array(n));
    this.mw = grown(this.mw, (n) => new Float64Array(n));
    this.mva = grown(this.mva, (n) => new Float64Array(n));
    this.n = grown(this.n, (n) => new Int32Array(n));
    this.feeder = grown(this.feeder, (n) => new Int32Array(n));
  }
}

/**
 * Σ per interval start, feeder by feeder: `feeder()` opens the next feeder, `push` adds one of its rows (values
 * in integer millionths, exactly as written); a start a feeder repeats counts once. Memory is one slot per
 * interval, not per feeder × interval: the sums in growable typed arrays, a start's slot found on the interval
 * grid (`gridMs`: an Int32Array over the grid's steps from the first start, 4 bytes a step) or, off the grid, in a
 * Map. A feeder's rows in time order find their slots without either while they follow the slots already made
 * (the slot after the last one used). The sums are exact: in Numbers while every partial sum stays within ±2^53
 * millionths, and from the first one that would not, in BigInt for all (every sum before it was exact, so nothing
 * is lost in the switch).
 */
export class FeederSum {
  private readonly slotOf = new Map<number, number>();
  private readonly slots = new Slots();
  private count = 0;
  /** The grid: slot + 1 (0: none yet) of the start `base + (lo + i) × gridMs` at i. */
  private grid = new Int32Array(0);
  private base = Number.NaN;
  private lo = 0;

  /**
   * `gridMs`: the interval length the starts are steps of (0: none — every slot is found through the Map);
   * `maxGrid`: the most steps the grid spans.
   */
  constructor(
    private readonly gridMs = 0,
    private readonly maxGrid = MAX_GRID,
  ) {}
  private big: { mw: bigint[]; mva: bigint[] } | null = null;
  /** The feeder open now (1 before the first `feeder()`: slots start stamped 0) and the slot its last row went to. */
  private current = 1;
  private last = -1;

  /** Start the next feeder. */
  feeder(): void {
    this.current++;
    this.last = -1;
  }

  push(start: number, end: number, mwMicros: number, mvaMicros: number): void {
    const k = this.slot(start, end);
    const s = this.slots;
    if (s.feeder[k] === this.current) return;
    s.feeder[k] = this.current;
    s.n[k]!++;
    if (this.big) {
      this.big.mw[k]! += BigInt(mwMicros);
      this.big.mva[k]! += BigInt(mvaMicros);
      return;
    }
    const mw = s.mw[k]! + mwMicros;
    const mva = s.mva[k]! + mvaMicros;
    if (mw > MAX_EXACT || mw < -MAX_EXACT || mva > MAX_EXACT || mva < -MAX_EXACT) {
      this.toBigInt();
      this.big!.mw[k]! += BigInt(mwMicros);
      this.big!.mva[k]! += BigInt(mvaMicros);
      return;
    }
    s.mw[k] = mw;
    s.mva[k] = mva;
  }

  /** The totals in time order. */
  finish(): FeederTotals {
    const count = this.count;
    const s = this.slots;
    const order = new Int32Array(count);
    let sorted = true;
    for (let k = 0; k < count; k++) {
      order[k] = k;
      if (k > 0 && !(s.start[k]! > s.start[k - 1]!)) sorted = false;
    }
    if (!sorted) order.sort((a, b) => s.start[a]! - s.start[b]!);
    const pick = (a: Float64Array) => Float64Array.from(order, (k) => a[k]!);
    const big = this.big;
    return {
      start: pick(s.start),
      end: pick(s.end),
      mw: big ? Array.from(order, (k) => big.mw[k]!) : pick(s.mw),
      mva: big ? Array.from(order, (k) => big.mva[k]!) : pick(s.mva),
      reporting: Int32Array.from(order, (k) => s.n[k]!),
      exact: !big,
    };
  }

  private slot(start: number, end: number): number {
    const next = this.last + 1;
    this.last = next < this.count && this.slots.start[next] === start ? next : this.find(start, end);
    return this.last;
  }

  /** The slot of `start`, made when it has none yet. */
  private find(start: number, end: number): number {
    const step = this.gridStep(start);
    let k = step >= 0 ? this.grid[step]! - 1 : -1;
    // (a start put in the Map when the grid did not reach it stays there after the grid has grown over it)
    if (k < 0 && this.slotOf.size > 0) k = this.slotOf.get(start) ?? -1;
    if (k >= 0) return k;
    k = this.count++;
    if (k === this.slots.cap) this.slots.grow();
    if (step >= 0) this.grid[step] = k + 1;
    else this.slotOf.set(start, k);
    this.slots.start[k] = start;
    this.slots.end[k] = end;
    if (this.big) {
      this.big.mw.push(0n);
      this.big.mva.push(0n);
    }
    return k;
  }

  /** Where `start` is in the grid (grown to hold it), or −1: no grid, off the grid, or too far from it. */
  private gridStep(start: number): number {
    if (!(this.gridMs > 0)) return -1;
    if (Number.isNaN(this.base)) this.base = start;
    const q = (start - this.base) / this.gridMs;
    if (!Number.isInteger(q)) return -1;
    const from = Math.min(this.lo, q);
    const to = Math.max(this.lo + this.grid.length, q + 1);
    if (from < this.lo || to > this.lo + this.grid.length) {
      if (to - from > this.maxGrid) return -1;
      // grown by half again at least (and on the side it grows), so a feeder's rows in order grow it O(log n) times
      const more = Math.min(this.maxGrid, Math.max(to - from, Math.ceil(this.grid.length * 1.5), 1024));
      const lo = from < this.lo ? to - more : from;
      const grid = new Int32Array(more);
      grid.set(this.grid, this.lo - lo);
      this.grid = grid;
      this.lo = lo;
    }
    return q - this.lo;
  }

  /** From here on the sums are BigInts (each sum so far is an exact integer below 2^53). */
  private toBigInt(): void {
    const n = this.count;
    const s = this.slots;
    this.big = {
      mw: Array.from({ length: n }, (_, k) => BigInt(s.mw[k]!)),
      mva: Array.from({ length: n }, (_, k) => BigInt(s.mva[k]!)),
    };
  }
}

/** A feeder's series as the total takes it: starts, ends, and MW_net / MVA_net in integer millionths. */
export interface FeederSeries {
  name: string;
  start: Float64Array;
  end: Float64Array;
  mw: Float64Array;
  mva: Float64Array;
  intervalMs: number;
}

/**
 * A finer feeder on the coarser grid: mean MW/MVA of the buckets that are complete, rounded half-up to
 * millionths (what `lptool resample` writes for them); partial buckets are left out.
 */
export function onCoarserGrid(s: FeederSeries, coarsest: number, clock: SiteClock): FeederSeries {
  const r = new Resampler({
    clock,
    intervalMs: s.intervalMs,
    bucket: parseBucket(`${coarsest / 60_000}m`, '--resample'),
    columns: 2,
  });
  for (let i = 0; i < s.start.length; i++) r.push(s.start[i]!, [s.mw[i]!, s.mva[i]!]);
  const buckets = r.finish().filter((b) => b.present >= b.expected);
  return {
    name: s.name,
    intervalMs: coarsest,
    start: Float64Array.from(buckets, (b) => b.start),
    end: Float64Array.from(buckets, (b) => b.end),
    mw: Float64Array.from(buckets, (b) => Number(bucketMean(b, 0))),
    mva: Float64Array.from(buckets, (b) => Number(bucketMean(b, 1))),
  };
}
