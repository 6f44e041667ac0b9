export { type FakeLlm, type FakeLlmOptions, type LlmCall, startFakeLlm } from './fake-llm.js';
