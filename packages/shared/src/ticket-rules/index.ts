export * from './decide.js';
export * from './operators.js';
export * from './parse.js';
