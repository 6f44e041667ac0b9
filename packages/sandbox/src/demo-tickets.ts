import type { HistoryTicket } from '@ai-agents/db';

/** Resolved tickets of the demo client: what "similar past tickets" are found among. */
export const DEMO_HISTORY: HistoryTicket[] = [
  {
    externalId: '4711',
    subject: 'Outlook prompts for password repeatedly after mailbox migration',
    description:
      'After the move to Exchange Online, Outlook keeps showing the credential prompt; webmail works.',
    resolution:
      'Removed stale credentials from Windows Credential Manager and recreated the Outlook profile.',
    category: 'Email',
    technician: 'Dana',
  },
  {
    externalId: '4698',
    subject: 'Password prompt loop in Outlook 365',
    description: 'Outlook asks for the password every few minutes, even after entering the correct one.',
    resolution:
      'Modern authentication was disabled by a legacy registry key (EnableADAL=0); removed it and restarted Outlook.',
    category: 'Email',
    technician: 'Sam',
  },
  {
    externalId: '4655',
    subject: 'Shared mailbox not showing after migration',
    description: 'The finance shared mailbox disappeared from Outlook after the migration weekend.',
    resolution:
      'Re-added full access permission with automapping; the mailbox appeared after an Outlook restart.',
    category: 'Email',
    technician: 'Dana',
  },
  {
    externalId: '4602',
    subject: 'VPN disconnects every 10 minutes',
    description: 'Remote user loses the VPN tunnel repeatedly on home Wi-Fi.',
    resolution: 'Updated the VPN client and disabled Wi-Fi power saving on the laptop.',
    category: 'Network',
    technician: 'Alex',
  },
  {
    externalId: '4580',
    subject: 'Printer on 2nd floor shows paper jam',
    description: 'HP printer reports a jam though no paper is stuck.',
    resolution: 'Cleaned the paper sensor and replaced the pickup roller.',
    category: 'Hardware',
    technician: 'Alex',
  },
  {
    externalId: '4551',
    subject: 'New starter needs accounts',
    description: 'Please create AD, email and CRM accounts for the new sales assistant starting Monday.',
    resolution: 'Accounts created from the onboarding template; credentials handed to the manager.',
    category: 'Access',
    technician: 'Sam',
  },
];

export const DEMO_TICKET = {
  subject: 'Outlook keeps asking for password after the mailbox moved',
  description:
    '<p>Hi, since IT moved my mailbox on Friday, Outlook keeps popping up a password window every few minutes.</p>' +
    '<p>I type my password and it comes back. Webmail works fine. Laptop: LAPTOP-0231.</p>',
  requester: { name: 'Jordan Lee', email_id: 'jordan.lee@contoso.example' },
};
