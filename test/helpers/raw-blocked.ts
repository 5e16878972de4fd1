/**
 * Raw-socket clients for the resource-alarm tests: RawClient's handshake announces only
 * consumer_cancel_notify, so this one can also announce the `connection.blocked` capability and name
 * the connection, to find it among the broker's connections.
 */
import type { Warren } from '../../src/index.js';
import { PROTOCOL_HEADER, RawClient } from './raw-client.js';

export interface BlockedClientOptions {
  /** announce capability connection.blocked (default true) */
  blockedCapability?: boolean;
  heartbeat?: number;
  /** client property connection_name */
  name: string;
}

export async function openRaw(port: number, options: BlockedClientOptions): Promise<RawClient> {
  const c = await RawClient.connect(port);
  try {
    c.write(PROTOCOL_HEADER);
    await c.expectMethod('connection.start', 0);
    c.sendMethod(0, {
      kind: 'connection.start-ok',
      clientProperties: {
        product: 'warren-alarm-tests',
        connection_name: options.name,
        capabilities: { 'connection.blocked': options.blockedCapability ?? true },
      },
      mechanism: 'PLAIN',
      response: Buffer.from('\0guest\0guest'),
      locale: 'en_US',
    });
    const tune = await c.expectMethod('connection.tune', 0);
    c.sendMethod(0, {
      kind: 'connection.tune-ok',
      channelMax: tune.channelMax,
      frameMax: tune.frameMax,
      heartbeat: options.heartbeat ?? 0,
    });
    c.sendMethod(0, { kind: 'connection.open', virtualHost: '/' });
    await c.expectMethod('connection.open-ok', 0);
    return c;
  } catch (e) {
    c.destroy();
    throw e;
  }
}

/** What the tests read from a broker-side connection (src/amqp/connection.ts). */
export interface ConnectionView {
  readonly blockState: 'running' | 'blocking' | 'blocked';
  readonly bytesIn: number;
  close(code: number, text: string): void;
}

/** The broker's side of the connection whose client called itself `name`. */
export function serverConnection(w: Warren, name: string): ConnectionView {
  for (const c of w.broker.connections.values()) {
    if (c.clientProperties['connection_name'] === name) return c as unknown as ConnectionView;
  }
  throw new Error(`no connection named ${name}`);
}
