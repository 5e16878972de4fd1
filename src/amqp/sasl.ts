/**
 * SASL mechanisms offered in connection.start: PLAIN ("\0user\0password", RFC 4616) and AMQPLAIN
 * (a field table without its length prefix, holding LOGIN and PASSWORD), the two RabbitMQ clients use.
 */
import { Reader } from '../protocol/reader.js';

export const MECHANISMS = 'PLAIN AMQPLAIN';

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
