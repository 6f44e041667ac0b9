export * from './audit-log.js';
export * from './enhancements.js';
export * from './feedback.js';
export * from './history-import-cursors.js';
export * from './system-inventory.js';
export * from './tenants.js';
export * from './ticket-history.js';
export * from './ticket-terms.js';
