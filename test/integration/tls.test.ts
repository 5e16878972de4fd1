/**
 * The AMQPS listener with throwaway certificates (test/helpers/certs.ts): amqplib over TLS 1.2 and 1.3,
 * client-certificate verification (verify_peer, fail_if_no_peer_cert, an untrusted CA), the EXTERNAL
 * mechanism by distinguished name and by common name, the plain listener turned off, a 1 MiB round trip,
 * TLS details in the broker's connection info, configuration errors, and pika over TLS with EXTERNAL.
 * Warren-only: these brokers are configured per test group, which a shared RabbitMQ cannot be.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import tls from 'node:tls';
import { after, before, describe, test } from 'node:test';
import amqp from 'amqplib';
import type { ChannelModel, Options } from 'amqplib';
import { Warren, type WarrenOptions } from '../../src/index.js';
import type { TlsListenerInput } from '../../src/amqp/tls-options.js';
import type { ConnectionInfo } from '../../src/core/broker.js';
import { FrameParser } from '../../src/protocol/frame-parser.js';
import * as M from '../../src/protocol/generated/methods.js';
import { Reader } from '../../src/protocol/reader.js';
import { commonNames, formatDistinguishedName, formatValidity } from '../../src/amqp/tls-cert-name.js';
import type { NameAttribute } from '../../src/amqp/tls-der.js';
import { makePki, type Issued, type TestPki } from '../helpers/certs.js';
import { PROTOCOL_HEADER } from '../helpers/raw-client.js';
import { WAIT_MS, waitFor, withTimeout } from '../helpers/wait.js';

let pki: TestPki;
let alice: Issued; // CN=alice, trusted CA
let carol: Issued; // C=NL, O=Acme, Inc, CN=carol: a DN that needs escaping
let mallory: Issued; // CN=alice, but from the untrusted CA
let nobody: Issued; // CN=nobody: trusted, but no such user
const brokers: Warren[] = [];
const connections: ChannelModel[] = [];

const CAROL_DN = 'CN=carol,O=Acme\\, Inc,C=NL';

before(async () => {
  pki = await makePki();
  alice = await pki.client('/O=Warren Tests/CN=alice');
  carol = await pki.client('/C=NL/O=Acme, Inc/CN=carol');
  mallory = await pki.client('/O=Warren Tests/CN=alice', 'otherCa');
  nobody = await pki.client('/O=Warren Tests/CN=nobody');
});

after(async () => {
  await Promise.all(connections.map((c) => c.close().catch(() => {})));
  await Promise.all(brokers.map((b) => b.close()));
  await pki?.remove();
});

/** A password-less user (EXTERNAL login only) with full permissions on "/". */
function addUser(w: Warren, name: string): void {
  w.broker.addUser(name, undefined, []);
  w.broker.setPermissions(name, '/', { configure: '.*', write: '.*', read: '.*' });
}

async function start(
  tlsOptions: Partial<TlsListenerInput>,
  more: Partial<WarrenOptions> = {},
): Promise<Warren> {
  const w = await Warren.start({
    host: '127.0.0.1',
    port: 0,
    logLevel: 'silent',
    tls: { port: 0, certFile: pki.server.certFile, keyFile: pki.server.keyFile, ...tlsOptions },
    ...more,
  });
  brokers.push(w);
  return w;
}

interface ClientTls {
  client?: Issued;
  external?: boolean;
  maxVersion?: tls.SecureVersion;
  minVersion?: tls.SecureVersion;
}

/** amqplib over amqps, trusting the test CA; PLAIN guest/guest unless `external`. */
async function connectTls(w: Warren, o: ClientTls = {}): Promise<ChannelModel> {
  const url = o.external ? `amqps://127.0.0.1:${w.tlsPort}` : w.tlsUrl;
  const socketOptions: Record<string, unknown> = {
    ca: [pki.ca.cert],
    ...(o.client && { cert: o.client.cert, key: o.client.key }),
    ...(o.external && { credentials: amqp.credentials.external() }),
    ...(o.maxVersion && { maxVersion: o.maxVersion }),
    ...(o.minVersion && { minVersion: o.minVersion }),
  };
  const c = await withTimeout(amqp.connect(url, socketOptions as Options.Connect), WAIT_MS, 'amqps connect');
  c.on('error', () => {});
  connections.push(c);
  return c;
}

