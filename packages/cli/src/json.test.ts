/**
 * JSON a script can rely on (issue 15): the real CLI's `--json` output of every command, on a synth site, against
 * the schemas of json-schemas.ts (strict: no key they do not declare); one case of keys; errors as JSON on stdout;
 * and docs/json.md generated from the same schemas. (`export postgres` needs a server: its output is validated in
 * e2e/export/postgres.test.ts, against a real one.)
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { COMMANDS } from './commands.js';
import { jsonDoc, keysOf } from './json-doc.js';
import { ERROR_SCHEMA, JSON_SCHEMAS, outputSchema } from './json-schemas.js';
import { lptool, REPO, tempDir, UPDATE_GOLDEN } from './testing.js';

let tmp = '';
let root = '';
let cleanup = () => {};
beforeAll(() => {
  ({ dir: tmp, cleanup } = tempDir('lptool-json-'));
  root = path.join(tmp, 'site');
});
afterAll(() => cleanup());

/** `lptool … --json` in the site: exit code, and the output parsed (stdout must be one JSON object). */
function json(args: string[], cwd = root): { code: number; out: Record<string, unknown>; stderr: string } {
  const r = lptool([...args, '--json'], { cwd });
  let out: Record<string, unknown>;
  try {
    out = JSON.parse(r.stdout);
  } catch {
    throw new Error(`lptool ${args.join(' ')} --json: stdout is not JSON (exit ${r.code})\n${r.stdout}\n${r.stderr}`);
  }
  return { code: r.code, out, stderr: r.stderr };
}

/** The schema's verdict on an output, as a readable list of problems (empty: valid). */
function problems(command: string, out: unknown): string[] {
  const r = outputSchema(command).safeParse(out);
  return r.success ? [] : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
}

const seen = new Set<string>();
/** Runs a command with --json, requires the exit code, and validates the output against its schema. */
function valid(command: string, args: string[], code = 0, cwd = root): Record<string, unknown> {
  const r = json([...command.split(' '), ...args], cwd);
  expect(r.code, `${command}: ${r.stderr}`).toBe(code);
  expect(r.out).toMatchObject({ command, schema: 1, ok: true, exitCode: code });
  expect(problems(command, r.out), command).toEqual([]);
  seen.add(command);
  return r.out;
}

describe('--json: every command, real outputs against the schemas', () => {
  it('synth, doctor and init, then the pipeline with its faults: each output fits its schema', () => {
    const site = valid(
      'synth site',
      [
        '--out',
        root,
        ...['--meters', '3', '--days', '14', '--start', '2024-10-28', '--file-days', '2'],
        ...['--gaps', '1', '--sequence-errors', '1', '--duplicates', '1', '--overlaps', '1'],
      ],
      0,
      tmp,
    );
    expect((site.faults as { gaps: unknown[] }).gaps[0]).toHaveProperty('gapStart');
    valid('doctor', []); // exports just delivered, nothing run yet: healthy
    valid('init', []);
    const sort = valid('sort', ['--settle', '0'], 1); // the sequence error is rejected
    expect(sort.errorsByReason).toEqual({ 'SEQUENCE-ERROR': 1 }); // a record's keys are data: kept as they are
    valid('build', [], 1); // the corrected re-export conflicts with the original
    valid('merge', []);
    const gaps = valid('gaps', ['--png']);
    expect((gaps.profiles as { gaps: unknown[] }[]).some((p) => p.gaps.length)).toBe(true);
    valid('stats', ['lp/north.csv', 'lp/south.csv', 'lp/east.csv', 'lp/all.csv', '--every', '1mo']);
    valid('resample', ['lp/all.csv', '--every', '1d']);
    valid('export parquet', []);
    valid('report', []);
    valid('doctor', [], 1); // the reject of the last 24 h
  });

  it('bess, synth bess and demo', () => {
    valid(
      'synth bess',
      ['--out', path.join(tmp, 'bess'), '--inverters', '2', '--days', '2', '--extra-columns', '3'],
      0,
      tmp,
    );
    valid('bess', ['-c', path.join(tmp, 'bess/bess.yaml')]);
    valid('demo', ['--out', path.join(tmp, 'demo')], 0, tmp);
  });

  it('run: each step with its command summary', () => {
    const site = path.join(tmp, 'run-site');
    valid('synth site', ['--out', site, '--meters', '2', '--days', '6', '--file-days', '2', '--gaps', '1'], 0, tmp);
    const out = valid('run', ['--settle', '0'], 1, site); // the gap
    const steps = out.steps as { step: string; summary?: Record<string, unknown> | null }[];
    expect(steps.map((s) => s.step)).toEqual(['sort', 'build', 'merge', 'gaps', 'bess']);
    const gaps = steps[3]!.summary as { profiles: { gaps: Record<string, unknown>[] }[] };
    expect(Object.keys(gaps.profiles.find((p) => p.gaps.length)!.gaps[0]!)).toContain('gapStart');
  });

  it('every declared command has a schema, and each was validated above (export postgres: in its own test)', () => {
    expect(COMMANDS.map((c) => c.name).filter((n) => !JSON_SCHEMAS[n])).toEqual([]);
    expect(Object.keys(JSON_SCHEMAS).filter((n) => !seen.has(n) && n !== 'export postgres')).toEqual([]);
  });

  it('one case: every key of every schema is camelCase', () => {
    const all = Object.values(JSON_SCHEMAS).flatMap((s) => keysOf(s.body).map((k) => k.path));
    const names = all.flatMap((p) => p.split(/\.|\[\]/)).filter((n) => n && n !== '<key>');
    expect(names.filter((n) => !/^[a-z][a-zA-Z0-9]*$/.test(n))).toEqual([]);
  });
});

