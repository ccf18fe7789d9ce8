export { buildProgram, main } from './cli.js';
export type { CommandResult, Io } from './output.js';
