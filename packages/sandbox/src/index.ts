export * from './fake-llm/index.js';
export * from './fake-servicedesk/index.js';
export type { FaultPlan } from './fault-plan.js';
export * from './node-process.js';
export * from './private-pgbouncer.js';
export * from './private-redis-cluster.js';
export * from './tcp-proxy.js';
export * from './testing.js';