async function refused(p: Promise<unknown>): Promise<Error> {
  const err = await withTimeout(
    p.then(
      () => undefined,
      (e: unknown) => e as Error,
    ),
    WAIT_MS,
    'refusal',
  );
  assert.ok(err instanceof Error, 'the connection was refused');
  return err;
}

/** The mechanisms in connection.start, read off a socket that is already connected. */
async function offeredMechanisms(socket: net.Socket): Promise<string[]> {
  const parser = new FrameParser(131072);
  const start = new Promise<M.ConnectionStart>((resolve, reject) => {
    socket.on('error', reject);
    socket.on('data', (chunk: Buffer) =>
      parser.push(chunk, {
        onFrame: (_type, _channel, payload) => {
          const m = M.decodeMethod(new Reader(payload));
          if (m.kind === 'connection.start') resolve(m);
        },
      }),
    );
  });
  socket.write(PROTOCOL_HEADER);
  const m = await withTimeout(start, WAIT_MS, 'connection.start');
  socket.destroy();
  return m.mechanisms.toString().split(' ');
}

/** The broker's view of its one connection from `userName`. */
function infoOf(w: Warren, userName: string): ConnectionInfo {
  const list = [...w.broker.connections.values()].filter((c) => c.userName === userName);
  assert.equal(list.length, 1, `one connection of ${userName}`);
  return list[0] as ConnectionInfo;
}

describe('verify_peer, certificate optional (fail_if_no_peer_cert = false)', () => {
  let w: Warren;
  before(async () => {
    w = await start({ caFile: pki.ca.certFile, verifyPeer: true });
    for (const n of ['alice', CAROL_DN]) addUser(w, n);
  });

  for (const version of ['TLSv1.2', 'TLSv1.3'] as const) {
    test(`amqplib over ${version} with PLAIN; the broker records the session`, async () => {
      const c = await connectTls(w, { minVersion: version, maxVersion: version });
      const ch = await c.createChannel();
      const q = (await ch.assertQueue('', { exclusive: true })).queue;
      ch.sendToQueue(q, Buffer.from('over tls'));
      await waitFor(async () => (await ch.checkQueue(q)).messageCount === 1, WAIT_MS, 'message queued');
      const m = await ch.get(q, { noAck: true });
      assert.ok(m);
      assert.equal(m.content.toString(), 'over tls');
      const t = infoOf(w, 'guest').tls;
      assert.ok(t, 'connection info marks TLS');
      assert.equal(t.protocol, version.toLowerCase());
      assert.match(t.cipher, /^(aes_(128|256)_gcm|chacha20_poly1305)$/);
      assert.equal(t.hash, 'aead');
      if (version === 'TLSv1.3') assert.equal(t.keyExchange, 'any');
      else assert.match(t.keyExchange, /^ecdhe_/);
      assert.equal(t.peerCertSubject, undefined, 'no client certificate was sent');
      await c.close();
    });
  }

  test('a 1 MiB message makes the publish/consume round trip intact over TLS', async () => {
    const c = await connectTls(w);
    const ch = await c.createChannel();
    const q = (await ch.assertQueue('', { exclusive: true })).queue;
    const body = Buffer.alloc(1024 * 1024);
    for (let i = 0; i < body.length; i++) body[i] = (i * 31 + (i >> 8)) & 0xff;
    const got = new Promise<Buffer>((resolve) => {
      void ch.consume(q, (m) => m && resolve(m.content), { noAck: true });
    });
    ch.sendToQueue(q, body);
    const received = await withTimeout(got, 10_000, '1 MiB delivery');
    assert.equal(received.length, body.length);
    assert.ok(received.equals(body), 'same bytes');
    await c.close();
  });

  test('a certificate from an untrusted CA is refused', async () => {
    await refused(connectTls(w, { client: mallory }));
    assert.equal(w.broker.connections.size, 0);
  });

  test('EXTERNAL logs in as the subject DN in RabbitMQ form; info shows subject, issuer, validity', async () => {
    const c = await connectTls(w, { client: carol, external: true });
    const ch = await c.createChannel();
    await ch.checkQueue((await ch.assertQueue('', { exclusive: true })).queue);
    const t = infoOf(w, CAROL_DN).tls;
    assert.ok(t);
    assert.equal(t.peerCertSubject, CAROL_DN);
    assert.equal(t.peerCertIssuer, 'CN=Warren Test CA,O=Warren Tests');
    assert.match(
      t.peerCertValidity ?? '',
      /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ - \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/,
    );
    await c.close();
  });

  test('EXTERNAL with the default DN naming does not match a user named by the bare CN', async () => {
    // user "alice" exists, but the DN of alice's certificate is "CN=alice,O=Warren Tests"
    const err = await refused(connectTls(w, { client: alice, external: true }));
    assert.match(err.message, /ACCESS_REFUSED|403/);
  });

  test('EXTERNAL without a client certificate is offered but refused', async () => {
    const err = await refused(connectTls(w, { external: true }));
    assert.match(err.message, /ACCESS_REFUSED|403/);
  });

  test('EXTERNAL is offered over TLS and not over plain TCP', async () => {
    const s = tls.connect({ host: '127.0.0.1', port: w.tlsPort, ca: [pki.ca.cert] });
    await once(s, 'secureConnect');
    assert.deepEqual(await offeredMechanisms(s), ['PLAIN', 'AMQPLAIN', 'EXTERNAL']);
    const p = net.connect({ host: '127.0.0.1', port: w.port });
    await once(p, 'connect');
    assert.deepEqual(await offeredMechanisms(p), ['PLAIN', 'AMQPLAIN']);
    const err = await refused(
      amqp.connect(`amqp://127.0.0.1:${w.port}`, { credentials: amqp.credentials.external() }),
    );
    assert.match(err.message, /SASL mechanism EXTERNAL is not provided by the server/);
  });

  test('plain TCP connections carry no TLS info', async () => {
    const c = await amqp.connect(w.url);
    connections.push(c);
    assert.equal(infoOf(w, 'guest').tls, undefined);
    await c.close();
  });
});

