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
