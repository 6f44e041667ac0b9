// pg/lib/utils has no published types; this is the one function with-tenant.ts uses.
declare module 'pg/lib/utils' {
  /** A query parameter as node-postgres sends it: text, a Buffer for binary, or null. */
  export function prepareValue(value: unknown): string | Buffer | null;
}
