import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTestTls } from '@ai-agents/sandbox';
import { ConfigError, loadConfig, MAX_CA_FILE_BYTES, readCaBundle } from '@ai-agents/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// EXTRA_CA_FILE as the configuration reads it; test/deploy/extra-ca.test.ts runs the processes with it.

let dir = '';
let ca = '';
let caKey = '';
let removeTls = async () => {};

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'extra-ca-'));
  // A private CA as an operator's PKI makes one (openssl, as the other TLS tests).
  const made = await createTestTls();
  if (!made) throw new Error('openssl is needed for the EXTRA_CA_FILE tests (apt-get install openssl)');
  removeTls = made.remove;
  ca = made.ca;
  caKey = readFileSync(join(made.dir, 'ca.key'), 'utf8');
});

afterAll(async () => {
  rmSync(dir, { recursive: true, force: true });
  await removeTls();
});

function file(name: string, content: string | Buffer): string {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
}

const env = {
  DATABASE_URL: 'postgres://app:pw@db:5432/ai',
  REDIS_URL: 'redis://redis:6379',
  ENCRYPTION_KEY: Buffer.alloc(32, 7).toString('base64'),
  OPENAI_API_KEY: 'sk-test',
};

function problems(extra: Record<string, string>): string[] {
  try {
    loadConfig({ ...env, ...extra }, 'worker');
    return [];
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
}

describe('EXTRA_CA_FILE', () => {
  it('trusts nothing extra when unset or empty', () => {
    expect(loadConfig(env, 'worker').extraCaCertificates).toEqual([]);
    expect(loadConfig({ ...env, EXTRA_CA_FILE: '' }, 'admin').extraCaCertificates).toEqual([]);
  });

  it('reads every certificate of a bundle, with CRLF line ends and comments between them', () => {
    const bundle = `# Contoso root\r\n${ca.replaceAll('\n', '\r\n')}\r\nsubject=second copy\r\n${ca}`;
    const config = loadConfig({ ...env, EXTRA_CA_FILE: file('bundle.pem', bundle) }, 'worker');
    expect(config.extraCaCertificates).toHaveLength(2);
    expect(config.extraCaCertificates[0]).toMatch(
      /^-----BEGIN CERTIFICATE-----\n[\s\S]+-----END CERTIFICATE-----\n$/,
    );
  });

  it('stops every component with the path and the fault when the file is missing', () => {
    const missing = join(dir, 'not-mounted.pem');
    for (const component of ['api', 'worker', 'admin', 'migrate'] as const) {
      expect(() => loadConfig({ ...env, EXTRA_CA_FILE: missing }, component)).toThrow(
        `EXTRA_CA_FILE: ${missing} cannot be read (ENOENT)`,
      );
    }
  });

  it('refuses a file that is not a PEM certificate, a broken one, or one holding a private key', () => {
    expect(problems({ EXTRA_CA_FILE: file('der.crt', Buffer.from([0x30, 0x82, 0x01])) })).toEqual([
      expect.stringMatching(/^EXTRA_CA_FILE: .*der\.crt holds no PEM certificate/),
    ]);
    const broken = ca.replace(/\n[A-Za-z0-9+/]{10}/, '\n!!!!!!!!!!');
    expect(problems({ EXTRA_CA_FILE: file('broken.pem', broken) })).toEqual([
      expect.stringMatching(/broken\.pem: certificate 1 is not a valid X\.509 certificate$/),
    ]);
    const cut = ca.slice(0, ca.indexOf('-----END'));
    expect(problems({ EXTRA_CA_FILE: file('cut.pem', `${ca}${cut}`) })).toEqual([
      expect.stringMatching(/cut\.pem: certificate 2 has no END line$/),
    ]);
    const withKey = problems({ EXTRA_CA_FILE: file('with-key.pem', `${ca}${caKey}`) });
    expect(withKey).toEqual([expect.stringMatching(/with-key\.pem holds a private key/)]);
    // The message never carries the file's content.
    expect(withKey.join()).not.toContain(caKey.split('\n')[1]);
  });

  it('refuses a directory and a file larger than any CA bundle, without reading it whole', () => {
    expect(() => readCaBundle(dir)).toThrow(`${dir} is not a file`);
    const big = file('big.pem', Buffer.alloc(MAX_CA_FILE_BYTES + 1, 0x41));
    expect(() => readCaBundle(big)).toThrow(/is larger than 1048576 bytes/);
  });
});