describe('verify_peer with fail_if_no_peer_cert, common_name logins, plain listener off', () => {
  let w: Warren;
  let freePort: number;
  before(async () => {
    const probe = net.createServer().listen(0, '127.0.0.1');
    await once(probe, 'listening');
    freePort = (probe.address() as net.AddressInfo).port;
    await new Promise((r) => probe.close(r));
    w = await start(
      { caFile: pki.ca.certFile, verifyPeer: true, failIfNoPeerCert: true },
      { tcp: false, port: freePort, sslCertLoginFrom: 'common_name' },
    );
    addUser(w, 'alice');
  });

  test('a client without a certificate is refused in the handshake', async () => {
    await refused(connectTls(w));
    await refused(connectTls(w, { maxVersion: 'TLSv1.2' }));
    assert.equal(w.broker.connections.size, 0);
  });

  test('a certificate from an untrusted CA is refused', async () => {
    await refused(connectTls(w, { client: mallory, external: true }));
  });

  test('EXTERNAL logs in as the certificate CN', async () => {
    const c = await connectTls(w, { client: alice, external: true });
    const ch = await c.createChannel();
    await ch.assertQueue('', { exclusive: true });
    assert.equal(infoOf(w, 'alice').tls?.peerCertSubject, 'CN=alice,O=Warren Tests');
    await c.close();
  });

  test('PLAIN still works for a client that has a certificate', async () => {
    const c = await connectTls(w, { client: alice });
    assert.equal(infoOf(w, 'guest').tls?.peerCertSubject, 'CN=alice,O=Warren Tests');
    await c.close();
  });

  test('EXTERNAL for a CN with no such user is refused with 403', async () => {
    const err = await refused(connectTls(w, { client: nobody, external: true }));
    assert.match(err.message, /ACCESS_REFUSED|403/);
  });

  test('the plain listener is off: its port refuses connections', async () => {
    assert.deepEqual(w.listenAddresses(), []);
    assert.throws(() => w.port, /plain AMQP listener is off/);
    const s = net.connect({ host: '127.0.0.1', port: freePort });
    const [err] = (await once(s, 'error')) as [NodeJS.ErrnoException];
    assert.equal(err.code, 'ECONNREFUSED');
  });
});

