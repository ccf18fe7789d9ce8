export { type Allocation, EnclosureAllocation, lowCoverageWarning } from './allocation.js';
export {
  type BessOptions,
  type BessSummary,
  bess,
  bessUpToDate,
  type EnclosureTotal,
  formatBessSummary,
} from './bess.js';
export { assignEnclosures, type InputAssignment } from './groups.js';
export { readTelemetry, type Telemetry } from './read.js';
