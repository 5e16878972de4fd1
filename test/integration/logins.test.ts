/**
 * Logins (Warren only: each test starts brokers with its own options). `guest` may connect from
 * loopback addresses only unless `loopbackUsers` says otherwise; a refused login is answered per the
 * client's authentication_failure_close capability and logged with the user name and the peer, never
 * the password; the default user, password and vhost are configurable.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { networkInterfaces, tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import amqp from 'amqplib';
import { Warren, type WarrenOptions } from '../../src/index.js';
import type { TestBroker } from '../helpers/broker.js';
import { RawClient } from '../helpers/raw-client.js';
import { SOCKET_OPTIONS, handshake, REPLY } from '../helpers/amqp.js';
import { waitFor } from '../helpers/wait.js';
import * as M from '../../src/protocol/generated/methods.js';

const LOGIN_REFUSED =
  'ACCESS_REFUSED - Login was refused using authentication mechanism PLAIN. For details see the broker logfile.';

/** An IPv4 address of this machine that is not loopback, to connect from somewhere else. */
function externalAddress(): string | undefined {
  for (const list of Object.values(networkInterfaces())) {
    for (const a of list ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  }
  return undefined;
}

const external = externalAddress();
const skip = process.env['WARREN_TEST_URL'] ? 'Warren only' : false;

describe('logins', { skip }, () => {
  const started: Warren[] = [];
  const dirs: string[] = [];
  after(async () => {
    await Promise.all(started.map((w) => w.close()));
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  async function start(options: Partial<WarrenOptions>): Promise<Warren> {
    const w = await Warren.start({ host: '127.0.0.1', port: 0, logLevel: 'silent', ...options });
    started.push(w);
    return w;
  }

  /** What the handshake helper needs of a broker: where it listens. */
  const at = (w: Warren, host: string): TestBroker => ({
    url: '',
    host,
    port: w.port,
    external: false,
    warren: w,
    close: () => w.close(),
  });

  test(
    'guest is refused from a non-loopback address; loopbackUsers [] lets it in',
    { skip: !external && 'no non-loopback IPv4 address' },
    async () => {
      const host = external as string;
      const strict = await start({ host });
      const r = await handshake(at(strict, host), { user: 'guest', password: 'guest', vhost: '/' });
      assert.deepEqual(r.close && [r.close.replyCode, r.close.replyText], [
        REPLY.ACCESS_REFUSED,
        LOGIN_REFUSED,
      ]);
      // Another user is not limited to loopback.
      strict.broker.addUser('remote', 'pw');
      strict.broker.setPermissions('remote', '/', { configure: '.*', write: '.*', read: '.*' });
      const remote = await amqp.connect(`amqp://remote:pw@${host}:${strict.port}`, SOCKET_OPTIONS);
      await remote.close();

      const open = await start({ host, loopbackUsers: [] });
      const c = await amqp.connect(`amqp://guest:guest@${host}:${open.port}`, SOCKET_OPTIONS);
      await c.close();
      // ...and a listed user is held to loopback instead.
      const listed = await start({ host, loopbackUsers: ['remote'] });
      listed.broker.addUser('remote', 'pw');
      listed.broker.setPermissions('remote', '/', { configure: '.*', write: '.*', read: '.*' });
      await assert.rejects(amqp.connect(`amqp://remote:pw@${host}:${listed.port}`, SOCKET_OPTIONS), /403/);
      await (await amqp.connect(`amqp://guest:guest@${host}:${listed.port}`, SOCKET_OPTIONS)).close();
    },
  );

  test('a refused login is logged with user and peer, never the password', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'warren-logins-'));
    dirs.push(dir);
    const logFile = join(dir, 'warren.log');
    const w = await start({ logFile, logFileLevel: 'warn' });
    const secret = 'not-the-password-3f9c';
    await assert.rejects(amqp.connect(`amqp://guest:${secret}@127.0.0.1:${w.port}`, SOCKET_OPTIONS), /403/);
    await waitFor(() => readFileSync(logFile, 'utf8').includes('authentication failed'));
    const line = readFileSync(logFile, 'utf8')
      .split('\n')
      .find((l) => l.includes('authentication failed'));
    assert.ok(line);
    const entry = JSON.parse(line) as Record<string, unknown>;
    assert.equal(entry['user'], 'guest');
    assert.equal(entry['peer'], '127.0.0.1');
    assert.equal(entry['mechanism'], 'PLAIN');
    assert.ok(!readFileSync(logFile, 'utf8').includes(secret), 'the password must not be logged');
  });

  test('without authentication_failure_close a refused login just closes the socket', async () => {
    const w = await start({});
    const c = await RawClient.connect(w.port);
    c.write(Buffer.from([0x41, 0x4d, 0x51, 0x50, 0, 0, 9, 1]));
    await c.expectMethod('connection.start', 0);
    c.sendMethod(0, {
      kind: 'connection.start-ok',
      clientProperties: { product: 'no-capabilities' },
      mechanism: 'PLAIN',
      response: Buffer.from('\0guest\0wrong'),
      locale: 'en_US',
    } satisfies M.ConnectionStartOk);
    await c.waitClosed();
    assert.equal(c.received().includes(Buffer.from('Login was refused')), false);
  });

  test('default user, password and vhost are configurable; guest then does not exist', async () => {
    const w = await start({ defaultUser: 'admin', defaultPass: 's3cret', defaultVhost: 'main' });
    assert.equal(w.url, `amqp://admin:s3cret@127.0.0.1:${w.port}/main`);
    const c = await amqp.connect(w.url, SOCKET_OPTIONS);
    await c.close();
    assert.deepEqual([...w.broker.vhosts.keys()], ['main']);
    assert.deepEqual(
      w.broker.listUsers().map((u) => [u.name, u.tags]),
      [['admin', ['administrator']]],
    );
    await assert.rejects(amqp.connect(`amqp://guest:guest@127.0.0.1:${w.port}/main`, SOCKET_OPTIONS), /403/);
  });
});
