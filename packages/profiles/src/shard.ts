import { createHash } from 'node:crypto';
import { LptError } from '@lptool/core';

/** Shard K of N (1-based): `build --shard K/N` builds only the meters assigned to it. */
export interface Shard {
  index: number;
  count: number;
}

/**
 * The shard (1…count) of a meter id: the first 4 bytes of SHA-256 of the id's UTF-8 text (as
 * meter-data.csv spells it, trimmed), read as an unsigned big-endian integer, modulo count, plus one.
 * Stable across machines, versions and languages — in a shell:
 * `echo $(( 0x$(printf %s 144800052 | sha256sum | cut -c1-8) % N + 1 ))`.
 */
export function shardOf(meter: string, count: number): number {
  return (createHash('sha256').update(meter, 'utf8').digest().readUInt32BE(0) % count) + 1;
}

/** `K/N` → a shard; anything else is a usage error naming the flag. */
export function parseShard(text: string | undefined, flag = '--shard'): Shard | undefined {
  if (text === undefined) return undefined;
  const m = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(text);
  const index = m ? Number(m[1]) : Number.NaN;
  const count = m ? Number(m[2]) : Number.NaN;
  if (!(count >= 1 && count <= 65_536 && index >= 1 && index <= count)) {
    throw new LptError('LPT_USAGE', `${flag} — expected K/N with 1 ≤ K ≤ N ≤ 65536, got ${JSON.stringify(text)}`, {
      key: flag,
    });
  }
  return { index, count };
}

/** Does this meter belong to the shard (every meter does when there is none)? */
export function inShard(meter: string, shard: Shard | undefined): boolean {
  return !shard || shardOf(meter, shard.count) === shard.index;
}
