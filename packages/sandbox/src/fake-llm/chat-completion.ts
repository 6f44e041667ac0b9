import { isRecord, type JsonRecord } from '../json-value.js';
import { factsFrom, type PromptFacts } from './prompt-facts.js';
import { answerForSchema } from './schema-answer.js';

/** The text of a message's content, which OpenAI allows as a string or as an array of parts. */
function contentText(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return content
    .filter(isRecord)
    .map((part) => (typeof part.text === 'string' ? part.text : ''))
    .join('\n');
}

/** All message contents joined: the fake model reads the whole conversation as one prompt. */
export function promptOf(messages: unknown): string {
  if (!Array.isArray(messages)) return '';
  return messages.map((message) => (isRecord(message) ? contentText(message.content) : '')).join('\n');
}

function plainAnswer(facts: PromptFacts): string {
  return `Sandbox summary: "${facts.subject}". Read ${facts.lines} lines of context; no model was called.`;
}

/** The assistant's content for a chat request, deterministic in the prompt and the response_format. */
export function answerContent(request: JsonRecord, prompt: string): string {
  const facts = factsFrom(prompt);
  const format = isRecord(request.response_format) ? request.response_format : undefined;
  if (format?.type === 'json_schema' && isRecord(format.json_schema)) {
    return JSON.stringify(answerForSchema(format.json_schema.schema, facts));
  }
  if (format?.type === 'json_object') return JSON.stringify({ summary: plainAnswer(facts) });
  return plainAnswer(facts);
}

/** What a model does when it ignores the format: prose around a truncated object. */
export function invalidContent(prompt: string): string {
  return `Sure! Here is the note for "${factsFrom(prompt).subject}": {"summary": "The requester`;
}

// OpenAI's tokenizer averages about four characters of English per token.
const tokens = (chars: number) => Math.ceil(chars / 4);

export function completionBody(model: string, prompt: string, content: string, sequence: number) {
  const promptTokens = tokens(prompt.length);
  const completionTokens = tokens(content.length);
  return {
    id: `chatcmpl-sandbox-${sequence}`,
    object: 'chat.completion',
    created: Math.floor(Date.now() / 1000),
    model,
    choices: [
      {
        index: 0,
        message: { role: 'assistant', content, refusal: null },
        logprobs: null,
        finish_reason: 'stop',
      },
    ],
    usage: {
      prompt_tokens: promptTokens,
      completion_tokens: completionTokens,
      total_tokens: promptTokens + completionTokens,
    },
    system_fingerprint: 'fp_sandbox',
  };
}
