export * from './audit-log.js';
export * from './enhancements.js';
export * from './feedback.js';
export * from './tenants.js';
export * from './ticket-history.js';
