/**
 * The compact form a profile's full-resolution series takes in the report
 * (`data/series/<name>.js`), and the site zone's offsets that turn its instants
 * into wall-clock times for drawing. Pure: no fs.
 *
 * A year of 15-minute rows is 35,040 points; as JSON objects that is ~1.4 MB a
 * meter, 70 MB for 50 meters. Here a series is
 *   - `runs`: [first start, count] for each stretch of starts one interval apart
 *     (a whole year without gaps is one pair), and
 *   - `values`: each value × `scale` as a little-endian Int32, base64 (5.3 bytes
 *     a point). Profiles are written with 6 decimals, so `scale` 10⁶ is exact;
 *     a larger scale than fits in an Int32 is stepped down by tens (a total of
 *     2,147 MW or more keeps 5 decimals, and so on).
 */

export interface EncodedSeries {
  intervalMs: number;
  /** [start instant (ms), number of consecutive intervals]. */
  runs: [number, number][];
  /** Values are integers of value × scale. */
  scale: number;
  /** Base64 of the Int32 (little-endian) values, one per start, in time order. */
  values: string;
}

const INT32_MAX = 2 ** 31 - 1;

/** The largest power of ten ≤ 10⁶ for which every |value| × scale fits an Int32. */
export function scaleFor(values: ArrayLike<number>): number {
  let max = 0;
  for (let i = 0; i < values.length; i++) {
    const a = Math.abs(values[i]!);
    if (a > max && Number.isFinite(a)) max = a;
  }
  let scale = 1e6;
  while (scale > 1 && Math.round(max * scale) > INT32_MAX) scale /= 10;
  return scale;
}

/** Encode ascending distinct starts and their values (NaN values are written as 0: profiles have none). */
export function encodeSeries(starts: Float64Array, values: Float64Array, intervalMs: number): EncodedSeries {
  const runs: [number, number][] = [];
  for (let i = 0; i < starts.length; i++) {
    const last = runs[runs.length - 1];
    if (last && starts[i]! === last[0] + last[1] * intervalMs) last[1]++;
    else runs.push([starts[i]!, 1]);
  }
  const scale = scaleFor(values);
  const ints = new Int32Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    ints[i] = Number.isFinite(v) ? Math.round(v * scale) : 0;
  }
  // Int32Array is platform-endian; the format is little-endian whatever the machine
  const bytes = Buffer.alloc(ints.length * 4);
  for (let i = 0; i < ints.length; i++) bytes.writeInt32LE(ints[i]!, i * 4);
  return { intervalMs, runs, scale, values: bytes.toString('base64') };
}

/** The inverse of encodeSeries (the page's decoder does the same in the browser). */
export function decodeSeries(e: EncodedSeries): { starts: Float64Array; values: Float64Array } {
  const n = e.runs.reduce((s, r) => s + r[1], 0);
  const starts = new Float64Array(n);
  let k = 0;
  for (const [t0, count] of e.runs) for (let j = 0; j < count; j++) starts[k++] = t0 + j * e.intervalMs;
  const bytes = Buffer.from(e.values, 'base64');
  const values = new Float64Array(n);
  for (let i = 0; i < n; i++) values[i] = bytes.readInt32LE(i * 4) / e.scale;
  return { starts, values };
}

/** Something that knows a zone's UTC offset at an instant (a SiteClock). */
export interface OffsetSource {
  offsetAt(instant: number): number;
}

/**
 * The zone's offsets over [from, to): [instant from which it holds, offset ms],
 * ascending; the first holds from `from`. Transitions are found hour by hour
 * and then to the millisecond by bisection, so the page can turn any instant in
 * the range into wall-clock time with a binary search.
 */
export function offsetTransitions(clock: OffsetSource, from: number, to: number): [number, number][] {
  const HOUR = 3_600_000;
  const out: [number, number][] = [[from, clock.offsetAt(from)]];
  for (let t = from; t < to; t += HOUR) {
    const next = Math.min(t + HOUR, to);
    const a = out[out.length - 1]![1];
    if (clock.offsetAt(next) === a) continue;
    // the offset changes in (t, next]: bisect for the first instant with the new offset
    let lo = t;
    let hi = next;
    while (hi - lo > 1) {
      const mid = Math.floor((lo + hi) / 2);
      if (clock.offsetAt(mid) === a) lo = mid;
      else hi = mid;
    }
    out.push([hi, clock.offsetAt(hi)]);
  }
  return out;
}
