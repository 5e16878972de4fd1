/**
 * SASL EXTERNAL as RabbitMQ's rabbitmq_auth_mechanism_ssl does it: the identity is the verified
 * client certificate of the TLS session, the start-ok response is ignored, and no password is
 * checked (the user must still exist). Which part of the certificate names the user is
 * `ssl_cert_login_from`: the whole subject DN in RabbitMQ's RFC 4514 form (the default,
 * e.g. "CN=alice,O=Example") or its common name(s).
 *
 * Refusals carry RabbitMQ's reasons (they are logged; the client only learns "Login was refused").
 */
import { commonNames, formatDistinguishedName } from './tls-cert-name.js';
import type { TlsSession } from './tls-peer.js';

/** rabbitmq.conf `ssl_cert_login_from` */
export type CertLoginFrom = 'distinguished_name' | 'common_name';

export const CERT_LOGIN_FROM: readonly CertLoginFrom[] = ['distinguished_name', 'common_name'];

export type ExternalIdentity = { username: string } | { refused: string };

/**
 * The user name a TLS session's certificate gives. `verifyPeer` is the listener's ssl_options.verify:
 * without verify_peer a certificate proves nothing, and RabbitMQ refuses such logins as unsafe.
 */
export function externalIdentity(
  tls: TlsSession | undefined,
  verifyPeer: boolean,
  from: CertLoginFrom,
): ExternalIdentity {
  if (!tls) return { refused: 'not a TLS-enabled connection' };
  if (!tls.peerCertPresented) return { refused: 'connection peer presented no TLS (x.509) certificate' };
  if (!verifyPeer) return { refused: 'TLS configuration is unsafe' };
  const subject = tls.verifiedSubject;
  if (!subject) return { refused: 'no name found' };
  const name = from === 'common_name' ? commonNames(subject) : formatDistinguishedName(subject);
  return name === undefined || name === '' ? { refused: 'no name found' } : { username: name };
}
