export type { FakeAzureOptions } from './azure.js';
export { EMBEDDING_MODELS, fakeEmbedding } from './embeddings.js';
export {
  type EmbeddingCall,
  type FakeLlm,
  type FakeLlmOptions,
  type LlmCall,
  type LlmRoute,
  startFakeLlm,
} from './fake-llm.js';
