export * from './app.js';
export * from './errors.js';
export * from './start.js';
export * from './webhook/tenant-auth.js';
