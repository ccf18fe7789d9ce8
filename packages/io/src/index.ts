export * from './atomic.js';
export * from './column-cache.js';
export * from './csv.js';
export * from './lock.js';
export * from './log.js';
export * from './raw-export.js';
export * from './settings.js';
export * from './site.js';