describe('verify_none, TLS 1.3 only', () => {
  let w: Warren;
  before(async () => {
    w = await start({ versions: ['tlsv1.3'] });
    addUser(w, 'alice');
  });

  test('a TLS 1.2-only client is refused; TLS 1.3 works', async () => {
    await refused(connectTls(w, { maxVersion: 'TLSv1.2' }));
    const c = await connectTls(w);
    assert.equal(infoOf(w, 'guest').tls?.protocol, 'tlsv1.3');
    await c.close();
  });

  test('no client certificate is asked for, so EXTERNAL has nothing to go by', async () => {
    const c = await connectTls(w, { client: alice });
    assert.equal(infoOf(w, 'guest').tls?.peerCertSubject, undefined);
    await c.close();
    await refused(connectTls(w, { client: alice, external: true }));
  });
});

describe('names rendered as RabbitMQ renders them (rabbit_cert_info)', () => {
  const CN = '2.5.4.3';
  const at = (type: string, value: string | Buffer, tag = 0x0c): NameAttribute => ({
    type,
    tag,
    value: typeof value === 'string' ? Buffer.from(value) : value,
  });

  test('RDNs reversed, multi-valued RDNs joined by +, unknown types as dotted OIDs', () => {
    const dn = [
      [at('2.5.4.6', 'NL', 0x13)],
      [at(CN, 'a'), at('0.9.2342.19200300.100.1.1', 'b')],
      [at('1.2.3.4', 'v')],
    ];
    assert.equal(formatDistinguishedName(dn), '1.2.3.4=v,CN=a+UID=b,C=NL');
  });

  test('RFC 4514 escapes, and UTF-8 bytes outside printable ASCII as \\HH', () => {
    assert.equal(
      formatDistinguishedName([[at(CN, '# a,b+c"d;e<f>g\\h ')]]),
      'CN=\\# a\\,b\\+c\\"d\\;e\\<f\\>g\\\\h\\ ',
    );
    assert.equal(formatDistinguishedName([[at(CN, 'Zoë~')]]), 'CN=Zo\\C3\\AB\\7E');
    // BMPString (UCS-2) and TeletexString (Latin-1) become UTF-8 first
    assert.equal(formatDistinguishedName([[at(CN, Buffer.from([0, 0xe9]), 0x1e)]]), 'CN=\\C3\\A9');
    assert.equal(formatDistinguishedName([[at(CN, Buffer.from([0xe9]), 0x14)]]), 'CN=\\C3\\A9');
  });

  test('common_name: every CN unescaped, in certificate order, joined by ","', () => {
    assert.equal(
      commonNames([[at(CN, 'first')], [at('2.5.4.10', 'O')], [at(CN, 'sec,ond')]]),
      'first,sec,ond',
    );
    assert.equal(commonNames([[at('2.5.4.10', 'O')]]), undefined);
  });

  test('validity in ISO 8601 from UTCTime and GeneralizedTime', () => {
    assert.equal(
      formatValidity({ tag: 0x17, text: '240101120000Z' }, { tag: 0x18, text: '20500102030405Z' }),
      '2024-01-01T12:00:00Z - 2050-01-02T03:04:05Z',
    );
  });
});

describe('configuration errors', () => {
  test('an unreadable certificate file is refused at start with the rabbitmq.conf key', async () => {
    await assert.rejects(
      start({ certFile: `${pki.dir}/missing.pem` }),
      /cannot read ssl_options\.certfile .*missing\.pem/,
    );
  });

  test('versions must be a contiguous range', async () => {
    await assert.rejects(start({ versions: ['tlsv1', 'tlsv1.3'] }), /contiguous range/);
  });

  test('fail_if_no_peer_cert needs verify_peer', async () => {
    await assert.rejects(start({ failIfNoPeerCert: true }), /requires verify = verify_peer/);
  });

  test('an unknown ssl_cert_login_from is refused', async () => {
    await assert.rejects(
      start({}, { sslCertLoginFrom: 'subject' as WarrenOptions['sslCertLoginFrom'] }),
      /unknown ssl_cert_login_from 'subject'/,
    );
  });
});

