/**
 * Throwaway PKI for TLS tests, made with /usr/bin/openssl at test time in a temporary directory (no key
 * is ever committed): a CA, a server certificate for localhost / 127.0.0.1 / ::1 signed by it, client
 * certificates signed by it on demand, and a second, unrelated CA whose client certificates the broker
 * must refuse. EC P-256 keys keep generation to a few milliseconds per certificate.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const OPENSSL = '/usr/bin/openssl';
const run = promisify(execFile);

/** A private openssl config, so the system's openssl.cnf cannot add or clash with extensions. */
const CONFIG = `
[req]
distinguished_name = dn
prompt = no
[dn]
CN = unused
[ca]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
[server]
basicConstraints = CA:FALSE
keyUsage = critical,digitalSignature,keyEncipherment
extendedKeyUsage = serverAuth
subjectAltName = DNS:localhost,IP:127.0.0.1,IP:::1
[client]
basicConstraints = CA:FALSE
keyUsage = critical,digitalSignature,keyEncipherment
extendedKeyUsage = clientAuth
`;

export interface Issued {
  certFile: string;
  keyFile: string;
  cert: Buffer;
  key: Buffer;
}

export interface TestPki {
  dir: string;
  /** the CA that signed the server and the trusted client certificates */
  ca: Issued;
  /** a CA the broker does not trust */
  otherCa: Issued;
  server: Issued;
  /** a client certificate with this subject (openssl form, e.g. "/O=Tests/CN=alice") */
  client(subject: string, signer?: 'ca' | 'otherCa'): Promise<Issued>;
  /** deletes the directory and every key in it */
  remove(): Promise<void>;
}

export async function makePki(): Promise<TestPki> {
  const dir = await mkdtemp(join(tmpdir(), 'warren-pki-'));
  const config = join(dir, 'openssl.cnf');
  await writeFile(config, CONFIG);
  let n = 0;

  const load = async (certFile: string, keyFile: string): Promise<Issued> => ({
    certFile,
    keyFile,
    cert: await readFile(certFile),
    key: await readFile(keyFile),
  });

  const newKey = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

  const selfSigned = async (name: string, subject: string): Promise<Issued> => {
    const certFile = join(dir, `${name}.pem`);
    const keyFile = join(dir, `${name}.key`);
    const args = ['req', '-x509', ...newKey, '-keyout', keyFile, '-out', certFile, '-days', '2'];
    await run(OPENSSL, [...args, '-subj', subject, '-config', config, '-extensions', 'ca']);
    return load(certFile, keyFile);
  };

  const issue = async (signer: Issued, kind: 'server' | 'client', subject: string): Promise<Issued> => {
    const base = join(dir, `${kind}-${++n}`);
    const [certFile, keyFile, csr] = [`${base}.pem`, `${base}.key`, `${base}.csr`];
    await run(OPENSSL, [
      'req',
      '-new',
      ...newKey,
      '-keyout',
      keyFile,
      '-out',
      csr,
      '-subj',
      subject,
      '-config',
      config,
    ]);
    await run(OPENSSL, [
      'x509',
      '-req',
      '-in',
      csr,
      '-CA',
      signer.certFile,
      '-CAkey',
      signer.keyFile,
      '-set_serial',
      `0x${randomBytes(8).toString('hex')}`,
      '-days',
      '2',
      '-out',
      certFile,
      '-extfile',
      config,
      '-extensions',
      kind,
    ]);
    return load(certFile, keyFile);
  };

  try {
    const ca = await selfSigned('ca', '/O=Warren Tests/CN=Warren Test CA');
    const otherCa = await selfSigned('other-ca', '/O=Elsewhere/CN=Untrusted CA');
    const server = await issue(ca, 'server', '/O=Warren Tests/CN=localhost');
    return {
      dir,
      ca,
      otherCa,
      server,
      client: (subject, signer = 'ca') => issue(signer === 'ca' ? ca : otherCa, 'client', subject),
      remove: () => rm(dir, { recursive: true, force: true }),
    };
  } catch (e) {
    await rm(dir, { recursive: true, force: true });
    throw e;
  }
}
