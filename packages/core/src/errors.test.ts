import { describe, expect, it } from 'vitest';
import { isLptError, LptError } from './errors.js';

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
