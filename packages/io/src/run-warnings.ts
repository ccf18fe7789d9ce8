/*
 * Warnings said once per run (the time zone that is set nowhere): a pipeline opens its site once, but a library
 * caller or a second opening must not say it twice. They live on globalThis, as the run id does (log.ts), since the
 * CLI bundle loads some packages with their own copy of this module.
 */
const WARNINGS = Symbol.for('lptool.runWarnings');
const store = globalThis as unknown as { [WARNINGS]?: Map<string, string> };

/** Say `text` once in this run (under `key`); the CLI prints what was said on stderr. */
export function runWarning(key: string, text: string): void {
  store[WARNINGS] ??= new Map();
  if (!store[WARNINGS].has(key)) store[WARNINGS].set(key, text);
}

/** The warnings said since the last call, in order; the run's list starts again empty. */
export function takeRunWarnings(): string[] {
  const list = [...(store[WARNINGS]?.values() ?? [])];
  store[WARNINGS] = new Map();
  return list;
}