describe('--json errors: an object on stdout, the line on stderr as always', () => {
  it('a usage error commander finds, one the command finds, before or after the command', () => {
    const cases: [string[], string, string][] = [
      [['build', '--bogus'], 'build', "unknown option '--bogus'"],
      [['resample', 'lp/north.csv'], 'resample', '--every — expected a bucket'],
      [['export', 'parquet', '--root', path.join(tmp, 'nowhere')], 'export parquet', 'nowhere'],
    ];
    for (const [args, command, message] of cases) {
      const r = lptool([...args, '--json'], { cwd: root });
      expect(r.code, args.join(' ')).toBe(2);
      const out = JSON.parse(r.stdout);
      expect(ERROR_SCHEMA.safeParse(out).success).toBe(true);
      expect(out).toMatchObject({ command, schema: 1, ok: false, error: { exit: 2 } });
      expect(out.error.message).toContain(message);
      expect(r.stderr).toMatch(/\S/); // stderr still says it
    }
    const before = lptool(['--json', 'gaps', 'nope.csv'], { cwd: root });
    expect(JSON.parse(before.stdout)).toMatchObject({
      command: 'gaps',
      ok: false,
      error: { code: 'LPT_INPUT_MISSING', message: expect.stringContaining('(nope.csv)'), exit: 2 },
    });
  });

  it('without --json an error leaves stdout empty', () => {
    const r = lptool(['gaps', 'nope.csv'], { cwd: root });
    expect([r.code, r.stdout]).toEqual([2, '']);
  });
});

describe('docs/json.md', () => {
  const file = path.join(REPO, 'docs/json.md');

  it('is generated from the schemas (LPTOOL_UPDATE_GOLDEN=1 rewrites it)', () => {
    if (UPDATE_GOLDEN) fs.writeFileSync(file, jsonDoc());
    expect(fs.readFileSync(file, 'utf8')).toBe(jsonDoc());
  });

  it("names every key of each command's schema in that command's section", () => {
    const doc = fs.readFileSync(file, 'utf8');
    for (const [command, shape] of Object.entries(JSON_SCHEMAS)) {
      const section = doc.split(`## \`lptool ${command}\``)[1]?.split('\n## ')[0] ?? '';
      const missing = keysOf(shape.body as z.ZodTypeAny).filter((k) => !section.includes(`\`${k.path}\``));
      expect(
        missing.map((k) => k.path),
        command,
      ).toEqual([]);
    }
  });
});
