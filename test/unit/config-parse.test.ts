/**
 * rabbitmq.conf parsing without a broker: cuttlefish's syntax (comments, quoting, includes, last
 * value wins), every supported key with RabbitMQ's value formats, the combined translations
 * (listeners with `none`, loopback_users, absolute over relative limits, log outputs), and refusals
 * naming the file and line.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { ConfigError } from '../../src/config/error.js';
import { loadConfigFile, parseConfig } from '../../src/config/load.js';
import type { ConfigOptions } from '../../src/config/options.js';

const dir = mkdtempSync(join(tmpdir(), 'warren-conf-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const conf = join(dir, 'rabbitmq.conf');
const cert = join(dir, 'server.pem');
const keyFile = join(dir, 'server.key');
const ca = join(dir, 'ca.pem');
for (const f of [cert, keyFile, ca]) writeFileSync(f, 'not checked here\n');

const parse = (text: string): ConfigOptions => parseConfig(text, conf).options;

/** Asserts that `text` is refused at `line` with a message matching `message`. */
function refused(text: string, line: number, message: RegExp): void {
  assert.throws(
    () => parseConfig(text, conf),
    (e: unknown) => {
      assert.ok(e instanceof ConfigError, `expected a ConfigError, got ${String(e)}`);
      assert.equal(e.line, line, e.message);
      assert.equal(e.file, conf);
      assert.ok(e.message.startsWith(`${conf}:${line}: `), e.message);
      assert.match(e.detail, message);
      return true;
    },
  );
}

describe('syntax', () => {
  test('comments, blank lines, blanks around = and trailing comments', () => {
    const o = parse(
      [
        '# a comment',
        '',
        '   \t',
        '  heartbeat=30   ',
        'channel_max   =   100 # trailing comment',
        '\t# indented comment',
        "default_pass = 'pa#ss word'  # quoted keeps # and blanks",
        'default_user = bob#no blank needed before a comment',
      ].join('\n'),
    );
    assert.equal(o.heartbeat, 30);
    assert.equal(o.channelMax, 100);
    assert.equal(o.defaultPass, 'pa#ss word');
    assert.equal(o.defaultUser, 'bob');
  });

  test("CRLF line ends, a '''multi-line''' value, and the last of a repeated key wins", () => {
    const o = parse("heartbeat = 10\r\ndefault_pass = '''\r\nline one\r\nline two'''\r\nheartbeat = 20\r\n");
    assert.equal(o.heartbeat, 20);
    assert.equal(o.defaultPass, 'line one\r\nline two');
  });

  test('line numbers count lines inside quoted values', () => {
    refused("default_pass = '''a\nb\nc'''\nnope = 1\n", 4, /unknown key 'nope'/);
  });

  test('syntax errors name the line', () => {
    refused('heartbeat = 1\nheartbeat 30\n', 2, /expected '=' after 'heartbeat'/);
    refused('heartbeat = 1\n\nheartbeat\n', 3, /'heartbeat' needs '= value'/);
    refused('heartbeat =   \n', 1, /'heartbeat' has no value/);
    refused('= 5\n', 1, /not a key/);
    refused('listeners..tcp = 5\n', 1, /not a key|ends with a dot/);
    refused("default_pass = 'open\n", 1, /never closes/);
    refused("default_pass = 'a' b\n", 1, /unexpected 'b'/);
  });

  test('include: relative to the including file, * in the file name, errors name the included file', () => {
    const sub = join(dir, 'conf.d');
    mkdirSync(sub, { recursive: true });
    writeFileSync(join(sub, '10-a.conf'), 'heartbeat = 11\n');
    writeFileSync(join(sub, '20-b.conf'), 'heartbeat = 22\nchannel_max = 7\n');
    writeFileSync(join(sub, 'skip.txt'), 'nonsense\n');
    const main = join(dir, 'with-include.conf');
    writeFileSync(main, 'heartbeat = 1\ninclude conf.d/*.conf\n');
    const o = loadConfigFile(main).options;
    assert.equal(o.heartbeat, 22);
    assert.equal(o.channelMax, 7);

    writeFileSync(join(sub, '30-bad.conf'), '\nbogus.key = 1\n');
    assert.throws(
      () => loadConfigFile(main),
      (e: unknown) => e instanceof ConfigError && e.file === join(sub, '30-bad.conf') && e.line === 2,
    );
    rmSync(join(sub, '30-bad.conf'));
  });

  test('a missing file is refused with its name', () => {
    assert.throws(() => loadConfigFile(join(dir, 'absent.conf')), /absent\.conf: config file not found/);
  });
});

