export { accountsUrlFor } from './accounts-url.js';
export {
  type CreatedRequestsPage,
  createServiceDeskClient,
  type ListRequestsPage,
  type RequestUpdate,
  type SdpNamedEntity,
  type ServiceDeskAuth,
  type ServiceDeskClient,
  type ServiceDeskClientOptions,
} from './client.js';
export { parseServiceDeskAuth } from './credentials.js';
export {
  authTypeOf,
  isMspEdition,
  isSdpEdition,
  parseSdpEdition,
  SDP_EDITIONS,
  type SdpAuthType,
  type SdpEdition,
} from './edition.js';
export { type ResolvedTicket, resolvedTicketFrom } from './history-ticket.js';
export type { NoteShape, NoteShapeMemory } from './note-shapes.js';
export type { NewNote } from './notes.js';
export {
  accountFrom,
  MAX_ACCOUNT_NAME_CHARS,
  type SdpAccount,
  type SdpNote,
  type SdpRequest,
  type SdpResolution,
  type SdpSolution,
} from './sdp-entities.js';
export { assertSecureServiceDesk, insecureServiceDeskUrls, isHttps } from './secure-url.js';
export { ServiceDeskError, type ServiceDeskErrorKind } from './service-desk-error.js';
export {
  createTenantClients,
  type ServiceDeskConnection,
  type ServiceDeskTenant,
  type TenantClientDeps,
  type TenantClients,
} from './tenant-clients.js';
export {
  boundHtml,
  HTML_INPUT_LIMIT,
  htmlToText,
  ticketBodyText,
  ticketHtmlToText,
  truncate,
} from './ticket-text.js';
export {
  createMemoryTokenStore,
  createRedisNoteShapeMemory,
  createRedisTokenStore,
  type StoredToken,
  TOKEN_REQUEST_WINDOW_MS,
  TOKEN_REQUESTS_PER_WINDOW,
  type TokenCipher,
  type TokenStore,
} from './token-store.js';
