import type { ServerResponse } from 'node:http';
import { sendJson } from './http-io.js';

/** What a fake answers under `/_sandbox/`, beside the endpoints every fake has. */
export interface SandboxControl {
  calls: readonly unknown[];
  clearFaults(): void;
  /** Applies the body of `POST /_sandbox/faults`; throws (answered 400) on a plan or route it does not know. */
  setFault(body: unknown): void;
  /** The request's JSON body, read within the fake's size limit. */
  body(): Promise<unknown>;
  /** The fake's own endpoints by "METHOD /path", each giving the status and JSON to answer. */
  endpoints?: Record<string, () => Promise<[status: number, body: unknown]>>;
}

/**
 * Answers one `/_sandbox/` call (route: "METHOD /path"): the recorded calls, clearing or setting a
 * fault plan, or one of the fake's own endpoints. A bad request body is a 400 with the reason, so a
 * test that sets up the fake wrongly says why.
 */
export async function answerSandboxControl(
  res: ServerResponse,
  route: string,
  control: SandboxControl,
): Promise<void> {
  try {
    const own = control.endpoints?.[route];
    if (own) {
      const [status, body] = await own();
      return sendJson(res, status, body);
    }
    if (route === 'GET /_sandbox/calls') return sendJson(res, 200, control.calls);
    if (route === 'DELETE /_sandbox/faults') {
      control.clearFaults();
      return sendJson(res, 204, undefined);
    }
    if (route === 'POST /_sandbox/faults') {
      control.setFault(await control.body());
      return sendJson(res, 204, undefined);
    }
    return sendJson(res, 404, { error: `no sandbox control endpoint ${route}` });
  } catch (error) {
    return sendJson(res, 400, { error: error instanceof Error ? error.message : String(error) });
  }
}
