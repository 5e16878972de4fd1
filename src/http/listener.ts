/**
 * An HTTP listener (management API, Prometheus) that binds its port when the broker starts but
 * builds its request handler on the first request. Building the fastify app (importing fastify,
 * compiling the routes' JSON schemas) costs about 100 ms on a cold process; a broker started for a
 * test or embedded in an application usually never gets an HTTP request, so it never pays that.
 * Requests that arrive while the handler is being built wait for it.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Logger } from '../log.js';

export type RequestHandler = (req: IncomingMessage, res: ServerResponse) => void;

/** Builds the handler for a server; may attach listeners to it (fastify adds 'clientError'). */
export type HandlerFactory = (server: Server) => Promise<RequestHandler>;

export class HttpListener {
  private readonly server: Server;
  private handler: RequestHandler | undefined;
  private building: Promise<RequestHandler> | undefined;

  constructor(
    private readonly build: HandlerFactory,
    private readonly log: Logger,
    /** names the listener in error logs: 'management', 'prometheus' */
    private readonly what: string,
  ) {
    this.server = createServer((req, res) => this.onRequest(req, res));
  }

  /** Builds the handler now, if not yet built (a long-running server does so after starting). */
  prepare(): Promise<RequestHandler> {
    this.building ??= this.build(this.server).then(
      (h) => (this.handler = h),
      (err: unknown) => {
        this.building = undefined; // the next request tries again
        throw err;
      },
    );
    return this.building;
  }

  private onRequest(req: IncomingMessage, res: ServerResponse): void {
    if (this.handler) return this.handler(req, res);
    this.prepare().then(
      (h) => h(req, res),
      (err: unknown) => {
        this.log.error({ err }, `${this.what} HTTP handler failed to start`);
        res.statusCode = 500;
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify({ error: 'internal_server_error', reason: 'handler failed to start' }));
      },
    );
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

  get listening(): boolean {
    return this.server.listening;
  }

  address(): { address: string; port: number } {
    const a = this.server.address();
    if (a === null || typeof a === 'string') throw new Error('server is not listening');
    return { address: a.address, port: a.port };
  }

  /** Stops listening and cuts every connection, idle keep-alive ones included: the port is free at once. */
  close(): Promise<void> {
    if (!this.server.listening) return Promise.resolve();
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }
}
