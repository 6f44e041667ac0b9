import type { SwaggerTransform } from '@fastify/swagger';

/** The body of every error answer (see the app's error handler). */
export const errorBody = {
  type: 'object',
  properties: { error: { type: 'string' }, message: { type: 'string' } },
  required: ['error', 'message'],
} as const;

/** Error answers by status, each with what it means to the caller; all have the error body. */
export function errorResponses<const S extends number>(meanings: Record<S, string>) {
  return Object.fromEntries(
    Object.entries<string>(meanings).map(([status, description]) => [status, { ...errorBody, description }]),
  ) as Record<S, typeof errorBody & { description: string }>;
}

/**
 * Documents a request body that the route takes as raw bytes (a signature covers them) and checks in
 * its handler, after authentication. It must not become `schema.body`: Fastify would validate it
 * before the handler runs, answering 400 where an unauthenticated caller gets 401. So it is handed to
 * @fastify/swagger only, as this route's transform, and reaches the OpenAPI document alone.
 */
export function documentedBody(body: object, consumes: readonly string[]): SwaggerTransform {
  return ({ schema, url }) => ({ schema: { ...schema, body, consumes }, url });
}

/** Security requirements as OpenAPI lists them: any one entry suffices, all schemes of an entry apply. */
export const SIGNED = { webhookSignature: [], webhookTimestamp: [] } as const;
export const TOKEN = { webhookToken: [] } as const;
