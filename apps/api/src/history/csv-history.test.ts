import { describe, expect, it } from 'vitest';
import { csvRowToTicket, splitText } from './csv-history.js';

describe('CSV rows as history tickets', () => {
  it('splits a text into subject (first line, or first words) and description without repeating words', () => {
    expect(splitText('VPN drops\nsince the update it drops hourly')).toEqual({
      subject: 'VPN drops',
      description: 'since the update it drops hourly',
    });
    const long = `${'word '.repeat(40)}end`;
    const { subject, description } = splitText(long);
    expect(subject.length).toBeLessThanOrEqual(120);
    expect(`${subject} ${description}`).toBe(long);
    expect(splitText('short one')).toEqual({ subject: 'short one', description: '' });
  });

  it('uses subject/description columns when present and skips rows without an id or text', () => {
    expect(
      csvRowToTicket({
        id: ' 7 ',
        subject: 'Printer jam',
        description: 'Floor 2',
        category: 'Hardware',
        resolved_at: '2025-02-01',
      }),
    ).toEqual({
      externalId: '7',
      subject: 'Printer jam',
      description: 'Floor 2',
      resolution: '',
      category: 'Hardware',
      technician: null,
      resolvedAt: new Date('2025-02-01'),
    });
    expect(csvRowToTicket({ id: '8', text: 'reset my password', resolved_at: 'not a date' })).toMatchObject({
      subject: 'reset my password',
      description: '',
      resolvedAt: null,
    });
    expect(csvRowToTicket({ id: '', text: 'x' })).toBeNull();
    expect(csvRowToTicket({ id: '9', text: '  ' })).toBeNull();
  });

  it('stores description and resolution without e-mail boilerplate, unless told not to strip', () => {
    const record = {
      id: '10',
      subject: 'VPN drops',
      description:
        'The VPN drops every hour.\n\nMit freundlichen Grüßen\nAnna Berg\n\nVon meinem iPhone gesendet',
      resolution: 'Updated the VPN client to 7.4.\n\nBest regards,\nService Desk',
    };
    expect(csvRowToTicket(record)).toMatchObject({
      description: 'The VPN drops every hour.',
      resolution: 'Updated the VPN client to 7.4.',
    });
    expect(csvRowToTicket(record, false)).toMatchObject({ description: record.description });
  });
});
