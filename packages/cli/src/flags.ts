/**
 * Flags as zod types: each flag's type carries its default (as the text an operator would type) and its
 * normalisation (`"5"` seconds → 5000 ms), so a default is written once, here, and the command functions take
 * normalised options. A value that does not fit is one LPT_USAGE line naming the flag (exit 2).
 */
import { decimalProblem, emptyDecimal, LptError, parseDuration } from '@lptool/core';
import { resolveRoot } from '@lptool/io';
import { z } from 'zod';

/** A failed check: the message names the flag; `key` goes into the error's location. */
function fail(ctx: z.RefinementCtx, key: string, message: string): typeof z.NEVER {
  ctx.addIssue({ code: 'custom', message, params: { key } });
  return z.NEVER;
}

/** The first problem of a failed parse as the one line an operator sees. */
export function usageError(error: z.ZodError): LptError {
  const issue = error.issues[0]!;
  const key = (issue.code === 'custom' && (issue.params?.key as string | undefined)) || `--${issue.path.join('.')}`;
  const message = issue.code === 'custom' ? issue.message : `${key} — ${issue.message}`;
  return new LptError('LPT_USAGE', message, { key });
}

/** A usage error naming the flag: `--out — expected …, got …` (exit 2). */
export function usage(key: string, message: string): LptError {
  return new LptError('LPT_USAGE', `${key} — ${message}`, { key });
}

/** An on/off flag. */
export const onOff = () => z.boolean().default(false);

/** A text flag taken as given (undefined when not given). */
export const text = () => z.string().optional();

/**
 * A flag's number by core's one grammar for a decimal (`12`, `1.5`, `2e3`), NaN for anything else — not `Number()`,
 * which takes `0x10`, `0b1`, `''` and `' '` (as 16, 1, 0, 0).
 */
function decimalOf(v: string): number {
  const d = emptyDecimal();
  return decimalProblem(v.trim(), d) ? Number.NaN : d.value;
}

/** A flag in seconds ≥ 0 → milliseconds. */
export const seconds = (flag: string) =>
  z.string().transform((v, ctx) => {
    const n = decimalOf(v);
    if (!Number.isFinite(n) || n < 0)
      return fail(ctx, flag, `${flag} — expected a number of seconds ≥ 0, got ${JSON.stringify(v)}`);
    return n * 1000;
  });

/** A positive number (a picture's width, height or scale). */
export const positive = (flag: string) =>
  z.string().transform((v, ctx) => {
    const n = decimalOf(v);
    if (!Number.isFinite(n) || n <= 0)
      return fail(ctx, flag, `${flag} — expected a positive number, got ${JSON.stringify(v)}`);
    return n;
  });

/** A whole number ≥ min (a count of meters, days, faults …). */
export const count = (flag: string, min = 0) =>
  z.string().transform((v, ctx) => {
    const n = decimalOf(v);
    if (!Number.isInteger(n) || n < min)
      return fail(ctx, flag, `${flag} — expected a whole number ≥ ${min}, got ${JSON.stringify(v)}`);
    return n;
  });

/** An output folder (`--out DIR` of a command that writes several files): `-` (stdout) cannot be one. */
export const folder = (flag = '--out') =>
  z.string().refine((v) => v !== '-', {
    message: `${flag} — expected a folder (the command writes several files), got - (stdout is for a command that writes one file)`,
    params: { key: flag },
  });

/** A length of time such as 15m or 1h → milliseconds (core's duration grammar and its message). */
export const duration = (flag: string) => z.string().transform((v) => parseDuration(v, flag));

/**
 * A comma-separated list of names (undefined when the flag is not given). A flag given with no name in it
 * (`--only ''`, `--only ,`) is a usage error: taking it as "not given" would total every feeder when a script's
 * variable came out empty.
 */
export const names = (flag: string) =>
  z
    .string()
    .optional()
    .transform((v, ctx) => {
      if (v === undefined) return undefined;
      const list = v
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean);
      if (!list.length)
        return fail(ctx, flag, `${flag} — expected one or more comma-separated names, got ${JSON.stringify(v)}`);
      return list;
    });

/** One of a fixed set (commander checks the choices and says which are allowed; the type narrows them here). */
export const oneOf = <const T extends readonly [string, ...string[]]>(choices: T) => z.enum(choices);

/** The site root: --root, else $LPTOOL_ROOT, else the current directory (resolved once). */
export const root = () =>
  z
    .string()
    .optional()
    .transform((v) => resolveRoot(v));

/** How long to wait for another run on the same root (also for the commands that have no --lock-wait flag). */
export const lockWait = () => seconds('--lock-wait').default('30');
