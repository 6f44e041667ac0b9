import { ServiceDeskError } from './service-desk-error.js';

// SDP ids are numbers: 18 digits on Cloud (e.g. 123640000000279007), fewer on-premises.
const SDP_ID = /^\d{1,20}$/;

/** The id as a path segment, or a bad_request error naming `operation` when it is not an SDP id. */
export function pathId(operation: string, id: string): string {
  // SDP ids are numbers (sent as digit strings). Anything else never reaches a path: encodeURIComponent
  // leaves "..", which the URL parser resolves, so "../x" would address another endpoint.
  if (!SDP_ID.test(id.trim())) {
    throw new ServiceDeskError(
      `ServiceDesk Plus ${operation} failed: the id is not a ServiceDesk Plus id (digits)`,
      {
        kind: 'bad_request',
      },
    );
  }
  return id.trim();
}

/** The query of one page of a list call. */
export function listInfo(rowCount: number, startIndex: number): Record<string, string> {
  return { input_data: JSON.stringify({ list_info: { row_count: rowCount, start_index: startIndex } }) };
}
