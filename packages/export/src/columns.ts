import { PROFILE_COLUMNS, SYSTEM_TOTAL_COLUMNS } from '@lptool/profiles';

/**
 * The two tables of an export, derived from the CSV column lists their owner declares (profiles'
 * PROFILE_COLUMNS and SYSTEM_TOTAL_COLUMNS): each CSV column maps to one or more dataset fields with a type. The
 * maps are typed by those lists, so a column added to a profile fails to compile here until it has a type.
 */

/**
 * `instant`: TIMESTAMP adjusted to UTC (Parquet INT64 micros, PostgreSQL timestamptz);
 * `label`: the CSV's local label with its offset; `dict`: a string, dictionary-encoded;
 * `int64`/`int32`: integers; `double`: IEEE doubles. Nullable fields take an empty CSV field as null.
 */
export type FieldType = 'instant' | 'label' | 'dict' | 'int64' | 'int32' | 'double';

export interface DatasetField {
  /** The CSV column it comes from. */
  source: string;
  /** Its name in Parquet (the CSV's spelling where it is a plain identifier). */
  name: string;
  /** Its name in PostgreSQL (lower case), or null where the table has no such column. */
  pg: string | null;
  type: FieldType;
  nullable: boolean;
}

export interface DatasetTable {
  /** `profiles` or `system_total`: the dataset folder and the PostgreSQL table's role. */
  name: 'profiles' | 'system_total';
  /** The CSV's columns, as their owner lists them. */
  csvColumns: readonly string[];
  fields: readonly DatasetField[];
}

const f = (
  source: string,
  name: string,
  type: FieldType,
  nullable = false,
  pg: string | null = name.toLowerCase(),
) => ({
  source,
  name,
  pg,
  type,
  nullable,
});
const double = (c: string, nullable = false) => f(c, c, 'double', nullable);
const times = {
  'Start Time': [
    f('Start Time', 'start', 'instant', false, 'start_at'),
    f('Start Time', 'start_local', 'label', false, null),
  ],
  'End Time': [f('End Time', 'end', 'instant', false, 'end_at')],
};

const PROFILE_FIELDS: Record<(typeof PROFILE_COLUMNS)[number], DatasetField[]> = {
  ...times,
  meter: [f('meter', 'meter', 'dict')],
  'Record No.': [f('Record No.', 'record_no', 'int64', true)],
  'Event Type': [f('Event Type', 'event_type', 'dict', true)],
  kw_del: [double('kw_del')],
  kw_rec: [double('kw_rec')],
  kva_del: [double('kva_del')],
  kva_rec: [double('kva_rec')],
  MW_del: [double('MW_del')],
  MW_rec: [double('MW_rec')],
  MVA_del: [double('MVA_del')],
  MVA_rec: [double('MVA_rec')],
  MW_net: [double('MW_net')],
  MVA_net: [double('MVA_net')],
  PF_net: [double('PF_net', true)],
};

const TOTAL_FIELDS: Record<(typeof SYSTEM_TOTAL_COLUMNS)[number], DatasetField[]> = {
  ...times,
  MW_total: [double('MW_total')],
  MVA_total: [double('MVA_total')],
  PF_total: [double('PF_total', true)],
  MW_net: [double('MW_net')],
  feeders_reporting: [f('feeders_reporting', 'feeders_reporting', 'int32')],
  feeders_expected: [f('feeders_expected', 'feeders_expected', 'int32')],
};

function table<C extends string>(
  name: DatasetTable['name'],
  columns: readonly C[],
  fields: Record<C, DatasetField[]>,
): DatasetTable {
  return { name, csvColumns: columns, fields: columns.flatMap((c) => fields[c]) };
}

/** lp/<name>.csv → `profiles/name=<name>/year=YYYY/`, `lptool.profile_interval`. */
export const PROFILES_TABLE = table('profiles', PROFILE_COLUMNS, PROFILE_FIELDS);
/** lp/all.csv → `system_total/year=YYYY/`, `lptool.system_total`. */
export const SYSTEM_TOTAL_TABLE = table('system_total', SYSTEM_TOTAL_COLUMNS, TOTAL_FIELDS);

/** Version of the dataset layout and types; a change rewrites every partition. */
export const DATASET_SCHEMA_VERSION = 1;
