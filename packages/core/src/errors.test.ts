import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { boundMessage, GOT_MAX, isLptError, LptError, MESSAGE_MAX } from './errors.js';

/** The value shown after "got " in a one-line error (up to the end of the line). */
const gotPart = (line: string) => line.slice(line.indexOf('got ') + 4);

describe('LptError: every "got" value is escaped and cut, whoever built the message', () => {
  it('keeps ordinary messages as they are', () => {
    const msg = 'kw_del — expected a number, got "abc"';
    expect(new LptError('LPT_PARSE', msg).message).toBe(msg);
    const raw =
      'time break — expected the row to start at 11/04/24 12:00:00 (end of line 49), got 11/04/24 12:15:00: 15m missing';
    expect(boundMessage(raw)).toBe(raw);
    const advice =
      "hash store — expected lptool's JSON, got a truncated file; nothing was moved. Restore it from backup, or move it aside to re-take everything in the dropbox as new";
    expect(boundMessage(advice)).toBe(advice);
  });

  it('a kilobyte-long quoted value is cut to about 80 characters, saying how long it was', () => {
    const value = 'x'.repeat(5000);
    const e = new LptError('LPT_PARSE', `header — expected Start Time, got ${JSON.stringify(value)}`, {
      file: 'a.csv',
      line: 1,
    });
    const got = gotPart(e.toLine());
    expect(got.length).toBeLessThan(GOT_MAX + 40);
    expect(got).toMatch(/^"x+… \(5000 chars\)" \(a\.csv:1\)$/);
  });

  it('binary bytes and control characters are shown escaped, never raw', () => {
    const junk = '\u0089PNG\r\n\u001a\n\u0000\u0000\u0000\rIHDR\ufffd\ud800';
    const quoted = new LptError('LPT_PARSE', `header — expected a profile, got ${JSON.stringify(junk)}`).message;
    expect(quoted).toBe(
      'header — expected a profile, got "\\x89PNG\\r\\n\\x1a\\n\\x00\\x00\\x00\\rIHDR\\ufffd\\ud800"',
    );
    const unquoted = new LptError('LPT_PARSE', `header — expected a profile, got ${junk}`).message;
    expect(unquoted).toBe(
      'header — expected a profile, got \\x89PNG\\r\\n\\x1a\\n\\x00\\x00\\x00\\rIHDR\\ufffd\\ud800',
    );
  });

  it('an empty value reads as "" rather than a blank', () => {
    expect(new LptError('LPT_PARSE', `header — expected a profile, got ${JSON.stringify('')}`).message).toBe(
      'header — expected a profile, got ""',
    );
  });

  it('property: for any value, one line, no control character, the value at most ~80 characters, the message bounded', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 3000 }), fc.boolean(), (value, quoted) => {
        const shown = quoted ? JSON.stringify(value) : value;
        const e = new LptError('LPT_PARSE', `header — expected a profile, got ${shown}`, { file: `f${value}.csv` });
        const line = e.toLine();
        // biome-ignore lint/suspicious/noControlCharactersInRegex: what must never reach a terminal
        expect(line).not.toMatch(/[\u0000-\u001f\u007f-\u009f\u2028\u2029\ufffd]/);
        expect(line).not.toMatch(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/);
        expect(e.message.length).toBeLessThanOrEqual(MESSAGE_MAX + 20);
        const got = e.message.slice(e.message.indexOf('got ') + 4);
        if (quoted) expect(got.length).toBeLessThanOrEqual(GOT_MAX + 20);
        else expect(got.split(/; | — |: | \(/)[0]!.length).toBeLessThanOrEqual(GOT_MAX + 20);
      }),
      { numRuns: 300 },
    );
  });
});

describe('isLptError', () => {
  it('knows an LptError made by another copy of core (a package the CLI bundle loads from its own folder)', () => {
    class OtherCopy extends Error {
      override readonly name = 'LptError';
      readonly code = 'LPT_USAGE';
      toLine() {
        return `${this.code}: ${this.message}`;
      }
    }
    expect(isLptError(new LptError('LPT_USAGE', 'x'))).toBe(true);
    expect(isLptError(new OtherCopy('x'))).toBe(true);
    expect(isLptError(Object.assign(new Error('x'), { name: 'LptError', code: 'LPT_NOPE', toLine: () => '' }))).toBe(
      false,
    );
    expect(isLptError({ name: 'LptError', code: 'LPT_USAGE', toLine: () => '' })).toBe(false);
  });
});
