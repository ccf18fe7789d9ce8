/** A small seeded PRNG (mulberry32): the same seed gives the same site on every machine. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A standard normal sample (Box–Muller) from a uniform source. */
export function gaussian(random: () => number): number {
  const u = Math.max(random(), 1e-12);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
}

const pad2 = (n: number) => (n < 10 ? `0${n}` : `${n}`);

/** x rounded to cents, printed like the exports (`12.5`, `0`, `3.07`). */
export function cents(x: number): string {
  const c = Math.round(x * 100);
  if (c === 0) return '0';
  const sign = c < 0 ? '-' : '';
  const a = Math.abs(c);
  const frac = a % 100;
  return `${sign}${Math.floor(a / 100)}${frac ? (frac % 10 ? `.${pad2(frac)}` : `.${frac / 10}`) : ''}`;
}

/** Export label `MM/DD/YY HH:MM:SS` of a wall value, cached per wall hour. */
export function labelMaker(): (wall: number) => string {
  const cache = new Map<number, string>();
  return (wall) => {
    const hour = Math.floor(wall / 3_600_000);
    let prefix = cache.get(hour);
    if (prefix === undefined) {
      const d = new Date(hour * 3_600_000);
      prefix = `${pad2(d.getUTCMonth() + 1)}/${pad2(d.getUTCDate())}/${pad2(d.getUTCFullYear() % 100)} ${pad2(d.getUTCHours())}:`;
      cache.set(hour, prefix);
    }
    const m = Math.floor((wall - hour * 3_600_000) / 60_000);
    return `${prefix}${pad2(m)}:00`;
  };
}
