// Enough history for any test or bench report, bounded so a long demo or bench cannot grow it forever.
const MAX_CALLS = 10_000;

/** Appends to a plain array (what tests read) and drops the oldest entries past 10,000. */
export function appendCall<T>(calls: T[], call: T): void {
  calls.push(call);
  if (calls.length > MAX_CALLS) calls.shift();
}
