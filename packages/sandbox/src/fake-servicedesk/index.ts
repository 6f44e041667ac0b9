export { ALL_WORKER_SCOPES, type Edition, type PortalEdition, SDP_V3_ACCEPT } from './editions.js';
export {
  DEFAULT_CATEGORIES,
  DEFAULT_PRIORITIES,
  DEFAULT_TECHNICIAN_KEY,
  type FakeServiceDesk,
  type FakeServiceDeskOptions,
  type SdpCall,
  type SdpFaultRoute,
  startFakeServiceDesk,
} from './fake-servicedesk.js';
export type {
  AccountCredential,
  MspAccount,
  MspAccountInput,
  MspOptions,
} from './msp.js';
export type { SandboxOAuthClient } from './oauth-tokens.js';
export {
  ZOHO_LIVE_TOKENS,
  ZOHO_THROTTLED,
  ZOHO_THROTTLED_LOCALISED,
  ZOHO_TOKEN_WINDOW_MS,
  ZOHO_TOKENS_PER_WINDOW,
} from './oauth-tokens.js';
export { type SdpQuirk, STRICT_QUIRKS } from './quirks.js';
export type { RefusalShapes } from './refusal-shapes.js';
export type { NewSolution, StoredSolution } from './solutions.js';
export type {
  NewStoredNote,
  NoteWrapper,
  SdpRequestInput,
  SdpRequestRecord,
  SdpTime,
  StoredNote,
} from './ticket-store.js';
