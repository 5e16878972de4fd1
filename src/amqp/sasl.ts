/**
 * SASL mechanisms offered in connection.start and the reading of start-ok: PLAIN ("\0user\0password",
 * RFC 4616) and AMQPLAIN (a field table without its length prefix, holding LOGIN and PASSWORD), the
 * two RabbitMQ clients use, and EXTERNAL (the TLS client certificate, sasl-external.ts), offered on TLS
 * connections only, as RabbitMQ's rabbitmq_auth_mechanism_ssl does.
 *
 * rabbitmq.conf `auth_mechanisms.N` is `SaslConfig.mechanisms`. Warren has EXTERNAL built in and on by
 * default, where RabbitMQ needs the plugin enabled and EXTERNAL listed; it is harmless without
 * `verify_peer`, which it requires (refused as unsafe otherwise).
 */
import { Reader } from '../protocol/reader.js';
import { CERT_LOGIN_FROM, externalIdentity, type CertLoginFrom } from './sasl-external.js';
import type { TlsSession } from './tls-peer.js';

export const DEFAULT_MECHANISMS: readonly string[] = ['PLAIN', 'AMQPLAIN', 'EXTERNAL'];

export interface SaslConfig {
  /** mechanisms the broker allows (auth_mechanisms), in the order they are offered */
  mechanisms: readonly string[];
  /** ssl_cert_login_from: which part of the client certificate is the EXTERNAL user name */
  certLoginFrom: CertLoginFrom;
  /** the TLS listener verifies client certificates (ssl_options.verify = verify_peer) */
  verifyPeer: boolean;
}

const KNOWN = new Set(['PLAIN', 'AMQPLAIN', 'EXTERNAL']);

/** Refuses mechanism names Warren does not know and unknown ssl_cert_login_from values. */
export function checkSaslConfig(mechanisms: readonly string[], certLoginFrom: string): void {
  for (const m of mechanisms)
    if (!KNOWN.has(m)) throw new Error(`unknown auth mechanism '${m}' (known: ${[...KNOWN].join(', ')})`);
  if (!(CERT_LOGIN_FROM as readonly string[]).includes(certLoginFrom))
    throw new Error(`unknown ssl_cert_login_from '${certLoginFrom}' (known: ${CERT_LOGIN_FROM.join(', ')})`);
}

/** connection.start `mechanisms`: the allowed ones this connection can use (EXTERNAL needs TLS). */
export function offeredMechanisms(cfg: SaslConfig, tls: boolean): string {
  return cfg.mechanisms.filter((m) => KNOWN.has(m) && (tls || m !== 'EXTERNAL')).join(' ');
}

/** The outcome of start-ok: a password to check, an identity established outside SASL, or a refusal. */
export type SaslLogin =
  | { kind: 'password'; username: string; password: string }
  | { kind: 'external'; username: string }
  | { kind: 'refused'; reason: string };

/** Reads start-ok's mechanism and response for a connection (its TLS session, if any). */
export function saslLogin(
  mechanism: string,
  response: Buffer,
  cfg: SaslConfig,
  tls: TlsSession | undefined,
): SaslLogin {
  if (
    !offeredMechanisms(cfg, tls !== undefined)
      .split(' ')
      .includes(mechanism)
  )
    return { kind: 'refused', reason: `unsupported mechanism ${mechanism}` };
  if (mechanism === 'EXTERNAL') {
    const id = externalIdentity(tls, cfg.verifyPeer, cfg.certLoginFrom);
    return 'refused' in id ? { kind: 'refused', reason: id.refused } : { kind: 'external', ...id };
  }
  const creds = parseCredentials(mechanism, response);
  if (!creds) return { kind: 'refused', reason: `malformed ${mechanism} response` };
  return { kind: 'password', ...creds };
}

export interface Credentials {
  username: string;
  password: string;
}

/** Parses a start-ok response; undefined when the mechanism is unknown or the response malformed. */
export function parseCredentials(mechanism: string, response: Buffer): Credentials | undefined {
  if (mechanism === 'PLAIN') {
    const parts = response.toString('utf8').split('\0');
    if (parts.length !== 3) return undefined;
    return { username: parts[1] as string, password: parts[2] as string };
  }
  if (mechanism === 'AMQPLAIN') {
    try {
      const framed = Buffer.allocUnsafe(4 + response.length);
      framed.writeUInt32BE(response.length, 0);
      response.copy(framed, 4);
      const t = new Reader(framed).table();
      const login = t['LOGIN'];
      const password = t['PASSWORD'];
      const text = (v: unknown): string | undefined =>
        typeof v === 'string' ? v : Buffer.isBuffer(v) ? v.toString('utf8') : undefined;
      const u = text(login);
      const p = text(password);
      return u !== undefined && p !== undefined ? { username: u, password: p } : undefined;
    } catch {
      return undefined;
    }
  }
  return undefined;
}