describe('keys', () => {
  test('listeners.tcp.default: a port, or ip:port (IPv4, IPv6 with or without brackets)', () => {
    assert.deepEqual(pick(parse('listeners.tcp.default = 5673'), 'host', 'port'), {
      host: undefined,
      port: 5673,
    });
    assert.deepEqual(pick(parse('listeners.tcp.local = 127.0.0.1:5674'), 'host', 'port'), {
      host: '127.0.0.1',
      port: 5674,
    });
    assert.deepEqual(pick(parse('listeners.tcp.v6 = ::1:5675'), 'host', 'port'), { host: '::1', port: 5675 });
    assert.deepEqual(pick(parse('listeners.tcp.v6 = [::1]:5676'), 'host', 'port'), {
      host: '::1',
      port: 5676,
    });
    // Both wildcard addresses on one port is Warren's "all interfaces".
    const both = parse('listeners.tcp.1 = 0.0.0.0:5672\nlisteners.tcp.2 = :::5672');
    assert.deepEqual(pick(both, 'host', 'port'), { host: undefined, port: 5672 });
    refused('listeners.tcp.default = 70000', 1, /port number from 1 to 65535/);
    refused('listeners.tcp.default = localhost:5672', 1, /'localhost' is not an IP address/);
    refused('listeners.tcp.default = 5672\nlisteners.tcp.other = 127.0.0.1:5673', 2, /one address/);
  });

  test('listeners.tcp = none turns plain AMQP off (and wins over named listeners, as in RabbitMQ)', () => {
    const o = parse('listeners.tcp = none\nlisteners.tcp.default = 5672');
    assert.equal(o.tcp, false);
    assert.equal(o.port, undefined);
    refused('listeners.tcp = off', 1, /expected one of none/);
  });

  test('listeners.ssl.default with ssl_options.*', () => {
    const o = parse(
      [
        'listeners.ssl.default = 127.0.0.1:5671',
        `ssl_options.cacertfile = ${ca}`,
        `ssl_options.certfile = ${cert}`,
        'ssl_options.keyfile = server.key', // relative to the config file's directory
        'ssl_options.password = secret',
        'ssl_options.verify = verify_peer',
        'ssl_options.fail_if_no_peer_cert = true',
        'ssl_options.versions.1 = tlsv1.3',
        'ssl_options.versions.2 = tlsv1.2',
        'ssl_options.ciphers.1 = TLS_AES_256_GCM_SHA384',
        'ssl_handshake_timeout = 7000',
      ].join('\n'),
    );
    assert.deepEqual(o.tls, {
      port: 5671,
      host: '127.0.0.1',
      caFile: ca,
      certFile: cert,
      keyFile,
      password: 'secret',
      verifyPeer: true,
      failIfNoPeerCert: true,
      versions: ['tlsv1.3', 'tlsv1.2'],
      ciphers: ['TLS_AES_256_GCM_SHA384'],
      handshakeTimeoutMs: 7000,
    });
    // ssl_options alone start no TLS listener.
    assert.equal(parse(`ssl_options.certfile = ${cert}`).tls, undefined);
    assert.equal(
      parse(`listeners.ssl = none\nlisteners.ssl.default = 5671\nssl_options.certfile = ${cert}`).tls,
      undefined,
    );
    refused('listeners.ssl.default = 5671', 1, /needs ssl_options.certfile and ssl_options.keyfile/);
    refused(`ssl_options.certfile = ${join(dir, 'missing.pem')}`, 1, /does not exist or cannot be read/);
    refused('\nssl_options.verify = yes', 2, /expected one of verify_peer, verify_none/);
    refused('ssl_options.fail_if_no_peer_cert = 1', 1, /expected true or false/);
    refused('ssl_options.versions.1 = sslv3', 1, /expected one of tlsv1, tlsv1.1, tlsv1.2, tlsv1.3/);
  });

  test('auth_mechanisms.N in file order, ssl_cert_login_from', () => {
    const o = parse(
      'auth_mechanisms.2 = PLAIN\nauth_mechanisms.1 = EXTERNAL\nssl_cert_login_from = common_name',
    );
    assert.deepEqual(o.authMechanisms, ['PLAIN', 'EXTERNAL']);
    assert.equal(o.sslCertLoginFrom, 'common_name');
    refused('auth_mechanisms.1 = CRAM-MD5', 1, /expected one of PLAIN, AMQPLAIN, EXTERNAL/);
    refused('ssl_cert_login_from = serial', 1, /expected one of distinguished_name, common_name/);
  });

  test('default_user, default_pass, default_vhost', () => {
    assert.deepEqual(
      pick(
        parse('default_user = admin\ndefault_pass = s3cret\ndefault_vhost = prod'),
        'defaultUser',
        'defaultPass',
        'defaultVhost',
      ),
      {
        defaultUser: 'admin',
        defaultPass: 's3cret',
        defaultVhost: 'prod',
      },
    );
  });

  test('loopback_users: the list replaces the default; none empties it', () => {
    assert.deepEqual(parse('loopback_users.guest = false').loopbackUsers, []);
    assert.deepEqual(parse('loopback_users.guest = true\nloopback_users.ops = true').loopbackUsers, [
      'guest',
      'ops',
    ]);
    assert.deepEqual(parse('loopback_users = none\nloopback_users.guest = true').loopbackUsers, []);
    assert.deepEqual(parse('loopback_users.john\\.doe = true').loopbackUsers, ['john.doe']);
    assert.equal(parse('heartbeat = 1').loopbackUsers, undefined);
    refused('loopback_users.guest = yes', 1, /expected true or false/);
  });

  test('disk_free_limit: sizes with RabbitMQ 3.13 units; absolute wins over relative with a warning', () => {
    const size = (v: string): unknown => parse(`disk_free_limit.absolute = ${v}`).diskFreeLimit;
    assert.deepEqual(size('50000000'), { absolute: 50_000_000 });
    assert.deepEqual(size('50MB'), { absolute: 50_000_000 });
    assert.deepEqual(size('50mb'), { absolute: 50_000_000 });
    assert.deepEqual(size('500MiB'), { absolute: 500 * 1024 ** 2 });
    assert.deepEqual(size('2GB'), { absolute: 2e9 });
    assert.deepEqual(size('2Gi'), { absolute: 2 * 1024 ** 3 });
    assert.deepEqual(size('1k'), { absolute: 1000 });
    assert.deepEqual(size('1KiB'), { absolute: 1024 });
    assert.deepEqual(size('1TB'), { absolute: 1e12 });
    assert.deepEqual(parse('disk_free_limit.relative = 1.5').diskFreeLimit, { relative: 1.5 });
    assert.deepEqual(parse('disk_free_limit.relative = 2').diskFreeLimit, { relative: 2 });
    const both = parseConfig('disk_free_limit.relative = 2.0\ndisk_free_limit.absolute = 1GB', conf);
    assert.deepEqual(both.options.diskFreeLimit, { absolute: 1e9 });
    assert.match(both.warnings.join('\n'), /disk_free_limit.absolute has precedence/);
    refused('\n\ndisk_free_limit.absolute = 50 MB', 3, /supported|expected bytes or a size/);
    refused('disk_free_limit.absolute = 50XB', 1, /expected bytes or a size/);
    refused('disk_free_limit.relative = -1', 1, /decimal number/);
  });

  test('vm_memory_high_watermark: relative ratio or absolute size', () => {
    assert.deepEqual(parse('vm_memory_high_watermark.relative = 0.6').memoryHighWatermark, {
      relative: 0.6,
    });
    assert.deepEqual(parse('vm_memory_high_watermark.absolute = 1GiB').memoryHighWatermark, {
      absolute: 1024 ** 3,
    });
    const both = parseConfig(
      'vm_memory_high_watermark.absolute = 2GB\nvm_memory_high_watermark.relative = 0.4',
      conf,
    );
    assert.deepEqual(both.options.memoryHighWatermark, { absolute: 2e9 });
    assert.equal(both.warnings.length, 1);
    refused('vm_memory_high_watermark.relative = forty', 1, /decimal number/);
  });

  test('heartbeat, frame_max (bytesize), channel_max (0 = no limit), max_message_size, consumer_timeout, handshake_timeout', () => {
    const o = parse(
      [
        'heartbeat = 0',
        'frame_max = 256KB',
        'channel_max = 0',
        'max_message_size = 536870912',
        'consumer_timeout = 900000',
        'handshake_timeout = 5000',
      ].join('\n'),
    );
    assert.deepEqual(
      pick(
        o,
        'heartbeat',
        'frameMax',
        'channelMax',
        'maxMessageSize',
        'consumerTimeoutMs',
        'handshakeTimeoutMs',
      ),
      {
        heartbeat: 0,
        frameMax: 262144,
        channelMax: 65535,
        maxMessageSize: 536870912,
        consumerTimeoutMs: 900000,
        handshakeTimeoutMs: 5000,
      },
    );
    assert.equal(parse('frame_max = 131072').frameMax, 131072);
    refused('heartbeat = 1.5', 1, /expected an integer, got '1.5'/);
    refused('heartbeat = -1', 1, /from 0 to 65535/);
    refused('frame_max = 1024', 1, /4096 bytes to 4GB/);
    refused('channel_max = 70000', 1, /from 0 to 65535/);
    refused('max_message_size = 536870913', 1, /between 0 and 512MB/);
    refused('max_message_size = 0', 1, /between 0 and 512MB/);
    refused('consumer_timeout = 0', 1, /greater or equal to one/);
  });

  test('management.tcp.port and prometheus.tcp.port', () => {
    const o = parse('management.tcp.port = 15673\nprometheus.tcp.port = 15693');
    assert.equal(o.managementPort, 15673);
    assert.equal(o.prometheusPort, 15693);
    refused('management.tcp.port = http', 1, /expected an integer/);
  });

  test('load_definitions (file or directory), or definitions.local.path with the local_filesystem backend', () => {
    const defs = join(dir, 'defs.json');
    writeFileSync(defs, '{}');
    assert.equal(parse('load_definitions = defs.json').loadDefinitions, defs);
    assert.equal(parse(`load_definitions = ${dir}`).loadDefinitions, dir);
    assert.equal(
      parse(`definitions.import_backend = local_filesystem\ndefinitions.local.path = ${defs}`)
        .loadDefinitions,
      defs,
    );
    refused('load_definitions = /nonexistent/defs.json', 1, /does not exist or cannot be read/);
    refused(`\ndefinitions.local.path = ${defs}`, 2, /needs definitions.import_backend = local_filesystem/);
    refused('definitions.import_backend = https', 1, /expected one of local_filesystem/);
  });

  test('log.console, log.console.level, log.file, log.file.level, log.dir', () => {
    assert.equal(parse('log.console.level = warning').logLevel, 'warn');
    assert.equal(parse('log.console.level = notice').logLevel, 'info');
    assert.equal(parse('log.console.level = critical').logLevel, 'error');
    assert.equal(parse('log.console.level = none').logLevel, 'silent');
    assert.equal(parse('log.console = false\nlog.console.level = debug').logLevel, 'silent');
    assert.equal(parse('log.console = true').logLevel, undefined);
    const f = parse('log.dir = /var/log/warren\nlog.file = warren.log\nlog.file.level = debug');
    assert.equal(f.logFile, '/var/log/warren/warren.log');
    assert.equal(f.logFileLevel, 'debug');
    assert.equal(parse('log.file = w.log').logFile, join(dir, 'w.log'));
    assert.equal(parse('log.file = w.log').logFileLevel, 'info');
    assert.equal(parse('log.file = false').logFile, undefined);
    const noFile = parseConfig('log.file.level = info', conf);
    assert.equal(noFile.options.logFile, undefined);
    assert.match(noFile.warnings.join(), /no effect without log.file/);
    refused('log.console.level = verbose', 1, /expected one of debug, info/);
    refused('log.file.level = <=notice', 1, /level filter '<=notice' is not supported/);
  });

  test('warren.data_dir, relative to the config file', () => {
    assert.equal(parse('warren.data_dir = data').dataDir, join(dir, 'data'));
    assert.equal(parse('warren.data_dir = /srv/warren').dataDir, '/srv/warren');
  });

  test('unknown keys are refused with the line number', () => {
    refused(
      'heartbeat = 10\n\n# comment\ncluster_formation.peer_discovery_backend = classic\n',
      4,
      /unknown key 'cluster_formation.peer_discovery_backend'/,
    );
    refused('listeners.tcp.a.b = 1', 1, /unknown key 'listeners.tcp.a.b'/);
    refused('Heartbeat = 1', 1, /unknown key 'Heartbeat'/);
  });

  test('an empty file sets nothing', () => {
    assert.deepEqual(parseConfig('# nothing\n\n', conf), { file: conf, options: {}, warnings: [] });
  });
});

function pick<T extends object, K extends keyof T>(o: T, ...keys: K[]): Pick<T, K> {
  const out = {} as Pick<T, K>;
  for (const k of keys) out[k] = o[k];
  return out;
}
