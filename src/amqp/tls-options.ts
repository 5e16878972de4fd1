/**
 * Options of the AMQPS listener and how they become node:tls server options. Each option is one
 * rabbitmq.conf key:
 *
 * | option (WarrenOptions.tls.*) | rabbitmq.conf                          | default                  |
 * | ---------------------------- | -------------------------------------- | ------------------------ |
 * | port                         | listeners.ssl.default (port or ip:port)| 5671 (0 = a free port)   |
 * | host                         | listeners.ssl.default (ip part)        | WarrenOptions.host       |
 * | certFile                     | ssl_options.certfile                   | required                 |
 * | keyFile                      | ssl_options.keyfile                    | required                 |
 * | caFile                       | ssl_options.cacertfile                 | Node's bundled root CAs  |
 * | password                     | ssl_options.password                   | none (key not encrypted) |
 * | verifyPeer                   | ssl_options.verify = verify_peer/none  | false (verify_none)      |
 * | failIfNoPeerCert             | ssl_options.fail_if_no_peer_cert       | false                    |
 * | versions                     | ssl_options.versions.N ('tlsv1.2', ...)| ['tlsv1.2', 'tlsv1.3']   |
 * | ciphers                      | ssl_options.ciphers.N (OpenSSL names)  | Node's defaults          |
 * | handshakeTimeoutMs           | ssl_handshake_timeout                  | 5000                     |
 *
 * Peer verification follows Erlang's ssl: with verify_none no client certificate is asked for; with
 * verify_peer one is asked for and, when presented, must chain to a CA in caFile or the handshake
 * fails; fail_if_no_peer_cert additionally refuses clients that present none.
 */
import { readFile } from 'node:fs/promises';
import type { SecureVersion, TlsOptions as NodeTlsOptions } from 'node:tls';

export type TlsVersion = 'tlsv1' | 'tlsv1.1' | 'tlsv1.2' | 'tlsv1.3';

export interface TlsListenerOptions {
  port: number;
  host: string | undefined;
  certFile: string;
  keyFile: string;
  caFile: string | undefined;
  password: string | undefined;
  verifyPeer: boolean;
  failIfNoPeerCert: boolean;
  versions: TlsVersion[];
  ciphers: string[] | undefined;
  handshakeTimeoutMs: number;
}

/** What callers give: certificate and key at least; the rest defaults as in RabbitMQ. */
export type TlsListenerInput = Partial<TlsListenerOptions> & Pick<TlsListenerOptions, 'certFile' | 'keyFile'>;

export const TLS_DEFAULTS = {
  port: 5671,
  verifyPeer: false,
  failIfNoPeerCert: false,
  versions: ['tlsv1.2', 'tlsv1.3'] as TlsVersion[],
  handshakeTimeoutMs: 5000,
};

const ORDER: TlsVersion[] = ['tlsv1', 'tlsv1.1', 'tlsv1.2', 'tlsv1.3'];
const NODE_NAMES: Record<TlsVersion, SecureVersion> = {
  tlsv1: 'TLSv1',
  'tlsv1.1': 'TLSv1.1',
  'tlsv1.2': 'TLSv1.2',
  'tlsv1.3': 'TLSv1.3',
};

/** Fills in the defaults; undefined fields of `input` do not override them. */
export function tlsListenerOptions(input: TlsListenerInput, host: string | undefined): TlsListenerOptions {
  const defined = Object.fromEntries(Object.entries(input).filter(([, v]) => v !== undefined));
  return {
    ...TLS_DEFAULTS,
    host,
    caFile: undefined,
    password: undefined,
    ciphers: undefined,
    ...defined,
  } as TlsListenerOptions;
}

/**
 * node:tls can only bound versions by a minimum and a maximum, so the configured set must be a
 * contiguous range; anything else is refused rather than silently widened.
 */
function versionRange(versions: TlsVersion[]): { minVersion: SecureVersion; maxVersion: SecureVersion } {
  if (versions.length === 0) throw new Error('TLS: ssl_options.versions is empty');
  const idx = versions.map((v) => {
    const i = ORDER.indexOf(v);
    if (i < 0) throw new Error(`TLS: unknown version '${String(v)}' (expected one of ${ORDER.join(', ')})`);
    return i;
  });
  const lo = Math.min(...idx);
  const hi = Math.max(...idx);
  if (new Set(idx).size !== hi - lo + 1)
    throw new Error(`TLS: versions must be a contiguous range, got ${versions.join(', ')}`);
  return { minVersion: NODE_NAMES[ORDER[lo] as TlsVersion], maxVersion: NODE_NAMES[ORDER[hi] as TlsVersion] };
}

async function read(what: string, file: string): Promise<Buffer> {
  try {
    return await readFile(file);
  } catch (e) {
    throw new Error(`TLS: cannot read ${what} ${file}: ${(e as Error).message}`);
  }
}

/** Reads the PEM files and builds node:tls server options; throws a readable error on bad input. */
export async function nodeTlsOptions(o: TlsListenerOptions): Promise<NodeTlsOptions> {
  if (o.failIfNoPeerCert && !o.verifyPeer)
    throw new Error('TLS: fail_if_no_peer_cert requires verify = verify_peer');
  const [cert, key, ca] = await Promise.all([
    read('ssl_options.certfile', o.certFile),
    read('ssl_options.keyfile', o.keyFile),
    o.caFile === undefined ? undefined : read('ssl_options.cacertfile', o.caFile),
  ]);
  return {
    cert,
    key,
    ...(ca && { ca }),
    ...(o.password !== undefined && { passphrase: o.password }),
    ...versionRange(o.versions),
    ...(o.ciphers && { ciphers: o.ciphers.join(':') }),
    // Node verifies after the handshake; with rejectUnauthorized it also refuses a missing
    // certificate, which is exactly fail_if_no_peer_cert. Without it, the listener refuses
    // presented-but-unverified certificates itself (see tls-server.ts).
    requestCert: o.verifyPeer,
    rejectUnauthorized: o.verifyPeer && o.failIfNoPeerCert,
    handshakeTimeout: o.handshakeTimeoutMs,
  };
}
