import vm from 'node:vm';
import { type BessConfig, configError } from '@lptool/bess-format';

/** How long the config's regexes may take over one file's column names, ms. */
export const REGEX_TIME_LIMIT_MS = 2000;

/** Which column names the config's regexes take: indices into the names given. */
export interface ColumnMatch {
  power: number[];
  enclosures: number[];
}

// Runs in its own context, so that vm's timeout can stop a regex that backtracks without end.
const MATCH = new vm.Script(`
  const res = { power: new RegExp(powerSource), enclosures: new RegExp(enclosureSource) };
  for (let i = 0; i < names.length; i++) {
    at = i;
    for (const key of ['power', 'enclosures']) {
      which = key;
      if (res[key].test(names[i])) found[key].push(i);
    }
  }
`);

/**
 * Match every column name against `power.regex` and `enclosures.regex`, bounded in time. A regex with
 * nested quantifiers (`(a+)+`) can take longer than the age of the universe on a 41-character name;
 * past the limit the run stops with LPT_CONFIG (exit 2) naming the key and the column it was on.
 */
export function matchColumns(config: BessConfig, names: readonly string[], limitMs = REGEX_TIME_LIMIT_MS): ColumnMatch {
  const sandbox = {
    names: [...names],
    powerSource: config.power.regex,
    enclosureSource: config.enclosures.regex,
    found: { power: [] as number[], enclosures: [] as number[] },
    at: -1,
    which: 'power' as 'power' | 'enclosures',
  };
  try {
    MATCH.runInContext(vm.createContext(sandbox), { timeout: limitMs });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ERR_SCRIPT_EXECUTION_TIMEOUT') throw e;
    const name = names[sandbox.at] ?? '';
    const shown = JSON.stringify(name.length > 80 ? `${name.slice(0, 80)}…` : name);
    throw configError(
      config,
      `${sandbox.which}.regex`,
      `expected a pattern that decides each column name quickly, got one still running after ${limitMs / 1000} s on ${shown}: nested quantifiers such as (a+)+ backtrack without end — simplify it`,
    );
  }
  return { power: [...sandbox.found.power], enclosures: [...sandbox.found.enclosures] };
}
