export * from './config.js';
export * from './feedback-token.js';
export * from './jobs.js';
export * from './llm-prices.js';
export * from './logger.js';
export * from './secret-box.js';
export * from './signature.js';
