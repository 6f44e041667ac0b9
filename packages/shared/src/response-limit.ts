/**
 * The largest answer read from ServiceDesk Plus, its accounts server or the LLM. A request with its
 * description, a list page of 100 requests or a chat completion is a few hundred kilobytes at most;
 * anything past this is a misconfigured URL, a proxy error page gone wrong or a hostile server, and
 * reading it would hold the worker's memory and event loop for every tenant.
 */
export const MAX_RESPONSE_BYTES = 4 * 1024 * 1024;

/** An answer above the size limit, refused before (or while) its body was read. */
export class ResponseTooLargeError extends Error {
  override readonly name = 'ResponseTooLargeError';
  readonly limitBytes: number;

  constructor(limitBytes: number) {
    super(`answer larger than ${formatBytes(limitBytes)} refused`);
    this.limitBytes = limitBytes;
  }
}

function formatBytes(bytes: number): string {
  return bytes % (1024 * 1024) === 0 ? `${bytes / (1024 * 1024)} MB` : `${bytes} bytes`;
}

/** True when a Content-Length header already says the body is too large. */
export function declaredTooLarge(contentLength: string | null | undefined, maxBytes: number): boolean {
  if (!contentLength) return false;
  const length = Number(contentLength);
  return Number.isFinite(length) && length > maxBytes;
}

/**
 * Collects a body of byte chunks, refusing it as soon as it passes `maxBytes` (the source is
 * destroyed, so the rest is never downloaded). A lying or missing Content-Length does not help.
 */
export async function collectLimited(
  chunks: AsyncIterable<Uint8Array>,
  maxBytes: number,
  onRefuse?: () => void,
): Promise<Uint8Array<ArrayBuffer>> {
  const parts: Uint8Array[] = [];
  let total = 0;
  for await (const chunk of chunks) {
    total += chunk.byteLength;
    if (total > maxBytes) {
      onRefuse?.();
      throw new ResponseTooLargeError(maxBytes);
    }
    parts.push(chunk);
  }
  const out = new Uint8Array(total);
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.byteLength;
  }
  return out;
}

/** `response.text()` with the size limit: refused by its Content-Length, or while streaming. */
export async function readLimitedText(response: Response, maxBytes = MAX_RESPONSE_BYTES): Promise<string> {
  if (declaredTooLarge(response.headers.get('content-length'), maxBytes)) {
    await response.body?.cancel().catch(() => {});
    throw new ResponseTooLargeError(maxBytes);
  }
  if (!response.body) return '';
  const reader = response.body.getReader();
  const chunks: AsyncIterable<Uint8Array> = {
    async *[Symbol.asyncIterator]() {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) return;
        yield value;
      }
    },
  };
  const bytes = await collectLimited(chunks, maxBytes, () => void reader.cancel().catch(() => {}));
  return new TextDecoder().decode(bytes);
}
