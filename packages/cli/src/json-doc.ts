/**
 * docs/json.md, generated from the schemas of json-schemas.ts: a table per command of every key (as a path:
 * `files[].name`, `errorsByReason.<key>`), its type and its description. json.test.ts holds the file equal to this
 * (`LPTOOL_UPDATE_GOLDEN=1` rewrites it), so the doc cannot drift from what the commands print.
 */
import { z } from 'zod';
import { ENVELOPE, ERROR_SCHEMA, JSON_SCHEMAS } from './json-schemas.js';

export interface KeyDoc {
  path: string;
  type: string;
  description: string;
}

/** The type's name as the doc shows it, with what it wraps unwrapped. */
function typeName(t: z.ZodTypeAny): string {
  if (t instanceof z.ZodOptional) return `${typeName(t._def.innerType)} (optional)`;
  if (t instanceof z.ZodNullable) return `${typeName(t._def.innerType)} \\| null`;
  if (t instanceof z.ZodString) return 'string';
  if (t instanceof z.ZodNumber) return t.isInt ? 'integer' : 'number';
  if (t instanceof z.ZodBoolean) return 'boolean';
  if (t instanceof z.ZodLiteral) return JSON.stringify(t._def.value);
  if (t instanceof z.ZodEnum) return (t._def.values as string[]).map((v) => JSON.stringify(v)).join(' \\| ');
  if (t instanceof z.ZodArray) return `array of ${typeName(t.element)}`;
  if (t instanceof z.ZodRecord) return `object of ${typeName(t._def.valueType)}`;
  if (t instanceof z.ZodObject) return 'object';
  if (t instanceof z.ZodUnion) return 'one of the objects below';
  throw new Error(`json-doc: no name for ${t.constructor.name}`);
}

/** What a type holds below it: an object's fields, an array's or a record's elements, a union's options. */
function children(t: z.ZodTypeAny, path: string): [string, z.ZodTypeAny][] {
  if (t instanceof z.ZodOptional || t instanceof z.ZodNullable) return children(t._def.innerType, path);
  if (t instanceof z.ZodArray) return children(t.element, `${path}[]`);
  if (t instanceof z.ZodRecord) return [[`${path}.<key>`, t._def.valueType]];
  if (t instanceof z.ZodObject)
    return Object.entries(t.shape as z.ZodRawShape).map(([k, v]) => [path ? `${path}.${k}` : k, v]);
  if (t instanceof z.ZodUnion) {
    const seen = new Map<string, z.ZodTypeAny>();
    for (const o of t.options as z.ZodTypeAny[])
      for (const [p, v] of children(o, path)) if (!seen.has(p)) seen.set(p, v);
    return [...seen];
  }
  return [];
}

/** Every key of a schema, depth first, as doc rows. */
export function keysOf(schema: z.ZodTypeAny, path = ''): KeyDoc[] {
  return children(schema, path).flatMap(([p, t]) => [
    { path: p, type: typeName(t), description: t.description ?? '' },
    ...keysOf(t, p),
  ]);
}

const table = (rows: KeyDoc[]) => [
  '| key | type | meaning |',
  '| --- | --- | --- |',
  ...rows.map((r) => `| \`${r.path}\` | ${r.type} | ${r.description} |`),
];

/** docs/json.md. */
export function jsonDoc(): string {
  const lines = [
    '# `--json`: what each command prints',
    '',
    '<!-- Generated from packages/cli/src/json-schemas.ts by json.test.ts (LPTOOL_UPDATE_GOLDEN=1 pnpm test): edit the',
    '     schemas and their descriptions there, not this file. -->',
    '',
    'Every command takes `--json` (before or after the command) and then prints one JSON object on stdout; what it has',
    'to say to a person (warnings, notes, problems) still goes to stderr, and the exit code is the same as without',
    "`--json`. Keys are camelCase everywhere — the command functions' own field names and the logs' keys; rows that",
    'mirror CSV columns are spelt the same way here (`gap_start` in a gap list is `gapStart`). Keys are never',
    'renamed or removed without raising `schema`; new keys may appear. Times are local with their offset',
    '(`2024-07-12T11:00:00-07:00`) unless a key says epoch ms. Paths are as the command was given them (relative to',
    'the working folder) unless they are absolute there.',
    '',
    'A run that ends (exit 0 or 1; for `run`, also a step that failed: exit 2 or 3 with `ok: false`) prints the envelope and its summary:',
    '',
    ...table(keysOf(z.object(ENVELOPE))),
    '',
    'A run that fails (exit 2 or 3: a usage or configuration error, an internal failure; exit 1: the lock is held) prints, instead:',
    '',
    ...table(keysOf(ERROR_SCHEMA)),
    '',
    '```text',
    'lptool build --json | jq -r \'if .ok then .meters[] | "\\(.name) \\(.status)" else .error.message end\'',
    '```',
    '',
    'The summaries, after the envelope:',
  ];
  for (const [command, shape] of Object.entries(JSON_SCHEMAS))
    lines.push('', `## \`lptool ${command}\``, '', ...table(keysOf(shape.body)));
  return `${lines.join('\n')}\n`;
}
