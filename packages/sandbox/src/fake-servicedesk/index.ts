export {
  DEFAULT_TECHNICIAN_KEY,
  type FakeServiceDesk,
  type FakeServiceDeskOptions,
  type SdpCall,
  type SdpFaultRoute,
  startFakeServiceDesk,
} from './fake-servicedesk.js';
export type { SandboxOAuthClient } from './oauth-tokens.js';
export type { NewSolution, StoredSolution } from './solutions.js';
export type {
  NewStoredNote,
  NoteWrapper,
  SdpRequestInput,
  SdpRequestRecord,
  SdpTime,
  StoredNote,
} from './ticket-store.js';