test('the warren command: --tls-* flags, WARREN_TLS_VERIFY_PEER, --no-tcp', async () => {
  const cli = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'src', 'cli', 'warren.js');
  const dataDir = await mkdtemp(join(tmpdir(), 'warren-tls-cli-'));
  const args = ['--host', '127.0.0.1', '--data-dir', dataDir, '--no-tcp', '--tls-port', '0'];
  args.push('--mgmt-port', '0', '--prometheus-port', '0');
  const files = [
    '--tls-cert',
    pki.server.certFile,
    '--tls-key',
    pki.server.keyFile,
    '--tls-ca',
    pki.ca.certFile,
  ];
  const child = spawn(process.execPath, [cli, ...args, ...files], {
    env: { ...process.env, WARREN_TLS_VERIFY_PEER: 'true', WARREN_TLS_FAIL_IF_NO_PEER_CERT: 'true' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  try {
    let out = '';
    const ready = await withTimeout(
      new Promise<string>((resolve, reject) => {
        child.stdout.on('data', (d: Buffer) => {
          out += d.toString();
          const line = out.split('\n').find((l) => l.includes('ready'));
          if (line) resolve(line);
        });
        child.on('exit', (code) => reject(new Error(`exited ${String(code)}: ${out}`)));
      }),
      10_000,
      'ready line',
    );
    assert.doesNotMatch(ready, /AMQP on/, 'no plain listener');
    const port = Number(/AMQPS on 127\.0\.0\.1:(\d+)/.exec(ready)?.[1]);
    assert.ok(port > 0, ready);
    const tlsOptions = { ca: [pki.ca.cert], cert: alice.cert, key: alice.key };
    const c = await amqp.connect(`amqps://guest:guest@127.0.0.1:${port}`, tlsOptions);
    await c.close();
    await refused(amqp.connect(`amqps://guest:guest@127.0.0.1:${port}`, { ca: [pki.ca.cert] }));
    const exited = once(child, 'exit');
    child.kill('SIGTERM');
    const [code] = (await withTimeout(exited, WAIT_MS, 'exit')) as [number | null];
    assert.equal(code, 0);
  } finally {
    child.kill('SIGKILL');
    await rm(dataDir, { recursive: true, force: true });
  }
});

const PYTHON = '/usr/bin/python3';
const PIKA_SCRIPT = `
import ssl, sys, pika
ca, cert, key, port = sys.argv[1:5]
ctx = ssl.create_default_context(cafile=ca)
ctx.load_cert_chain(cert, key)
params = pika.ConnectionParameters(host='127.0.0.1', port=int(port),
    ssl_options=pika.SSLOptions(ctx, 'localhost'),
    credentials=pika.credentials.ExternalCredentials())
conn = pika.BlockingConnection(params)
ch = conn.channel()
q = ch.queue_declare('', exclusive=True).method.queue
ch.basic_publish('', q, b'pika over tls')
for _ in range(100):
    method, props, body = ch.basic_get(q, auto_ack=True)
    if method:
        print(body.decode())
        break
    conn.sleep(0.02)
conn.close()
`;

const pikaProblem = ((): string | undefined => {
  const probe = spawnSync(PYTHON, ['-c', 'import pika'], { encoding: 'utf8', timeout: 30_000 });
  if (probe.error || probe.status !== 0) return `${PYTHON} with pika is not available`;
  return undefined;
})();

test(
  'pika over TLS with EXTERNAL (pika.SSLOptions, ExternalCredentials)',
  { skip: pikaProblem },
  async () => {
    const w = await start({ caFile: pki.ca.certFile, verifyPeer: true }, { sslCertLoginFrom: 'common_name' });
    addUser(w, 'alice');
    const child = spawn(
      PYTHON,
      ['-c', PIKA_SCRIPT, pki.ca.certFile, alice.certFile, alice.keyFile, String(w.tlsPort)],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let out = '';
    let errOut = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (errOut += d.toString()));
    const [code] = (await withTimeout(once(child, 'exit'), 15_000, 'pika script')) as [number | null];
    assert.equal(code, 0, errOut);
    assert.equal(out.trim(), 'pika over tls');
  },
);
