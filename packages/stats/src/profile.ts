// The profile reader lives in @lptool/io (merge and gaps use it too).
export { POWER_COLUMNS, type PowerColumn, type Profile, readProfile } from '@lptool/io';
