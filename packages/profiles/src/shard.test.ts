import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { inShard, parseShard, shardOf } from './shard.js';

describe('shards: a stable assignment of meters to N machines', () => {
  it('is SHA-256 of the meter id, first 4 bytes big-endian, mod N, plus one (the README’s shell line agrees)', () => {
    expect(shardOf('144800052', 3)).toBe(1); // sha256 b33c10a8… → 3006009512 % 3 + 1
    expect(shardOf('144866290', 3)).toBe(3); // 1025654c…
    expect(shardOf('144866290', 8)).toBe(5);
    expect(shardOf('1', 8)).toBe(4); // 6b86b273…
    for (const id of ['144800052', '144866290', '7']) {
      const shell = execFileSync('sh', ['-c', `echo $(( 0x$(printf %s ${id} | sha256sum | cut -c1-8) % 7 + 1 ))`], {
        encoding: 'utf8',
      });
      expect(shardOf(id, 7)).toBe(Number(shell.trim()));
    }
  });

  it('puts every meter in exactly one of the N shards, spread roughly evenly', () => {
    const counts = [0, 0, 0, 0];
    for (let i = 0; i < 4000; i++) {
      const id = String(144800000 + i * 7);
      const owners = [1, 2, 3, 4].filter((k) => inShard(id, { index: k, count: 4 }));
      expect(owners).toHaveLength(1);
      counts[owners[0]! - 1]!++;
    }
    for (const c of counts) expect(c).toBeGreaterThan(850);
  });

  it('parses K/N and names the flag otherwise', () => {
    expect(parseShard('2/3')).toEqual({ index: 2, count: 3 });
    expect(parseShard(undefined)).toBeUndefined();
    for (const bad of ['0/3', '4/3', '3', 'a/b', '1/0', '-1/2'])
      expect(() => parseShard(bad)).toThrow(/--shard — expected K\/N with 1 ≤ K ≤ N ≤ 65536, got/);
  });
});
