/**
 * The AMQPS side of the listener: a node:tls server that hands each socket, once its handshake is
 * done, to the same accept function as the plain listener, so every connection runs the one
 * Connection code path whatever its transport.
 */
import type { Socket } from 'node:net';
import { createServer, type Server, type TLSSocket, type TlsOptions } from 'node:tls';
import type { Logger } from '../log.js';

export function createTlsListener(
  options: TlsOptions,
  accept: (socket: Socket) => void,
  log: Logger,
): Server {
  const server = createServer(options, (socket: TLSSocket) => {
    // verify_peer without fail_if_no_peer_cert: Node let the handshake finish (rejectUnauthorized is
    // off so that a missing certificate passes), but a certificate that was presented must verify.
    if (options.requestCert && !socket.authorized && socket.getPeerX509Certificate() !== undefined) {
      log.warn(
        { peer: `${socket.remoteAddress ?? ''}:${socket.remotePort ?? 0}` },
        `TLS client certificate refused: ${String(socket.authorizationError)}`,
      );
      socket.destroy();
      return;
    }
    accept(socket);
  });
  // Failed handshakes (unknown CA, no certificate under fail_if_no_peer_cert, wrong version, timeout)
  // are the client's problem, but an operator wants to see them, as RabbitMQ logs its TLS alerts.
  server.on('tlsClientError', (err: Error, socket: TLSSocket) => {
    log.warn(
      { peer: `${socket.remoteAddress ?? ''}:${socket.remotePort ?? 0}` },
      `TLS handshake failed: ${err.message}`,
    );
  });
  return server;
}
