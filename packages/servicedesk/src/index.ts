export { accountsUrlFor } from './accounts-url.js';
export {
  createServiceDeskClient,
  type NewNote,
  type ServiceDeskAuth,
  type ServiceDeskClient,
  type ServiceDeskClientOptions,
} from './client.js';
export { parseServiceDeskAuth } from './credentials.js';
export type { SdpNote, SdpRequest } from './sdp-entities.js';
export { ServiceDeskError, type ServiceDeskErrorKind } from './service-desk-error.js';
