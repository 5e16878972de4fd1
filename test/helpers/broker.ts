/**
 * Starts a Warren broker on a free port for one test file, or, when WARREN_TEST_URL is set
 * (e.g. amqp://guest:guest@127.0.0.1:5682 for the reference RabbitMQ), hands out that URL instead so the
 * same test can be run against RabbitMQ to prove the test itself is right.
 */
import { randomBytes } from 'node:crypto';
import { Warren, type WarrenOptions } from '../../src/index.js';

export interface TestBroker {
  /** amqp:// URL with the real port */
  url: string;
  host: string;
  port: number;
  /** true when running against an outside broker (RabbitMQ), not an in-process Warren */
  external: boolean;
  /** the in-process broker, when there is one */
  warren: Warren | undefined;
  close(): Promise<void>;
}

export async function startBroker(options: Partial<WarrenOptions> = {}): Promise<TestBroker> {
  const externalUrl = process.env['WARREN_TEST_URL'];
  if (externalUrl) {
    const u = new URL(externalUrl);
    return {
      url: externalUrl,
      host: u.hostname,
      port: Number(u.port || 5672),
      external: true,
      warren: undefined,
      close: async () => {},
    };
  }
  const warren = await Warren.start({ host: '127.0.0.1', port: 0, logLevel: 'silent', ...options });
  return {
    url: warren.url,
    host: '127.0.0.1',
    port: warren.port,
    external: false,
    warren,
    close: () => warren.close(),
  };
}

/** A name no other test (or earlier run against a shared RabbitMQ) uses. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${randomBytes(6).toString('hex')}`;
}
