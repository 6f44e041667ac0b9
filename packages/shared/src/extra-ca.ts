import { X509Certificate } from 'node:crypto';
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import tls from 'node:tls';

/**
 * EXTRA_CA_FILE: a PEM bundle of certificate authorities the processes trust in addition to the
 * system's (Node's bundled Mozilla roots and any NODE_EXTRA_CA_CERTS), for an on-premises
 * ServiceDesk Plus, an LLM gateway or a database behind a private CA.
 *
 * Why not NODE_EXTRA_CA_CERTS alone: it works (measured on Node 24 with undici's Agent, which the
 * worker's createHttpFetch uses, and with the global fetch the admin CLI and the Zoho token calls
 * use), but Node only prints a warning when its file is missing or unreadable and starts anyway; the
 * first sign of a wrong mount is then every note failing with UNABLE_TO_VERIFY_LEAF_SIGNATURE. This
 * variable is checked with the rest of the configuration, and a process with a bad one does not start.
 */

/** The largest bundle read: Mozilla's whole root store is about 220 KB as PEM. */
export const MAX_CA_FILE_BYTES = 1024 * 1024;

const BEGIN = '-----BEGIN CERTIFICATE-----';
const END = '-----END CERTIFICATE-----';

/** Why EXTRA_CA_FILE cannot be used; the message names the path and the fault, never the content. */
export class CaBundleError extends Error {
  override name = 'CaBundleError';
}

/**
 * Reads and checks a PEM bundle: readable, at most MAX_CA_FILE_BYTES, at least one certificate,
 * each one a valid X.509 certificate, and no private key (the CA's key never belongs on this host).
 * Returns the certificates as PEM strings. One pass over the lines: linear in the file's size.
 */
export function readCaBundle(path: string): string[] {
  const text = readBounded(path);
  if (/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(text))
    throw new CaBundleError(`${path} holds a private key: mount only the authority's certificate`);
  const certificates: string[] = [];
  let current: string[] | null = null;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === BEGIN) {
      if (current) throw new CaBundleError(`${path}: certificate ${certificates.length + 1} has no END line`);
      current = [line];
    } else if (line === END) {
      if (!current) throw new CaBundleError(`${path}: an END line without its BEGIN line`);
      current.push(line);
      certificates.push(checkedCertificate(path, current.join('\n'), certificates.length + 1));
      current = null;
    } else if (current) {
      current.push(line);
    }
  }
  if (current) throw new CaBundleError(`${path}: certificate ${certificates.length + 1} has no END line`);
  if (certificates.length === 0)
    throw new CaBundleError(`${path} holds no PEM certificate (${BEGIN} … ${END})`);
  return certificates;
}

function readBounded(path: string): string {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (error) {
    throw new CaBundleError(`${path} cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  try {
    const stat = fstatSync(fd);
    if (!stat.isFile()) throw new CaBundleError(`${path} is not a file`);
    if (stat.size > MAX_CA_FILE_BYTES)
      throw new CaBundleError(`${path} is larger than ${MAX_CA_FILE_BYTES} bytes: not a CA bundle`);
    const buffer = Buffer.alloc(stat.size);
    let read = 0;
    while (read < buffer.length) {
      const n = readSync(fd, buffer, read, buffer.length - read, read);
      if (n === 0) break;
      read += n;
    }
    return buffer.subarray(0, read).toString('utf8');
  } finally {
    closeSync(fd);
  }
}

function checkedCertificate(path: string, pem: string, position: number): string {
  try {
    new X509Certificate(pem);
  } catch {
    throw new CaBundleError(`${path}: certificate ${position} is not a valid X.509 certificate`);
  }
  return `${pem}\n`;
}

/**
 * Adds the certificates to the roots every TLS client of this process trusts (fetch, undici's
 * Agent, https, pg, ioredis), keeping the ones it trusts already. Call it once at start-up, before
 * the first connection: tls.setDefaultCACertificates (Node 24.5+) applies to connections made after it.
 */
export function trustExtraCertificateAuthorities(certificates: readonly string[]): void {
  if (certificates.length === 0) return;
  tls.setDefaultCACertificates([...tls.getCACertificates('default'), ...certificates]);
}
