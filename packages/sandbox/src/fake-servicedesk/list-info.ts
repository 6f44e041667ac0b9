import { isRecord, parseJson } from '../json-value.js';

export interface Page<T> {
  rows: T[];
  list_info: { has_more_rows: boolean; row_count: number; start_index: number };
}

// SDP's own default page size and its maximum row_count.
const DEFAULT_ROW_COUNT = 10;
const MAX_ROW_COUNT = 100;

/**
 * The page a list call asks for, from `input_data={"list_info":{"row_count":N,"start_index":S}}` in the
 * query string. Returns an error message for input_data that is not JSON.
 */
export function requestedPage(query: URLSearchParams): { rowCount: number; startIndex: number } | string {
  const raw = query.get('input_data');
  if (raw === null) return { rowCount: DEFAULT_ROW_COUNT, startIndex: 1 };
  const input = parseJson(raw);
  if (!isRecord(input)) return 'input_data is not a JSON object';
  const info = isRecord(input.list_info) ? input.list_info : {};
  const rowCount = Number.isInteger(info.row_count) ? (info.row_count as number) : DEFAULT_ROW_COUNT;
  const startIndex = Number.isInteger(info.start_index) ? (info.start_index as number) : 1;
  return { rowCount: Math.min(Math.max(rowCount, 1), MAX_ROW_COUNT), startIndex: Math.max(startIndex, 1) };
}

/** `list_info` of a list call's input_data, or {} when there is none (or it is not an object). */
export function listInfoOf(query: URLSearchParams): Record<string, unknown> {
  const input = parseJson(query.get('input_data') ?? '{}');
  return isRecord(input) && isRecord(input.list_info) ? input.list_info : {};
}

export function pageOf<T>(items: readonly T[], page: { rowCount: number; startIndex: number }): Page<T> {
  const rows = items.slice(page.startIndex - 1, page.startIndex - 1 + page.rowCount);
  return {
    rows,
    list_info: {
      has_more_rows: page.startIndex - 1 + rows.length < items.length,
      row_count: rows.length,
      start_index: page.startIndex,
    },
  };
}

export interface SearchCriterion {
  field: string;
  condition: string;
  value?: unknown;
  values?: unknown[];
  logical_operator?: string;
}

/** `list_info.search_criteria` (one object or an array), or [] when there is none. */
export function searchCriteria(query: URLSearchParams): SearchCriterion[] {
  const input = parseJson(query.get('input_data') ?? '{}');
  const info = isRecord(input) && isRecord(input.list_info) ? input.list_info : {};
  const raw = info.search_criteria;
  const list = Array.isArray(raw) ? raw : raw === undefined ? [] : [raw];
  return list.filter(
    (c): c is SearchCriterion =>
      isRecord(c) && typeof c.field === 'string' && typeof c.condition === 'string',
  );
}

/** `list_info.filter_by.name`: the list view a list call asks for, or undefined for the default view. */
export function listFilter(query: URLSearchParams): string | undefined {
  const input = parseJson(query.get('input_data') ?? '{}');
  const info = isRecord(input) && isRecord(input.list_info) ? input.list_info : {};
  const filter = info.filter_by;
  return isRecord(filter) && typeof filter.name === 'string' ? filter.name : undefined;
}

export interface ListOrder {
  field: string;
  order: 'asc' | 'desc';
}

/**
 * `list_info.sort_field` / `sort_order`: undefined when the call asks for no order (the portal's
 * own), an error message for an order SDP does not take. The input-data page of both editions
 * (sdpop-v3-api and sdpod-v3-api, getting-started/input-data.html) gives sort_order as "asc/desc"
 * and row_count as at most 100; a call outside that is refused as an invalid value (4001), not
 * silently read some other way.
 */
export function requestedOrder(
  query: URLSearchParams,
): ListOrder | undefined | { error: string; field: string } {
  const input = parseJson(query.get('input_data') ?? '{}');
  const info = isRecord(input) && isRecord(input.list_info) ? input.list_info : {};
  if (
    info.row_count !== undefined &&
    !(Number.isInteger(info.row_count) && (info.row_count as number) <= MAX_ROW_COUNT)
  )
    return { error: `Invalid value for row_count (at most ${MAX_ROW_COUNT})`, field: 'row_count' };
  const { sort_field: field, sort_order: order } = info;
  if (order !== undefined && order !== 'asc' && order !== 'desc')
    return { error: 'Invalid value for sort_order', field: 'sort_order' };
  if (field === undefined) return undefined;
  if (typeof field !== 'string' || field.trim() === '')
    return { error: 'Invalid value for sort_field', field: 'sort_field' };
  return { field, order: order ?? 'asc' };
}

/** A search criterion SDP cannot evaluate (no field or condition), as a refusal message, or undefined. */
export function malformedCriterion(query: URLSearchParams): string | undefined {
  const input = parseJson(query.get('input_data') ?? '{}');
  const info = isRecord(input) && isRecord(input.list_info) ? input.list_info : {};
  const raw = info.search_criteria;
  if (raw === undefined) return undefined;
  const list = Array.isArray(raw) ? raw : [raw];
  for (const c of list) {
    if (!isRecord(c) || typeof c.field !== 'string' || typeof c.condition !== 'string')
      return 'Invalid value for search_criteria';
    // Times are compared as epoch milliseconds: a date string is not a time SDP can compare.
    if (c.condition === 'greater than' && c.field.endsWith('_time') && !/^\d+$/.test(String(c.value)))
      return `Invalid value for ${c.field}`;
  }
  return undefined;
}

/** `items` in the order asked for, by the dotted field's value (times by their epoch ms). */
export function sortedBy<T>(
  items: readonly T[],
  order: ListOrder | undefined,
  fieldValue: (item: T, field: string) => unknown,
): T[] {
  if (!order) return [...items];
  const sign = order.order === 'desc' ? -1 : 1;
  const key = (item: T) => {
    const v = fieldValue(item, order.field);
    return typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : v;
  };
  return [...items].sort((a, b) => {
    const x = key(a);
    const y = key(b);
    if (typeof x === 'number' && typeof y === 'number') return sign * (x - y);
    return sign * String(x ?? '').localeCompare(String(y ?? ''));
  });
}
