/**
 * Resource limits and alarms without sockets: RabbitMQ's information units, relative and absolute
 * limits turned into bytes, the command-line forms, the alarm set (reason text, events, unblocking),
 * and both monitors driven by fake free-space and RSS readings, including the disk monitor's polling
 * interval rule.
 */
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { describe, test } from 'node:test';
import { pino } from 'pino';
import { DiskMonitor } from '../../src/alarms/disk-monitor.js';
import {
  diskFreeLimitBytes,
  memoryLimitBytes,
  parseDiskFreeLimitArg,
  parseInformationUnit,
  parseMemoryWatermarkArg,
} from '../../src/alarms/limits.js';
import { MemoryMonitor } from '../../src/alarms/memory-monitor.js';
import { PublishThrottle } from '../../src/alarms/publish-throttle.js';
import { ResourceAlarms } from '../../src/alarms/resource-alarms.js';
import { tuneRefusal } from '../../src/amqp/tune-limits.js';
import { messageTooLarge, effectiveMaxMessageSize } from '../../src/amqp/message-size.js';
import { Broker } from '../../src/core/broker.js';

const silent = pino({ level: 'silent' });
const GiB = 1024 ** 3;

describe('information units (rabbit_resource_monitor_misc)', () => {
  test('plain integers are bytes', () => {
    assert.equal(parseInformationUnit(0), 0);
    assert.equal(parseInformationUnit(50_000_000), 50_000_000);
    assert.equal(parseInformationUnit('1000000'), 1_000_000);
  });

  test('decimal and binary units', () => {
    const cases: Array<[string, number]> = [
      ['50MB', 50_000_000],
      ['50mb', 50_000_000],
      ['50M', 50_000_000],
      ['2GB', 2_000_000_000],
      ['2g', 2_000_000_000],
      ['3kB', 3000],
      ['3k', 3000],
      ['1TB', 1e12],
      ['1PB', 1e15],
      ['2GiB', 2 * GiB],
      ['2Gi', 2 * GiB],
      ['512MiB', 512 * 1024 ** 2],
      ['4KiB', 4096],
      ['4ki', 4096],
      ['1TiB', 1024 ** 4],
    ];
    for (const [s, bytes] of cases) assert.equal(parseInformationUnit(s), bytes, s);
  });

  test('anything else is refused', () => {
    for (const bad of ['', 'MB', '1.5GB', '-1', '10 potatoes', '10XB', '1mB', '1T', '0x10']) {
      assert.throws(() => parseInformationUnit(bad), /not an amount of information/, bad);
    }
    assert.throws(() => parseInformationUnit(-1), /not a number of bytes/);
    assert.throws(() => parseInformationUnit(1.5), /not a number of bytes/);
  });
});

describe('limits in bytes', () => {
  const ram = 16 * GiB;

  test('disk: absolute, with units, or relative to RAM (rounded)', () => {
    assert.equal(diskFreeLimitBytes(50_000_000, ram), 50_000_000);
    assert.equal(diskFreeLimitBytes('1GB', ram), 1e9);
    assert.equal(diskFreeLimitBytes({ absolute: '2GiB' }, ram), 2 * GiB);
    assert.equal(diskFreeLimitBytes({ relative: 1.5 }, ram), 24 * GiB);
    assert.equal(diskFreeLimitBytes({ relative: 1 / 3 }, 10), 3);
    assert.throws(() => diskFreeLimitBytes({ relative: -1 }, ram), /non-negative/);
    assert.throws(() => diskFreeLimitBytes({ relative: Number.NaN }, ram), /non-negative/);
  });

  test('memory: a fraction of RAM (truncated), capped at 1.0', () => {
    assert.deepEqual(memoryLimitBytes(0.4, 1000), { bytes: 400, capped: false });
    assert.deepEqual(memoryLimitBytes({ relative: 0.4 }, 1001), { bytes: 400, capped: false });
    assert.deepEqual(memoryLimitBytes(0, 1000), { bytes: 0, capped: false });
    assert.deepEqual(memoryLimitBytes(1.5, 1000), { bytes: 1000, capped: true });
    assert.throws(() => memoryLimitBytes(-0.1, 1000), /non-negative/);
  });

  test('memory: absolute amounts, capped at RAM', () => {
    assert.deepEqual(memoryLimitBytes({ absolute: '2GB' }, ram), { bytes: 2e9, capped: false });
    assert.deepEqual(memoryLimitBytes({ absolute: 1024 }, ram), { bytes: 1024, capped: false });
    assert.equal(memoryLimitBytes({ absolute: '100GiB' }, ram).bytes, ram);
    assert.throws(() => memoryLimitBytes({ absolute: 'lots' }, ram), /not an amount/);
  });
});

