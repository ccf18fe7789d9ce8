export { buildProgram, main } from './cli.js';
export { optionsOf } from './commands.js';
export type { CommandResult, Io } from './output.js';
