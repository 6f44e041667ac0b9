import type { IncomingMessage, ServerResponse } from 'node:http';

export class BodyTooLargeError extends Error {
  constructor(limitBytes: number) {
    super(`request body exceeds ${limitBytes} bytes`);
  }
}

export async function readBody(req: IncomingMessage, limitBytes: number): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buffer = chunk as Buffer;
    size += buffer.length;
    if (size > limitBytes) throw new BodyTooLargeError(limitBytes);
    chunks.push(buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function send(
  res: ServerResponse,
  status: number,
  type: string,
  text: string,
  headers: Record<string, string>,
) {
  // The client may have given up (timeout fault) or the server may be closing; there is no one to answer.
  if (res.destroyed || res.writableEnded) return;
  res.writeHead(status, { 'Content-Type': type, 'Content-Length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
) {
  if (status === 204) {
    send(res, status, 'application/json', '', headers);
    return;
  }
  send(res, status, 'application/json;charset=UTF-8', JSON.stringify(body), headers);
}

export function sendText(res: ServerResponse, status: number, type: string, text: string) {
  send(res, status, type, text, {});
}