describe('command-line forms', () => {
  test('--disk-free-limit', () => {
    assert.equal(parseDiskFreeLimitArg('50MB'), '50MB');
    assert.equal(parseDiskFreeLimitArg('1000'), '1000');
    assert.deepEqual(parseDiskFreeLimitArg('relative:1.5'), { relative: 1.5 });
    assert.deepEqual(parseDiskFreeLimitArg('mem_relative:2'), { relative: 2 });
    assert.throws(() => parseDiskFreeLimitArg('relative:'), /not a number/);
    assert.throws(() => parseDiskFreeLimitArg('relative:-1'), /non-negative/);
    assert.throws(() => parseDiskFreeLimitArg('lots'), /not an amount/);
  });

  test('--vm-memory-high-watermark', () => {
    assert.deepEqual(parseMemoryWatermarkArg('0.4'), { relative: 0.4 });
    assert.deepEqual(parseMemoryWatermarkArg('relative:0.6'), { relative: 0.6 });
    assert.deepEqual(parseMemoryWatermarkArg('absolute:2GB'), { absolute: '2GB' });
    assert.deepEqual(parseMemoryWatermarkArg('absolute:1073741824'), { absolute: '1073741824' });
    assert.deepEqual(parseMemoryWatermarkArg('512MiB'), { absolute: '512MiB' });
    assert.throws(() => parseMemoryWatermarkArg('absolute:2 potatoes'), /not an amount/);
    assert.throws(() => parseMemoryWatermarkArg('high'), /not a number/);
    assert.throws(() => parseMemoryWatermarkArg('-0.5'), /non-negative/);
  });
});

