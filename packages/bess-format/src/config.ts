import path from 'node:path';
import { LptError, parseDuration } from '@lptool/core';
import { readYamlFile } from '@lptool/io';
import { z } from 'zod';

/** A JavaScript regex with the named groups it must have; compiled during validation so errors name the key. */
const regexWith = (groups: string[]) =>
  z.string().superRefine((src, ctx) => {
    let re: RegExp;
    try {
      re = new RegExp(src);
    } catch (e) {
      ctx.addIssue({
        code: 'custom',
        // (V8's message repeats the whole pattern, past the cut of a "got" value: only its reason is kept)
        message: `expected a JavaScript regular expression, got ${JSON.stringify(src)}: ${(e as Error).message.replace(/^Invalid regular expression: \/[\s\S]*\/[a-z]*: /, '')}`,
      });
      return;
    }
    const names = new Set([...re.source.matchAll(/\(\?<([A-Za-z_$][\w$]*)>/g)].map((m) => m[1]));
    const missing = groups.filter((g) => !names.has(g));
    if (missing.length)
      ctx.addIssue({
        code: 'custom',
        message: `expected named group(s) ${missing.map((g) => `(?<${g}>…)`).join(', ')} in ${JSON.stringify(src)}`,
      });
  });

export const BessConfigSchema = z
  .object({
    source: z
      .object({
        paths: z
          .array(z.string().min(1))
          .min(1, 'expected at least one path or glob')
          .max(1000, 'expected at most 1,000 paths or globs (a glob matches many files)'),
        format: z.enum(['csv', 'parquet']).optional(),
        /** The most files the globs may match (default 10,000): each file read costs memory. */
        max_files: z.number().int().positive().optional(),
      })
      .strict(),
    timestamp: z.object({ column: z.string().min(1), timezone: z.string().min(1) }).strict(),
    power: z.object({ regex: regexWith(['input', 'inverter']) }).strict(),
    enclosures: z
      .object({
        regex: regexWith(['enclosure']),
        join: z.array(z.string().min(1)).default([]),
        order: z.string().min(1).optional(),
      })
      .strict(),
    split: z
      .record(
        z.string().regex(/^\d+$/, 'expected an enclosure count as the key'),
        z.array(z.number().int().positive()).min(1),
      )
      .superRefine((rules, ctx) => {
        for (const [count, parts] of Object.entries(rules)) {
          const sum = parts.reduce((a, b) => a + b, 0);
          if (sum !== Number(count))
            ctx.addIssue({
              code: 'custom',
              path: [count],
              message: `expected parts that add up to ${count}, got ${parts.join(' + ')} = ${sum}`,
            });
        }
      })
      .default({}),
    /** Explicit grouping: inverter → its enclosures per input, in input order. */
    groups: z.record(z.string(), z.array(z.array(z.string().min(1)).min(1)).min(1)).optional(),
    max_gap: z.union([z.string(), z.number()]).optional(),
    output: z
      .object({
        dir: z.string().min(1).default('out'),
        daily: z.string().min(1).default('daily_energy_by_enclosure.csv'),
        outliers: z.string().min(1).default('outliers_bottom5.csv'),
        heatmap: z.string().min(1).default('discharged_heatmap.png'),
        summary: z.string().min(1).default('enclosure_summary.csv'),
      })
      .strict()
      .default({
        dir: 'out',
        daily: 'daily_energy_by_enclosure.csv',
        outliers: 'outliers_bottom5.csv',
        heatmap: 'discharged_heatmap.png',
        summary: 'enclosure_summary.csv',
      }),
  })
  .strict()
  .superRefine((c, ctx) => {
    // (a regex that does not compile was reported on its own key already)
    const groupsOf = (src: string) => {
      try {
        return new Set([...new RegExp(src).source.matchAll(/\(\?<([A-Za-z_$][\w$]*)>/g)].map((m) => m[1]));
      } catch {
        return null;
      }
    };
    const enclosureGroups = groupsOf(c.enclosures.regex);
    const powerGroups = groupsOf(c.power.regex);
    if (!enclosureGroups || !powerGroups) return;
    for (const g of c.enclosures.join) {
      if (!enclosureGroups.has(g))
        ctx.addIssue({
          code: 'custom',
          path: ['enclosures', 'join'],
          message: `expected ${g} to be a named group of enclosures.regex`,
        });
      if (!powerGroups.has(g))
        ctx.addIssue({
          code: 'custom',
          path: ['enclosures', 'join'],
          message: `expected ${g} to be a named group of power.regex too (it ties an enclosure to its inverter)`,
        });
    }
    if (c.enclosures.order && !enclosureGroups.has(c.enclosures.order)) {
      ctx.addIssue({
        code: 'custom',
        path: ['enclosures', 'order'],
        message: `expected ${c.enclosures.order} to be a named group of enclosures.regex`,
      });
    }
    if (!c.groups && !c.enclosures.join.length) {
      ctx.addIssue({
        code: 'custom',
        path: ['enclosures', 'join'],
        message: 'expected the groups that tie an enclosure to its inverter (or an explicit groups: list)',
      });
    }
  });

export type BessConfigFile = z.infer<typeof BessConfigSchema>;

/** The config after normalisation: paths absolute, durations in ms. */
export interface BessConfig extends Omit<BessConfigFile, 'max_gap'> {
  file: string;
  baseDir: string;
  maxGapMs: number | undefined;
  outputDir: string;
}

export function loadBessConfig(file: string): BessConfig {
  const abs = path.resolve(file);
  const display = path.relative(process.cwd(), abs) || abs;
  const c = readYamlFile(abs, BessConfigSchema, display);
  const baseDir = path.dirname(abs);
  return {
    ...c,
    file: abs,
    baseDir,
    maxGapMs: maxGapOf(c.max_gap, display),
    outputDir: path.resolve(baseDir, c.output.dir),
  };
}

/**
 * max_gap as milliseconds: a duration with its unit. A bare number is refused — telemetry steps are seconds and
 * profiles' intervals minutes, so `max_gap: 5` has no one meaning (core's durations would read it as 5 minutes).
 */
function maxGapOf(value: string | number | undefined, display: string): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value === 'number' || /^\s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\s*$/.test(value))
    throw new LptError(
      'LPT_CONFIG',
      `${path.basename(display)}: max_gap — expected a duration with its unit (e.g. 25m, 300s, PT25M), got ${JSON.stringify(String(value))}`,
      { file: display, key: 'max_gap' },
    );
  return parseDuration(value, 'max_gap');
}

/** A config key error with the file named. */
export function configError(config: BessConfig, key: string, message: string): LptError {
  return new LptError('LPT_CONFIG', `${path.basename(config.file)}: ${key} — ${message}`, { file: config.file, key });
}
