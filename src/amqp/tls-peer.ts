/**
 * What a connection knows about its TLS session, read once when it is accepted: protocol and cipher
 * suite named as RabbitMQ lists them (ssl_protocol `tlsv1.3`, ssl_key_exchange `ecdhe_rsa` or `any`
 * on TLS 1.3, ssl_cipher `aes_256_gcm`, ssl_hash `aead` for AEAD suites), and the client certificate's
 * subject, issuer and validity in RabbitMQ's string forms. Plain TCP sockets have none of this.
 */
import type { Socket } from 'node:net';
import { TLSSocket } from 'node:tls';
import type { ConnectionTls } from '../core/broker.js';
import { formatDistinguishedName, formatValidity } from './tls-cert-name.js';
import { certificateFields, type DistinguishedName } from './tls-der.js';

export interface TlsSession extends ConnectionTls {
  /** the client certificate's subject, when one was presented and chained to a trusted CA */
  readonly verifiedSubject: DistinguishedName | undefined;
  /** the client presented a certificate (verified or not) */
  readonly peerCertPresented: boolean;
}

const AEAD = /_(GCM|CCM|CCM_8|POLY1305)$/;

/** IANA suite name to Erlang's {key_exchange, cipher, mac} as RabbitMQ shows them. */
function suiteParts(standardName: string): { keyExchange: string; cipher: string; hash: string } {
  const s = standardName.replace(/^TLS_/, '');
  const withAt = s.indexOf('_WITH_');
  const keyExchange = withAt < 0 ? 'any' : s.slice(0, withAt).toLowerCase();
  const rest = withAt < 0 ? s : s.slice(withAt + '_WITH_'.length);
  const lastUnderscore = rest.lastIndexOf('_');
  const cipherPart = lastUnderscore < 0 ? rest : rest.slice(0, lastUnderscore);
  const macPart = lastUnderscore < 0 ? '' : rest.slice(lastUnderscore + 1);
  return {
    keyExchange,
    cipher: cipherPart.toLowerCase(),
    hash: AEAD.test(cipherPart) ? 'aead' : macPart.toLowerCase(),
  };
}

/** The TLS details of an accepted socket; undefined for plain TCP. */
export function tlsSession(socket: Socket): TlsSession | undefined {
  if (!(socket instanceof TLSSocket)) return undefined;
  const c = socket.getCipher();
  const suite = suiteParts(c.standardName || c.name);
  const cert = socket.getPeerX509Certificate();
  let fields: ReturnType<typeof certificateFields> | undefined;
  try {
    fields = cert ? certificateFields(cert.raw) : undefined;
  } catch {
    // OpenSSL accepted it, so this is our parser's limit; the certificate then names nobody.
    fields = undefined;
  }
  return {
    protocol: (socket.getProtocol() ?? '').toLowerCase(),
    keyExchange: suite.keyExchange,
    cipher: suite.cipher,
    hash: suite.hash,
    peerCertSubject: fields && formatDistinguishedName(fields.subject),
    peerCertIssuer: fields && formatDistinguishedName(fields.issuer),
    peerCertValidity: fields && formatValidity(fields.notBefore, fields.notAfter),
    verifiedSubject: fields && socket.authorized ? fields.subject : undefined,
    peerCertPresented: cert !== undefined,
  };
}
