/**
 * What `--json` prints: every command's summary in one envelope, `{command, schema, ok, exitCode, …}`, its keys in
 * camelCase (the command functions' own field names and the logs' keys; rows that mirror CSV columns, such as a gap
 * list's `gap_start`, are spelt `gapStart` here), and an error as `{command, schema, ok: false, error: {code,
 * message, exit}}` — so a `jq` pipeline always gets an object. The shapes are the zod schemas of `json-schemas.ts`,
 * which docs/json.md is generated from (json.test.ts holds the two together and validates real outputs).
 */
import { z } from 'zod';
import { JSON_SCHEMAS } from './json-schemas.js';

/** The version of the JSON shapes: raised when a key is renamed or removed (new keys do not raise it). */
export const JSON_SCHEMA_VERSION = 1;

/** `gap_start` → `gapStart` (keys already in camelCase are left as they are). */
export const camel = (key: string) => key.replace(/_([a-z0-9])/gi, (_, c: string) => c.toUpperCase());

/** The zod type inside optional/nullable/default/effects wrappers. */
function inner(type: z.ZodTypeAny): z.ZodTypeAny {
  let t = type;
  for (;;) {
    if (t instanceof z.ZodOptional || t instanceof z.ZodNullable) t = t._def.innerType;
    else if (t instanceof z.ZodDefault) t = t._def.innerType;
    else if (t instanceof z.ZodEffects) t = t._def.schema;
    else return t;
  }
}

/**
 * A summary with its keys in camelCase, guided by the schema: the fields of an object are renamed, the keys of a
 * record (data such as reject reasons) are kept. Where the schema says nothing (an undeclared key: json.test.ts
 * fails on it), objects are renamed throughout.
 */
export function toJsonKeys(value: unknown, schema?: z.ZodTypeAny): unknown {
  const t = schema ? inner(schema) : undefined;
  if (Array.isArray(value)) return value.map((v) => toJsonKeys(v, t instanceof z.ZodArray ? t.element : undefined));
  if (value === null || typeof value !== 'object')
    return typeof value === 'number' && !Number.isFinite(value) ? null : value;
  if (t instanceof z.ZodUnion) {
    // objects told apart by their keys: the first option that has every key of the value
    const keys = Object.keys(value).map(camel);
    const option = (t.options as z.ZodTypeAny[]).find((o) => {
      const i = inner(o);
      return i instanceof z.ZodObject && keys.every((k) => k in i.shape);
    });
    return toJsonKeys(value, option);
  }
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    if (t instanceof z.ZodRecord) out[k] = toJsonKeys(v, t._def.valueType);
    else out[camel(k)] = toJsonKeys(v, t instanceof z.ZodObject ? t.shape[camel(k)] : undefined);
  }
  return out;
}

/** A command's `--json` output: the envelope, then its summary's fields. */
export function jsonOutput(command: string, summary: unknown, exitCode: number): Record<string, unknown> {
  const body = toJsonKeys(summary, JSON_SCHEMAS[command]?.body) as Record<string, unknown>;
  // a summary with exit 2 or 3 comes only from `run` (a step failed, and says why): not ok, as any exit 2 or 3
  return { command, schema: JSON_SCHEMA_VERSION, ok: exitCode < 2, ...body, exitCode };
}

/** What `--json` prints when a command fails (exit 2 or 3): an object on stdout all the same. */
export function jsonError(
  command: string,
  error: { code: string; message: string },
  exit: number,
): Record<string, unknown> {
  return {
    command,
    schema: JSON_SCHEMA_VERSION,
    ok: false,
    error: { code: error.code, message: error.message, exit },
  };
}
