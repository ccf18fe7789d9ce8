/**
 * Largest-Triangle-Three-Buckets downsampling (Steinarsson 2013) for drawing
 * only: keeps the first and last point and, per bucket, the point that forms
 * the largest triangle with the previous kept point and the next bucket's mean.
 *
 * Points with a NaN value split the series into runs; each run is downsampled
 * on its own (its share of `threshold` by length) and the NaN breaks are kept,
 * so a drawn line never bridges a gap.
 */
export function lttb(
  x: ArrayLike<number>,
  y: ArrayLike<number>,
  threshold: number,
): { x: Float64Array; y: Float64Array } {
  const n = x.length;
  if (threshold >= n || threshold < 3) return { x: Float64Array.from(x), y: Float64Array.from(y) };
  // runs of defined values
  const runs: [number, number][] = [];
  for (let i = 0; i < n; ) {
    while (i < n && Number.isNaN(y[i]!)) i++;
    const a = i;
    while (i < n && !Number.isNaN(y[i]!)) i++;
    if (i > a) runs.push([a, i]);
  }
  const defined = runs.reduce((s, [a, b]) => s + b - a, 0);
  const outX: number[] = [];
  const outY: number[] = [];
  runs.forEach(([a, b], r) => {
    if (r > 0) {
      outX.push((x[a - 1]! + x[a]!) / 2);
      outY.push(Number.NaN);
    }
    const share = Math.max(3, Math.round((threshold * (b - a)) / defined));
    lttbRun(x, y, a, b, share, outX, outY);
  });
  return { x: Float64Array.from(outX), y: Float64Array.from(outY) };
}

function lttbRun(
  x: ArrayLike<number>,
  y: ArrayLike<number>,
  a: number,
  b: number,
  threshold: number,
  outX: number[],
  outY: number[],
): void {
  const len = b - a;
  if (threshold >= len) {
    for (let i = a; i < b; i++) {
      outX.push(x[i]!);
      outY.push(y[i]!);
    }
    return;
  }
  const every = (len - 2) / (threshold - 2);
  let kept = a;
  outX.push(x[a]!);
  outY.push(y[a]!);
  for (let k = 0; k < threshold - 2; k++) {
    // mean of the next bucket
    let nextFrom = a + Math.floor((k + 1) * every) + 1;
    let nextTo = a + Math.floor((k + 2) * every) + 1;
    if (nextTo > b) nextTo = b;
    if (nextFrom >= nextTo) nextFrom = nextTo - 1;
    let mx = 0;
    let my = 0;
    for (let i = nextFrom; i < nextTo; i++) {
      mx += x[i]!;
      my += y[i]!;
    }
    mx /= nextTo - nextFrom;
    my /= nextTo - nextFrom;
    // this bucket: the point with the largest triangle (area × 2, sign dropped)
    const from = a + Math.floor(k * every) + 1;
    const to = a + Math.floor((k + 1) * every) + 1;
    const px = x[kept]!;
    const py = y[kept]!;
    let best = from;
    let bestArea = -1;
    for (let i = from; i < to; i++) {
      const area = Math.abs((px - mx) * (y[i]! - py) - (px - x[i]!) * (my - py));
      if (area > bestArea) {
        bestArea = area;
        best = i;
      }
    }
    outX.push(x[best]!);
    outY.push(y[best]!);
    kept = best;
  }
  outX.push(x[b - 1]!);
  outY.push(y[b - 1]!);
}
