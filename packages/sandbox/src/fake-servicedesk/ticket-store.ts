import { isRecord } from '../json-value.js';

/** SDP's time shape: epoch milliseconds as a string, plus how the portal would show it. */
export interface SdpTime {
  value: string;
  display_value: string;
}

export interface SdpRequestInput {
  id?: string;
  subject: string;
  description?: string;
  requester?: { name?: string; email_id?: string } | null;
  category?: { name: string } | null;
  subcategory?: { name: string } | null;
  priority?: { name: string } | null;
  status?: { name: string } | null;
  [key: string]: unknown;
}

export interface SdpRequestRecord {
  id: string;
  subject: string;
  description: string;
  requester: { name?: string; email_id?: string } | null;
  status: { name: string };
  created_time: SdpTime;
  [key: string]: unknown;
}

export type NoteWrapper = 'request_note' | 'note';

export interface StoredNote {
  id: string;
  requestId: string;
  description: string;
  show_to_requester: boolean;
  created_time: SdpTime;
  /** The input_data wrapper the note arrived in (which one depends on the edition and build). */
  wrapper: NoteWrapper;
}

export interface NewStoredNote {
  description: string;
  show_to_requester?: boolean;
  wrapper?: NoteWrapper;
}

const displayFormat = new Intl.DateTimeFormat('en-US', {
  dateStyle: 'medium',
  timeStyle: 'short',
  timeZone: 'UTC',
});

export function sdpTime(ms: number): SdpTime {
  return { value: String(ms), display_value: displayFormat.format(ms) };
}

// SDP ids are long numbers; starting at six digits makes them look like a real portal's. Long ids are
// Cloud-sized (18 digits, as 123640000000279007 in public SOAR integrations' docs), above 2^53: BigInt.
const FIRST_IDS = {
  short: { request: 100001n, note: 500001n },
  long: { request: 123640000000279007n, note: 123640000000281001n },
};

/** The fake portal's tickets and notes, in memory, in creation order. */
export function createTicketStore(options: { longIds?: boolean } = {}) {
  const requests = new Map<string, SdpRequestRecord>();
  const notesByRequest = new Map<string, StoredNote[]>();
  const allNotes: StoredNote[] = [];
  const first = FIRST_IDS[options.longIds ? 'long' : 'short'];
  let nextRequestId = first.request;
  let nextNoteId = first.note;

  function newRequestId(): string {
    while (requests.has(String(nextRequestId))) nextRequestId++;
    return String(nextRequestId++);
  }

  return {
    /** Throws on input the real SDP would refuse (no subject) or on a duplicate id. */
    addRequest(given: SdpRequestInput): SdpRequestRecord {
      const input = structuredClone(given);
      if (!isRecord(input) || typeof input.subject !== 'string' || input.subject.trim() === '') {
        throw new Error('a request needs a non-empty "subject"');
      }
      const givenId = typeof input.id === 'number' ? String(input.id) : input.id;
      if (givenId !== undefined && (typeof givenId !== 'string' || givenId.trim() === '')) {
        throw new Error('"id" must be a non-empty string');
      }
      if (givenId !== undefined && requests.has(givenId))
        throw new Error(`request ${givenId} already exists`);
      const record: SdpRequestRecord = {
        ...input,
        id: givenId ?? newRequestId(),
        subject: input.subject,
        description: input.description ?? '',
        requester: input.requester ?? null,
        status: input.status ?? { name: 'Open' },
        created_time: isRecord(input.created_time)
          ? (input.created_time as unknown as SdpTime)
          : sdpTime(Date.now()),
      };
      requests.set(record.id, record);
      return structuredClone(record);
    },

    getRequest(id: string): SdpRequestRecord | undefined {
      return requests.get(id);
    },

    listRequests(): SdpRequestRecord[] {
      return [...requests.values()];
    },

    /** Throws for an unknown request, like SDP refusing a note on a ticket that does not exist. */
    addNote(requestId: string, note: NewStoredNote): StoredNote {
      if (!requests.has(requestId)) throw new Error(`request ${requestId} does not exist`);
      const stored: StoredNote = {
        id: String(nextNoteId++),
        requestId,
        description: note.description,
        show_to_requester: note.show_to_requester === true,
        created_time: sdpTime(Date.now()),
        wrapper: note.wrapper ?? 'request_note',
      };
      const list = notesByRequest.get(requestId) ?? [];
      list.push(stored);
      notesByRequest.set(requestId, list);
      allNotes.push(stored);
      return stored;
    },

    notesOf(requestId: string): readonly StoredNote[] {
      return notesByRequest.get(requestId) ?? [];
    },

    allNotes(): readonly StoredNote[] {
      return allNotes;
    },
  };
}

export type TicketStore = ReturnType<typeof createTicketStore>;
