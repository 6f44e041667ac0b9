import { isRecord } from '../json-value.js';
import type { SearchCriterion } from './list-info.js';

export interface NewSolution {
  id?: string;
  title: string;
  description?: string;
  topic?: string;
}

export interface StoredSolution {
  id: string;
  title: string;
  description: string;
  topic: { name: string } | null;
}

/** A dotted field of a record (`status.name`), as search_criteria names it. */
export function fieldOf(record: unknown, field: string): unknown {
  let value: unknown = record;
  for (const part of field.split('.')) value = isRecord(value) ? value[part] : undefined;
  // SDP times are { value: "<epoch ms>" }; criteria compare the value.
  return isRecord(value) && 'value' in value ? value.value : value;
}

function holds(record: unknown, c: SearchCriterion): boolean {
  const actual = fieldOf(record, c.field);
  const expected = c.values ?? [c.value];
  switch (c.condition) {
    case 'is':
      return expected.some((e) => String(actual).toLowerCase() === String(e).toLowerCase());
    case 'contains':
      return expected.some((e) =>
        String(actual ?? '')
          .toLowerCase()
          .includes(String(e).toLowerCase()),
      );
    case 'greater than':
      return actual !== undefined && Number(actual) > Number(expected[0]);
    default:
      return false;
  }
}

/**
 * SDP's search_criteria, evaluated left to right: each criterion after the first joins the result
 * so far with its logical_operator (AND unless it says OR). Unknown conditions match nothing.
 */
export function matchesCriteria(record: unknown, criteria: SearchCriterion[]): boolean {
  let result = true;
  criteria.forEach((c, i) => {
    const value = holds(record, c);
    if (i === 0) result = value;
    else if ((c.logical_operator ?? 'AND').toUpperCase() === 'OR') result = result || value;
    else result = result && value;
  });
  return result;
}