describe('ResourceAlarms', () => {
  test('reason texts as rabbit_reader words them, disk first', () => {
    const a = new ResourceAlarms(new EventEmitter());
    a.set('memory', 'x');
    assert.equal(a.reason(), 'low on memory');
    a.set('disk', 'x');
    assert.equal(a.reason(), 'low on disk & memory');
    assert.deepEqual(a.list(), ['disk', 'memory']);
    a.clear('memory', 'x');
    assert.equal(a.reason(), 'low on disk');
  });

  test('events once per change; active follows the set', () => {
    const events: string[] = [];
    const e = new EventEmitter();
    e.on('alarm-set', (r: string) => events.push(`set ${r}`));
    e.on('alarm-clear', (r: string) => events.push(`clear ${r}`));
    const a = new ResourceAlarms(e);
    a.set('disk', 'x');
    a.set('disk', 'x');
    assert.equal(a.active, true);
    a.clear('memory', 'x');
    a.clear('disk', 'x');
    a.clear('disk', 'x');
    assert.equal(a.active, false);
    assert.deepEqual(events, ['set disk', 'clear disk']);
  });

  test('blocked connections are released only when the last alarm clears', () => {
    const a = new ResourceAlarms(new EventEmitter());
    const log: string[] = [];
    const conn = {
      stopReading: () => log.push('stop'),
      resumeReading: () => log.push('resume'),
      sendBlocked: (reason: string) => log.push(`blocked: ${reason}`),
      sendUnblocked: () => log.push('unblocked'),
    };
    const t = new PublishThrottle(a, conn);
    t.notify = true;
    t.publishReceived();
    assert.equal(t.state, 'running', 'no alarm: nothing happens');
    a.set('memory', 'x');
    assert.equal(t.state, 'blocking');
    t.publishReceived();
    t.publishReceived();
    assert.equal(t.state, 'blocked');
    a.set('disk', 'x');
    a.clear('memory', 'x');
    assert.equal(t.state, 'blocked', 'disk is still low');
    a.clear('disk', 'x');
    assert.equal(t.state, 'running');
    assert.deepEqual(log, ['stop', 'blocked: low on memory', 'unblocked', 'resume']);
    assert.equal(a.blockedCount, 0);
  });

  test('without the capability nothing is sent, but reading still stops', () => {
    const a = new ResourceAlarms(new EventEmitter());
    const log: string[] = [];
    const t = new PublishThrottle(a, {
      stopReading: () => log.push('stop'),
      resumeReading: () => log.push('resume'),
      sendBlocked: () => log.push('blocked'),
      sendUnblocked: () => log.push('unblocked'),
    });
    a.set('disk', 'x');
    t.publishReceived();
    a.clear('disk', 'x');
    assert.deepEqual(log, ['stop', 'resume']);
  });

  test('a connection released for closing is not unblocked later', () => {
    const a = new ResourceAlarms(new EventEmitter());
    const log: string[] = [];
    const t = new PublishThrottle(a, {
      stopReading: () => log.push('stop'),
      resumeReading: () => log.push('resume'),
      sendBlocked: () => log.push('blocked'),
      sendUnblocked: () => log.push('unblocked'),
    });
    t.notify = true;
    a.set('disk', 'x');
    t.publishReceived();
    t.release();
    a.clear('disk', 'x');
    assert.deepEqual(log, ['stop', 'blocked', 'resume']);
  });

  test('localAlarms in the health check format', () => {
    const b = new Broker();
    b.alarms.set('memory', 'x');
    b.alarms.set('disk', 'x');
    assert.deepEqual(b.localAlarms(), [
      { resource: 'disk space', node: b.clusterName },
      { resource: 'memory', node: b.clusterName },
    ]);
    assert.throws(() => b.setMemoryHighWatermark(0.4), /not running/);
  });
});

describe('DiskMonitor', () => {
  function monitor(free: () => number, limit = 1000) {
    const alarms = new ResourceAlarms(new EventEmitter());
    const m = new DiskMonitor(
      alarms,
      { dir: '/x', limit, freeBytes: () => Promise.resolve(free()), totalMemory: () => 4000 },
      silent,
    );
    return { alarms, m };
  }

  test('alarm while free space is below the limit (equal is enough)', async () => {
    let free = 999;
    const { alarms, m } = monitor(() => free);
    await m.look();
    assert.deepEqual(alarms.list(), ['disk']);
    free = 1000;
    await m.look();
    assert.deepEqual(alarms.list(), []);
    assert.equal(m.free, 1000);
  });

  test('setLimit applies at once, relative limits use RAM', async () => {
    const { alarms, m } = monitor(() => 5000);
    await m.look();
    assert.equal(alarms.active, false);
    await m.setLimit({ relative: 2 });
    assert.equal(m.limitBytes, 8000);
    assert.deepEqual(alarms.list(), ['disk']);
    await m.setLimit('5kB');
    assert.equal(alarms.active, false);
  });

  test('unreadable free space changes nothing', async () => {
    const alarms = new ResourceAlarms(new EventEmitter());
    let fail = false;
    const m = new DiskMonitor(
      alarms,
      {
        dir: '/x',
        limit: 1000,
        freeBytes: () => (fail ? Promise.reject(new Error('EIO')) : Promise.resolve(10)),
      },
      silent,
    );
    await m.look();
    assert.equal(alarms.active, true);
    fail = true;
    await m.look();
    assert.equal(m.free, undefined);
    assert.equal(alarms.active, true, 'an unknown reading neither sets nor clears');
    assert.equal(m.interval(), 10_000);
  });

  test('polling interval: RabbitMQ rule, between 100 ms and 10 s', async () => {
    let free = 1000 + 250_000 * 1000; // headroom a 250 MB/s write fills in 1 s
    const { m } = monitor(() => free);
    await m.look();
    assert.equal(m.interval(), 2000);
    free = 1000 + 1000;
    await m.look();
    assert.equal(m.interval(), 100);
    free = 1e15;
    await m.look();
    assert.equal(m.interval(), 10_000);
    free = 0;
    await m.look();
    assert.equal(m.interval(), 10_000, 'in alarm: the slow rate');
  });

  test('without a directory the monitor is off', async () => {
    const alarms = new ResourceAlarms(new EventEmitter());
    const m = new DiskMonitor(alarms, { dir: undefined, limit: 1e18 }, silent);
    await m.start();
    await m.setLimit(1e15);
    assert.equal(m.enabled, false);
    assert.equal(alarms.active, false);
    assert.equal(m.limitBytes, 1e15);
  });

  test('a bad limit is refused when the monitor is built', () => {
    const alarms = new ResourceAlarms(new EventEmitter());
    assert.throws(() => new DiskMonitor(alarms, { dir: '/x', limit: '50 parsecs' }, silent), /not an amount/);
  });
});

