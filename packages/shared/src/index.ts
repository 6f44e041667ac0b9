export * from './config.js';
export * from './history-jobs.js';
export * from './jobs.js';
export * from './logger.js';
export * from './secret-box.js';
export * from './signature.js';
