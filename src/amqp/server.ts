/**
 * The AMQP listener: accepts sockets and gives each a Connection. Tracks live sockets so that
 * shutdown can tell every client 320 CONNECTION_FORCED before the process exits. Given node:tls
 * options it is the AMQPS listener instead: TLS sockets then take the very same path once their
 * handshake is done (tls-server.ts).
 */
import { createServer, type Server, type Socket } from 'node:net';
import type { TlsOptions } from 'node:tls';
import type { Broker } from '../core/broker.js';
import type { Logger } from '../log.js';
import { ReplyCode } from '../protocol/errors.js';
import { Connection, type ConnectionLimits } from './connection.js';
import { createTlsListener } from './tls-server.js';

export class AmqpServer {
  private readonly server: Server;
  private readonly connections = new Set<Connection>();
  private readonly sockets = new Set<Socket>();

  constructor(broker: Broker, limits: ConnectionLimits, log: Logger, tls?: TlsOptions) {
    const accept = (socket: Socket): void => {
      this.sockets.add(socket);
      const conn = new Connection(socket, broker, limits, log);
      this.connections.add(conn);
      socket.on('close', () => {
        this.sockets.delete(socket);
        this.connections.delete(conn);
      });
    };
    this.server = tls ? createTlsListener(tls, accept, log) : createServer(accept);
  }

  /** Listens on host:port; host undefined means every interface, IPv4 and IPv6. */
  listen(port: number, host: string | undefined): Promise<void> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      const done = (): void => {
        this.server.off('error', reject);
        resolve();
      };
      if (host === undefined) this.server.listen({ port, ipv6Only: false }, done);
      else this.server.listen({ port, host }, done);
    });
  }

  address(): { address: string; port: number } {
    const a = this.server.address();
    if (a === null || typeof a === 'string') throw new Error('server is not listening');
    return { address: a.address, port: a.port };
  }

  /**
   * Stops accepting, sends connection.close 320 to every client, and resolves once every socket
   * closed (or after `graceMs`, when the rest are cut).
   */
  async close(graceMs = 2000): Promise<void> {
    const stopped = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const c of this.connections) {
      if (c.state === 'running')
        c.close(ReplyCode.ConnectionForced, "broker forced connection closure with reason 'shutdown'");
      else c.out.end();
    }
    const deadline = setTimeout(() => {
      for (const s of this.sockets) s.destroy();
    }, graceMs);
    let fallback: NodeJS.Timeout | undefined;
    await Promise.race([stopped, new Promise((r) => (fallback = setTimeout(r, graceMs + 100)))]);
    clearTimeout(fallback);
    clearTimeout(deadline);
    for (const s of this.sockets) s.destroy();
  }
}
