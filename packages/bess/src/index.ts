export { type BessOptions, type BessSummary, bess, type EnclosureTotal, formatBessSummary } from './bess.js';
export { type BessConfig, BessConfigSchema, loadBessConfig } from './config.js';
export { assignEnclosures, type InputAssignment } from './groups.js';
export { readTelemetry, type Telemetry } from './read.js';
