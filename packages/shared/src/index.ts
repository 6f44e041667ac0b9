export * from './config.js';
export * from './jobs.js';
export * from './logger.js';
export * from './redis-policy.js';
export * from './secret-box.js';
export * from './signature.js';
export * from './telemetry.js';
export * from './webhook-token.js';
