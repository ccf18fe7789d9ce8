import { READING_COLUMNS } from '@lptool/archive';
import { DERIVED_POWER_COLUMNS } from '@lptool/core';

/**
 * The profile formats' columns, listed once: nobody else spells them. `lp/<name>.csv` (SPEC §4) carries
 * the export's own fields and readings, then what build derives from them; `lp/all.csv` (SPEC §5) the
 * system total. Export maps both to its dataset fields, typed by these lists.
 */

/** The columns of lp/<name>.csv, in order (SPEC §4). */
export const PROFILE_COLUMNS = [
  'Start Time',
  'End Time',
  'meter',
  'Record No.',
  'Event Type',
  ...READING_COLUMNS,
  ...DERIVED_POWER_COLUMNS,
  'PF_net',
] as const;

/** The system total's power columns. */
const TOTAL_POWER_COLUMNS = ['MW_total', 'MVA_total'] as const;

/** The columns of lp/all.csv, in order (SPEC §5). */
export const SYSTEM_TOTAL_COLUMNS = [
  'Start Time',
  'End Time',
  ...TOTAL_POWER_COLUMNS,
  'PF_total',
  'MW_net',
  'feeders_reporting',
  'feeders_expected',
] as const;

/** The power columns a profile may have (lp/<name>.csv or lp/all.csv), in output order: what the reader reads. */
export const POWER_COLUMNS = [...DERIVED_POWER_COLUMNS, ...TOTAL_POWER_COLUMNS] as const;
export type PowerColumn = (typeof POWER_COLUMNS)[number];
