export * from './export-rules.js';
export * from './export-table.js';
export * from './hash.js';
export * from './layout.js';
