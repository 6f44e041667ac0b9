export * from './backoff.js';
export * from './pipeline/generate-note.js';
export * from './pipeline/render-note.js';
export * from './pipeline/tenant-client.js';
export * from './pipeline/ticket-text.js';
export * from './processors/enhance-ticket.js';
export * from './start.js';
