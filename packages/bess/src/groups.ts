import type { BessConfig } from '@lptool/bess-format';
import { LptError } from '@lptool/core';

/** One DC input of an inverter, the power column it is read from, and the enclosures its energy is split among. */
export interface InputAssignment {
  inverter: string;
  input: string;
  column: string;
  enclosures: string[];
}

const natural = (a: string, b: string) => a.localeCompare(b, 'en', { numeric: true });

/**
 * Tie enclosures to inverter inputs (SPEC §7): power columns give inverter and
 * input by the power regex; enclosure ids come from the enclosure columns; an
 * enclosure belongs to the inverter whose `join` groups it shares; an
 * inverter's enclosures, sorted by `order`, are split across its inputs (in
 * input order) by the `split` rule for their count. An explicit `groups:` list
 * replaces the inference. Every problem is collected and reported at once.
 */
export function assignEnclosures(
  config: BessConfig,
  powerColumns: string[],
  enclosureColumns: string[],
): InputAssignment[] {
  const powerRe = new RegExp(config.power.regex);
  const enclosureRe = new RegExp(config.enclosures.regex);
  const problems: string[] = [];
  const inverters = new Map<string, { key: string; inputs: Map<string, string> }>();
  for (const col of powerColumns) {
    const g = powerRe.exec(col)?.groups ?? {};
    const inverter = g.inverter!;
    const input = g.input!;
    const key = config.enclosures.join.map((j) => g[j] ?? '').join('|');
    const inv = inverters.get(inverter) ?? { key, inputs: new Map<string, string>() };
    if (inv.inputs.has(input))
      problems.push(`inverter ${inverter} input ${input}: two power columns (${inv.inputs.get(input)}, ${col})`);
    inv.inputs.set(input, col);
    inverters.set(inverter, inv);
  }
  const byKey = new Map<string, { id: string; order: number }[]>();
  const seen = new Set<string>();
  for (const col of enclosureColumns) {
    const g = enclosureRe.exec(col)?.groups ?? {};
    const id = g.enclosure!;
    if (seen.has(id)) continue;
    seen.add(id);
    const key = config.enclosures.join.map((j) => g[j] ?? '').join('|');
    const order = config.enclosures.order ? Number(g[config.enclosures.order]) : Number.NaN;
    const list = byKey.get(key) ?? [];
    list.push({ id, order });
    byKey.set(key, list);
  }
  const out: InputAssignment[] = [];
  for (const inverter of [...inverters.keys()].sort(natural)) {
    const inv = inverters.get(inverter)!;
    const inputs = [...inv.inputs.keys()].sort(natural);
    let perInput: string[][];
    if (config.groups) {
      const explicit = config.groups[inverter];
      if (!explicit) {
        problems.push(`inverter ${inverter}: no entry in groups:`);
        continue;
      }
      if (explicit.length !== inputs.length) {
        problems.push(
          `inverter ${inverter}: groups: lists ${explicit.length} input(s), the telemetry has ${inputs.length} (${inputs.join(', ')})`,
        );
        continue;
      }
      perInput = explicit;
    } else {
      const encs = (byKey.get(inv.key) ?? []).sort((a, b) => a.order - b.order || 0 || natural(a.id, b.id));
      const ids = encs.map((e) => e.id);
      if (!ids.length) {
        problems.push(
          `inverter ${inverter}: no enclosure shares its ${config.enclosures.join.join('/')} (${inv.key.replaceAll('|', '/')})`,
        );
        continue;
      }
      const rule = config.split[String(ids.length)];
      if (!rule) {
        problems.push(
          `inverter ${inverter}: ${ids.length} enclosures (${ids.join(', ')}) — no split rule for ${ids.length} (split: has ${Object.keys(config.split).join(', ') || 'none'})`,
        );
        continue;
      }
      if (rule.length !== inputs.length) {
        problems.push(
          `inverter ${inverter}: split ${ids.length}: [${rule.join(', ')}] has ${rule.length} part(s), the inverter has ${inputs.length} input(s) (${inputs.join(', ')})`,
        );
        continue;
      }
      perInput = [];
      let at = 0;
      for (const n of rule) {
        perInput.push(ids.slice(at, at + n));
        at += n;
      }
    }
    for (const [k, input] of inputs.entries())
      out.push({ inverter, input, column: inv.inputs.get(input)!, enclosures: perInput[k]! });
  }
  if (problems.length) {
    throw new LptError(
      'LPT_CONFIG',
      `grouping — expected every inverter's enclosures to be assigned to its inputs, got ${problems.length} problem(s): ${problems.join('; ')}`,
      { file: config.file, key: config.groups ? 'groups' : 'split' },
      { problems },
    );
  }
  return out;
}
