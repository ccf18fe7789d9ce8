/**
 * Time order as a type. A `TimeOrdered` array holds interval starts in
 * ascending order; the only ways to get one are `sortByTime` (which sorts)
 * and `asTimeOrdered` (which checks). Code that relies on the order — a
 * binary search, a range cut, a merge walk — takes this type, so a caller
 * cannot hand it rows in file order by mistake.
 */
declare const timeOrdered: unique symbol;
export type TimeOrdered = Float64Array & { readonly [timeOrdered]: true };

/**
 * The permutation that puts `starts` in time order — rows with equal starts keep
 * their record order — or null when they are in order already.
 */
export function timeOrder(starts: ArrayLike<number>): Int32Array | null {
  let inOrder = true;
  for (let i = 1; i < starts.length && inOrder; i++) if (starts[i]! < starts[i - 1]!) inOrder = false;
  if (inOrder) return null;
  const order = new Int32Array(starts.length);
  for (let i = 0; i < order.length; i++) order[i] = i;
  return order.sort((a, b) => starts[a]! - starts[b]! || a - b);
}

/** `a` rearranged by a permutation from `timeOrder`. */
export function permute(a: Float64Array, order: Int32Array): Float64Array;
export function permute(a: Uint8Array, order: Int32Array): Uint8Array;
export function permute<T>(a: readonly T[], order: Int32Array): T[];
export function permute<T>(
  a: Float64Array | Uint8Array | readonly T[],
  order: Int32Array,
): Float64Array | Uint8Array | T[] {
  if (a instanceof Float64Array) return Float64Array.from(order, (i) => a[i]!);
  if (a instanceof Uint8Array) return Uint8Array.from(order, (i) => a[i]!);
  return Array.from(order, (i) => a[i]!);
}

/** `starts` as a TimeOrdered array, if they are ascending (throws otherwise: a programming error). */
export function asTimeOrdered(starts: Float64Array): TimeOrdered {
  if (timeOrder(starts)) throw new Error('asTimeOrdered: starts are not in time order');
  return starts as TimeOrdered;
}

/** Index of the first start ≥ t (binary search; `starts` ascending by type). */
export function lowerBound(starts: TimeOrdered, t: number): number {
  let lo = 0;
  let hi = starts.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (starts[mid]! < t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
