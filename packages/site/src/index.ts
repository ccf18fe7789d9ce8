export {
  DEFAULT_THRESHOLDS,
  type DoctorThresholds,
  diagnose,
  type Finding,
  type ProfileFact,
  type RunFact,
  type SiteFacts,
} from './diagnose.js';
export { type DoctorOptions, type DoctorSummary, doctor, formatDoctorSummary } from './doctor.js';
export { type GatherOptions, gatherFacts, profileRange } from './facts.js';
export {
  askUntilValid,
  checkSetting,
  formatInitSummary,
  type InitOptions,
  type InitSettings,
  type InitSummary,
  init,
  METER_DATA_HEADER,
  type Prompter,
} from './init.js';
export { terminalPrompter } from './prompt.js';
export { LOGGED_COMMANDS, lastRuns } from './runs.js';
