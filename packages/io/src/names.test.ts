import { describe, expect, it } from 'vitest';
import { escapeFileName, fitName, isUtf8Name, safeFileName, tempStemFor } from './names.js';

describe('names that fit (issue 13 item 2)', () => {
  const bytes = (x: string) => Buffer.byteLength(x);
  it('keeps a name that fits; shortens a longer one keeping its suffix and a hash of the whole', () => {
    expect(fitName('north', '_PARSE-ERROR.csv')).toBe('north_PARSE-ERROR.csv');
    const a = fitName('x'.repeat(300), '.2.csv');
    const b = fitName(`${'x'.repeat(299)}y`, '.2.csv');
    expect(bytes(a)).toBe(255);
    expect(a).toMatch(/^x+~[0-9a-f]{10}\.2\.csv$/);
    expect(a).not.toBe(b);
    // never a split character
    const c = fitName('é'.repeat(200), '.csv', 100);
    expect(bytes(c)).toBeLessThanOrEqual(100);
    expect(c).not.toContain('\uFFFD');
    expect(tempStemFor('n'.repeat(250)).length).toBeLessThanOrEqual(255 - 25);
  });

  it('tells names that are not UTF-8, shows them escaped, and suggests a safe one', () => {
    const bad = Buffer.from([0x61, 0xff, 0xc3, 0xa9, 0xed, 0xa0, 0x80, 0x0a]);
    expect(isUtf8Name(bad)).toBe(false);
    expect(isUtf8Name(Buffer.from('né.csv'))).toBe(true);
    expect(escapeFileName(bad)).toBe('a\\xFFé\\xED\\xA0\\x80\\x0A');
    expect(safeFileName(bad)).toBe('a%FFé%ED%A0%80%0A');
  });
});