describe('MemoryMonitor', () => {
  test('alarm while RSS is above the watermark (equal is not)', () => {
    let rss = 500;
    const alarms = new ResourceAlarms(new EventEmitter());
    const m = new MemoryMonitor(
      alarms,
      { watermark: 0.5, rss: () => rss, totalMemory: () => 1000, intervalMs: 60_000 },
      silent,
    );
    m.start();
    try {
      assert.equal(m.limitBytes, 500);
      assert.equal(alarms.active, false);
      rss = 501;
      m.look();
      assert.deepEqual(alarms.list(), ['memory']);
      m.setWatermark({ absolute: 600 });
      assert.equal(alarms.active, false);
      m.setWatermark(0);
      assert.equal(alarms.active, true, 'a watermark of 0 blocks all publishing');
    } finally {
      m.stop();
    }
  });
});

describe('connection limits (RabbitMQ 3.13 wording)', () => {
  const server = { frameMax: 131072, channelMax: 2047 };

  test('tune-ok values within the limits pass', () => {
    assert.equal(tuneRefusal(server, { frameMax: 4096, channelMax: 1 }), undefined);
    assert.equal(tuneRefusal(server, server), undefined);
  });

  test('tune-ok values outside them are refused with 530 and validate_negotiated_integer_value text', () => {
    const cases: Array<[number, number, string]> = [
      [1000, 10, 'negotiated frame_max = 1000 is lower than the minimum allowed value (4096)'],
      [200000, 10, 'negotiated frame_max = 200000 is higher than the maximum allowed value (131072)'],
      [0, 10, 'negotiated frame_max = 0 is higher than the maximum allowed value (131072)'],
      [8192, 5000, 'negotiated channel_max = 5000 is higher than the maximum allowed value (2047)'],
      [8192, 0, 'negotiated channel_max = 0 (no limit) is higher than the maximum allowed value (2047)'],
    ];
    for (const [frameMax, channelMax, text] of cases) {
      const e = tuneRefusal(server, { frameMax, channelMax });
      assert.ok(e, `${frameMax}/${channelMax} refused`);
      assert.equal(e.code, 530);
      assert.equal(e.text, text);
      assert.deepEqual([e.classId, e.methodId], [10, 30]);
    }
  });

  test('max_message_size is capped at 512 MiB, which is then "max size"', () => {
    assert.equal(effectiveMaxMessageSize(1024), 1024);
    assert.equal(effectiveMaxMessageSize(2 ** 40), 536870912);
    assert.equal(
      messageTooLarge(2000, 1024).replyText,
      'PRECONDITION_FAILED - message size 2000 is larger than configured max size 1024',
    );
    assert.equal(
      messageTooLarge(536870913, 536870912).replyText,
      'PRECONDITION_FAILED - message size 536870913 is larger than max size 536870912',
    );
  });
});
