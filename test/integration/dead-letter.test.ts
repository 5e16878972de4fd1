/**
 * Dead-lettering: x-dead-letter-exchange and x-dead-letter-routing-key; the reasons rejected (basic.reject
 * and basic.nack with requeue=false), expired and maxlen; the x-death header (its entries, their merging
 * per {queue, reason} and their order), x-first-death-* and x-last-death-*; the expiration property
 * removed; routing with the original routing keys (CC and BCC) when there is no dead-letter routing key;
 * a missing DLX; and cycle detection (a cycle without a rejection drops the message).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import type { Channel, GetMessage, Message } from 'amqplib';
import { uniqueName } from '../helpers/broker.js';
import {
  REPLY,
  drain,
  expectReply,
  fill,
  isClosed,
  publishConfirmed,
  range,
  readyCount,
  useBroker,
} from '../helpers/amqp.js';
import { waitFor } from '../helpers/wait.js';

type Death = Record<string, unknown>;

function deaths(m: Message): Death[] {
  const d: unknown = m.properties.headers?.['x-death'];
  assert.ok(Array.isArray(d), `x-death missing from ${JSON.stringify(m.properties.headers)}`);
  return d as Death[];
}

function header(m: Message, key: string): unknown {
  return m.properties.headers?.[key];
}

/** The x-death entry without its time, for deepEqual. */
function withoutTime(d: Death | undefined): Death {
  assert.ok(d, 'missing x-death entry');
  const { time: _time, ...rest } = d;
  return rest;
}

describe('dead-lettering', () => {
  const h = useBroker();

  /** Waits for `n` ready messages in `q` and takes them (no-ack), in order. */
  async function takeN(ch: Channel, q: string, n: number): Promise<GetMessage[]> {
    await waitFor(async () => (await readyCount(ch, q)) === n, undefined, `${n} ready messages in ${q}`);
    const out: GetMessage[] = [];
    for (let i = 0; i < n; i++) {
      const m = await ch.get(q, { noAck: true });
      assert.ok(m, `${q} ran dry after ${i}`);
      out.push(m);
    }
    return out;
  }

  async function takeOne(ch: Channel, q: string): Promise<GetMessage> {
    const [m] = await takeN(ch, q, 1);
    assert.ok(m);
    return m;
  }

  /** Takes the next message from `q` (with ack) and rejects it without requeue. */
  async function rejectNext(ch: Channel, q: string): Promise<void> {
    await waitFor(async () => (await readyCount(ch, q)) >= 1, undefined, `a message in ${q}`);
    const m = await ch.get(q);
    assert.ok(m);
    ch.reject(m, false);
  }

  /** A queue dead-lettering through the default exchange into a fresh queue. */
  async function withDlq(args: Record<string, unknown> = {}): Promise<{ q: string; dlq: string }> {
    const dlq = await h.queue({}, 'dlq');
    const q = await h.queue({
      arguments: { 'x-dead-letter-exchange': '', 'x-dead-letter-routing-key': dlq, ...args },
    });
    return { q, dlq };
  }

  test('basic.reject without requeue: rejected, with the message intact and one complete x-death entry', async () => {
    const src = await h.exchange('direct', {}, 'src');
    const dlx = await h.exchange('direct', {}, 'dlx');
    const dlq = await h.queue({}, 'dlq');
    const q = await h.queue({
      arguments: { 'x-dead-letter-exchange': dlx, 'x-dead-letter-routing-key': 'dead' },
    });
    const ch = await h.confirmChannel();
    await ch.bindQueue(q, src, 'k');
    await ch.bindQueue(dlq, dlx, 'dead');
    await publishConfirmed(ch, src, 'k', 'payload', {
      contentType: 'text/plain',
      messageId: 'id-1',
      correlationId: 'corr',
      priority: 3,
      persistent: true,
      headers: { custom: 'v' },
    });
    const before = Math.floor(Date.now() / 1000);
    await rejectNext(ch, q);
    const m = await takeOne(ch, dlq);
    const after = Math.ceil(Date.now() / 1000);

    assert.equal(m.content.toString(), 'payload');
    assert.deepEqual([m.fields.exchange, m.fields.routingKey, m.fields.redelivered], [dlx, 'dead', false]);
    assert.equal(m.properties.contentType, 'text/plain');
    assert.equal(m.properties.messageId, 'id-1');
    assert.equal(m.properties.correlationId, 'corr');
    assert.equal(m.properties.priority, 3);
    assert.equal(m.properties.deliveryMode, 2);
    assert.equal(header(m, 'custom'), 'v');

    const [death, ...more] = deaths(m);
    assert.equal(more.length, 0);
    assert.ok(death);
    assert.deepEqual(Object.keys(death).sort(), [
      'count',
      'exchange',
      'queue',
      'reason',
      'routing-keys',
      'time',
    ]);
    assert.deepEqual(withoutTime(death), {
      count: 1,
      reason: 'rejected',
      queue: q,
      exchange: src,
      'routing-keys': ['k'],
    });
    const time = death['time'] as { '!': string; value: number };
    assert.equal(time['!'], 'timestamp');
    assert.ok(time.value >= before - 1 && time.value <= after + 1, `x-death time ${time.value} (seconds)`);

    assert.equal(header(m, 'x-first-death-reason'), 'rejected');
    assert.equal(header(m, 'x-first-death-queue'), q);
    assert.equal(header(m, 'x-first-death-exchange'), src);
    // x-last-death-* exist from RabbitMQ 3.13 (the reference broker is 3.10).
    if (!h.broker.external) {
      assert.equal(header(m, 'x-last-death-reason'), 'rejected');
      assert.equal(header(m, 'x-last-death-queue'), q);
      assert.equal(header(m, 'x-last-death-exchange'), src);
    }
    assert.equal(await readyCount(ch, q), 0);
  });

  test('basic.nack without requeue dead-letters too, multiple included, in order', async () => {
    const { q, dlq } = await withDlq();
    const ch = await h.confirmChannel();
    await fill(ch, q, range(4));
    const got: GetMessage[] = [];
    for (let i = 0; i < 3; i++) {
      const m = await ch.get(q);
      assert.ok(m);
      got.push(m);
    }
    ch.nack(got[0] as GetMessage, false, false);
    ch.nack(got[2] as GetMessage, true, false);
    const dead = await takeN(ch, dlq, 3);
    assert.deepEqual(
      dead.map((m) => m.content.toString()),
      ['m0', 'm1', 'm2'],
    );
    for (const m of dead) {
      assert.deepEqual(withoutTime(deaths(m)[0]), {
        count: 1,
        reason: 'rejected',
        queue: q,
        exchange: '',
        'routing-keys': [q],
      });
    }
    assert.deepEqual(await drain(ch, q), ['m3']);
  });

  test('requeue=true, purge and a closed channel do not dead-letter', async () => {
    const { q, dlq } = await withDlq();
    const ch = await h.confirmChannel();
    await fill(ch, q, range(3));
    const m0 = await ch.get(q);
    assert.ok(m0);
    ch.nack(m0, false, true);
    const holder = await h.channel();
    assert.ok(await holder.get(q));
    await holder.close();
    await waitFor(async () => (await readyCount(ch, q)) === 3);
    assert.deepEqual(await ch.purgeQueue(q), { messageCount: 3 });
    assert.equal(await readyCount(ch, dlq), 0);
  });

  test('expired: original-expiration records a per-message TTL, and the expiration property is removed', async () => {
    const plain = await withDlq();
    const ttlQueue = await withDlq({ 'x-message-ttl': 50 });
    const ch = await h.confirmChannel();
    await fill(ch, plain.q, ['per-message'], { expiration: '50' });
    await fill(ch, ttlQueue.q, ['queue-ttl']);
    await fill(ch, ttlQueue.q, ['both'], { expiration: '60000' });

    const a = await takeOne(ch, plain.dlq);
    assert.equal(a.content.toString(), 'per-message');
    assert.equal(a.properties.expiration, undefined);
    assert.deepEqual(withoutTime(deaths(a)[0]), {
      count: 1,
      reason: 'expired',
      queue: plain.q,
      exchange: '',
      'routing-keys': [plain.q],
      'original-expiration': '50',
    });
    assert.equal(header(a, 'x-first-death-reason'), 'expired');

    const [b, c] = await takeN(ch, ttlQueue.dlq, 2);
    assert.ok(b && c);
    assert.equal(b.content.toString(), 'queue-ttl');
    assert.equal('original-expiration' in (deaths(b)[0] ?? {}), false, 'no original-expiration without one');
    assert.equal(deaths(b)[0]?.['reason'], 'expired');
    // The queue's lower TTL expired it; the message's own expiration is what gets recorded.
    assert.equal(c.content.toString(), 'both');
    assert.equal(c.properties.expiration, undefined);
    assert.equal(deaths(c)[0]?.['original-expiration'], '60000');
  });

  test('maxlen: messages dropped from the head of a full queue', async () => {
    const { q, dlq } = await withDlq({ 'x-max-length': 1 });
    const ch = await h.confirmChannel();
    await fill(ch, q, ['old', 'new']);
    const m = await takeOne(ch, dlq);
    assert.equal(m.content.toString(), 'old');
    assert.deepEqual(withoutTime(deaths(m)[0]), {
      count: 1,
      reason: 'maxlen',
      queue: q,
      exchange: '',
      'routing-keys': [q],
    });
    assert.equal(header(m, 'x-first-death-reason'), 'maxlen');
  });

  describe('routing keys', () => {
    /** A direct source exchange into `q`, and a direct DLX with one queue per binding key. */
    async function topology(dlrk: string | undefined) {
      const src = await h.exchange('direct', {}, 'src');
      const dlx = await h.exchange('direct', {}, 'dlx');
      const args: Record<string, unknown> = { 'x-dead-letter-exchange': dlx };
      if (dlrk !== undefined) args['x-dead-letter-routing-key'] = dlrk;
      const q = await h.queue({ arguments: args });
      const ch = await h.confirmChannel();
      await ch.bindQueue(q, src, 'k');
      const byKey = new Map<string, string>();
      for (const key of ['k', 'cc1', 'bcc1', 'dlrk']) {
        const dq = await h.queue({}, `dlq-${key}`);
        await ch.bindQueue(dq, dlx, key);
        byKey.set(key, dq);
      }
      await publishConfirmed(ch, src, 'k', 'x', { CC: ['cc1'], BCC: ['bcc1'], headers: { other: 1 } });
      await rejectNext(ch, q);
      const dq = (key: string): string => byKey.get(key) ?? assert.fail(key);
      return { ch, q, src, dlx, dq };
    }

    test('without a dead-letter routing key, the original routing key, CC and BCC keys all route it', async () => {
      const { ch, q, src, dlx, dq } = await topology(undefined);
      for (const key of ['k', 'cc1', 'bcc1']) {
        const m = await takeOne(ch, dq(key));
        assert.deepEqual([m.fields.exchange, m.fields.routingKey], [dlx, 'k'], `via ${key}`);
        assert.deepEqual(header(m, 'CC'), ['cc1']);
        assert.equal(header(m, 'BCC'), undefined);
        // x-death lists the routing key and the CC keys, never the BCC ones.
        assert.deepEqual(withoutTime(deaths(m)[0]), {
          count: 1,
          reason: 'rejected',
          queue: q,
          exchange: src,
          'routing-keys': ['k', 'cc1'],
        });
      }
      assert.equal(await readyCount(ch, dq('dlrk')), 0);
    });

    test('with a dead-letter routing key only that key routes it; x-death keeps the original keys', async () => {
      const { ch, q, src, dlx, dq } = await topology('dlrk');
      const m = await takeOne(ch, dq('dlrk'));
      assert.deepEqual([m.fields.exchange, m.fields.routingKey], [dlx, 'dlrk']);
      assert.equal(header(m, 'other'), 1);
      assert.deepEqual(withoutTime(deaths(m)[0]), {
        count: 1,
        reason: 'rejected',
        queue: q,
        exchange: src,
        'routing-keys': ['k', 'cc1'],
      });
      // RabbitMQ 3.13 keeps the CC header here (3.10 removed it; the reference broker is 3.10).
      if (!h.broker.external) assert.deepEqual(header(m, 'CC'), ['cc1']);
      for (const key of ['k', 'cc1', 'bcc1']) assert.equal(await readyCount(ch, dq(key)), 0, key);
    });
  });

  test('ping-pong between two queues: x-death entries merge per {queue, reason}, most recent first', async () => {
    const src = await h.exchange('direct', {}, 'src');
    const toA = await h.exchange('fanout', {}, 'to-a');
    const toB = await h.exchange('fanout', {}, 'to-b');
    const qa = await h.queue({ arguments: { 'x-dead-letter-exchange': toB } }, 'qa');
    const qb = await h.queue({ arguments: { 'x-dead-letter-exchange': toA } }, 'qb');
    const ch = await h.confirmChannel();
    await ch.bindQueue(qa, src, 'k');
    await ch.bindQueue(qa, toA, '');
    await ch.bindQueue(qb, toB, '');
    await publishConfirmed(ch, src, 'k', 'ball');

    await rejectNext(ch, qa); // qa -> qb
    await rejectNext(ch, qb); // qb -> qa
    await rejectNext(ch, qa); // qa -> qb again
    await waitFor(async () => (await readyCount(ch, qb)) === 1);
    const inB = await ch.get(qb);
    assert.ok(inB);
    const d1 = deaths(inB);
    assert.deepEqual(d1.map(withoutTime), [
      // The qa entry keeps what it recorded first (exchange src), counts 2 and moved to the front.
      { count: 2, reason: 'rejected', queue: qa, exchange: src, 'routing-keys': ['k'] },
      { count: 1, reason: 'rejected', queue: qb, exchange: toB, 'routing-keys': ['k'] },
    ]);
    assert.equal(header(inB, 'x-first-death-queue'), qa);
    assert.equal(header(inB, 'x-first-death-exchange'), src);
    assert.equal(header(inB, 'x-first-death-reason'), 'rejected');
    // x-last-death-* exist from RabbitMQ 3.13 (the reference broker is 3.10).
    if (!h.broker.external) {
      assert.equal(header(inB, 'x-last-death-queue'), qa);
      assert.equal(header(inB, 'x-last-death-exchange'), toA);
      assert.equal(header(inB, 'x-last-death-reason'), 'rejected');
    }

    ch.reject(inB, false); // qb -> qa: the qb entry moves to the front
    await waitFor(async () => (await readyCount(ch, qa)) === 1);
    const inA = await ch.get(qa, { noAck: true });
    assert.ok(inA);
    assert.deepEqual(
      deaths(inA).map((d) => [d['queue'], d['count']]),
      [
        [qb, 2],
        [qa, 2],
      ],
    );
    assert.equal(header(inA, 'x-first-death-queue'), qa);
    if (!h.broker.external) {
      assert.equal(header(inA, 'x-last-death-queue'), qb);
      assert.equal(header(inA, 'x-last-death-exchange'), toB);
    }
  });

  test('x-death entries are ordered by recency: an updated entry moves to the front, the rest keep their order', async () => {
    // q1 -> q2 -> q3 -> q1 -> q2 by rejection, through the default exchange.
    const [q1, q2, q3] = [uniqueName('q1'), uniqueName('q2'), uniqueName('q3')];
    const ch = await h.confirmChannel();
    for (const [q, next] of [
      [q1, q2],
      [q2, q3],
      [q3, q1],
    ] as const) {
      h.deleteAfter('queue', q);
      await ch.assertQueue(q, {
        durable: false,
        arguments: { 'x-dead-letter-exchange': '', 'x-dead-letter-routing-key': next },
      });
    }
    await fill(ch, q1, ['m']);
    for (const q of [q1, q2, q3, q1]) await rejectNext(ch, q);
    const m = await takeOne(ch, q2);
    const entries = deaths(m).map((d) => [d['queue'], d['count']]);
    const expected = [
      [q1, 2],
      [q3, 1],
      [q2, 1],
    ];
    // RabbitMQ 3.10 reverses the entries it does not update (fixed in 3.13 by message_containers_deaths_v2):
    // there, only the set of entries and that the updated one comes first are checked.
    if (h.broker.external) {
      assert.deepEqual(entries[0], expected[0]);
      assert.deepEqual(
        [...entries].sort((a, b) => String(a[0]).localeCompare(String(b[0]))),
        [...expected].sort((a, b) => String(a[0]).localeCompare(String(b[0]))),
      );
    } else {
      assert.deepEqual(entries, expected);
    }
  });

  test('different reasons in the same queue are separate entries; an expiry after a rejection is a cycle', async () => {
    // q dead-letters through a fanout into itself and into an observer queue.
    const fan = await h.exchange('fanout', {}, 'fan');
    const q = await h.queue({ arguments: { 'x-message-ttl': 300, 'x-dead-letter-exchange': fan } });
    const observer = await h.queue({}, 'obs');
    const ch = await h.confirmChannel();
    await ch.bindQueue(q, fan, '');
    await ch.bindQueue(observer, fan, '');
    await fill(ch, q, ['m']);
    await rejectNext(ch, q); // back into q (a rejection is never a cycle) and into the observer
    const [rejected, expired] = await takeN(ch, observer, 2);
    assert.ok(rejected && expired);
    assert.deepEqual(
      deaths(rejected).map((d) => [d['queue'], d['reason'], d['count']]),
      [[q, 'rejected', 1]],
    );
    // Then it expired in q: a new entry in front. Back into q would now be a cycle without a
    // rejection since q's latest death, so only the observer got it.
    assert.deepEqual(
      deaths(expired).map((d) => [d['queue'], d['reason'], d['count']]),
      [
        [q, 'expired', 1],
        [q, 'rejected', 1],
      ],
    );
    assert.equal(header(expired, 'x-first-death-reason'), 'rejected');
    if (!h.broker.external) assert.equal(header(expired, 'x-last-death-reason'), 'expired');
    assert.equal(await readyCount(ch, q), 0);
  });

  test('a DLX that does not exist: the message is dropped silently', async () => {
    const missing = uniqueName('missing-dlx');
    const q = await h.queue({ arguments: { 'x-dead-letter-exchange': missing } });
    const ttl = await h.queue({ arguments: { 'x-dead-letter-exchange': missing, 'x-message-ttl': 20 } });
    const ch = await h.confirmChannel();
    await fill(ch, q, ['rejected']);
    await fill(ch, ttl, ['expired']);
    await rejectNext(ch, q);
    await waitFor(async () => (await readyCount(ch, ttl)) === 0);
    assert.equal(await readyCount(ch, q), 0);
    assert.equal(isClosed(ch), false);
    // The channel and the queues work on as before.
    await fill(ch, q, ['next']);
    assert.deepEqual(await drain(ch, q), ['next']);
  });

  test('a DLX need not exist when the queue is declared; it is looked up when a message dies', async () => {
    const dlxName = uniqueName('late-dlx');
    const q = await h.queue({ arguments: { 'x-dead-letter-exchange': dlxName } });
    const ch = await h.confirmChannel();
    await fill(ch, q, ['before']);
    await rejectNext(ch, q);
    await ch.assertExchange(dlxName, 'fanout', { durable: false });
    h.deleteAfter('exchange', dlxName);
    const dlq = await h.queue({}, 'dlq');
    await ch.bindQueue(dlq, dlxName, '');
    await fill(ch, q, ['after']);
    await rejectNext(ch, q);
    const m = await takeOne(ch, dlq);
    assert.equal(m.content.toString(), 'after');
  });

  test('x-dead-letter-routing-key without x-dead-letter-exchange is refused', async () => {
    const name = uniqueName('q-dlrk');
    h.deleteAfter('queue', name);
    await expectReply(
      (await h.channel()).assertQueue(name, {
        durable: false,
        arguments: { 'x-dead-letter-routing-key': 'k' },
      }),
      REPLY.PRECONDITION_FAILED,
      `PRECONDITION_FAILED - invalid arg 'x-dead-letter-routing-key' for queue '${name}' in vhost '/': routing_key_but_no_dlx_defined`,
    );
  });

  describe('cycles', () => {
    test('a queue that dead-letters expired messages to itself through the default exchange drops them', async () => {
      const q = await h.queue({ arguments: { 'x-message-ttl': 30, 'x-dead-letter-exchange': '' } });
      const ch = await h.confirmChannel();
      await fill(ch, q, ['loop']);
      await waitFor(async () => (await readyCount(ch, q)) === 0);
      // Were it cycling, it would be back in the queue most of the time.
      for (let i = 0; i < 5; i++) {
        await delay(50);
        assert.equal(await readyCount(ch, q), 0, 'the expired message came back');
      }
      assert.equal(await ch.get(q, { noAck: true }), false);
    });

    test('a TTL cycle drops the message only for the queue it died in: other targets still get it', async () => {
      const fan = await h.exchange('fanout', {}, 'fan');
      const q = await h.queue({ arguments: { 'x-message-ttl': 30, 'x-dead-letter-exchange': fan } });
      const observer = await h.queue({}, 'obs');
      const ch = await h.confirmChannel();
      await ch.bindQueue(q, fan, '');
      await ch.bindQueue(observer, fan, '');
      await fill(ch, q, ['m']);
      const seen = await takeOne(ch, observer);
      assert.deepEqual(withoutTime(deaths(seen)[0]), {
        count: 1,
        reason: 'expired',
        queue: q,
        exchange: '',
        'routing-keys': [q],
      });
      await delay(200);
      assert.equal(await readyCount(ch, q), 0);
      assert.equal(await readyCount(ch, observer), 0, 'the message went round the cycle');
    });

    test('a cycle with a rejection in it is not dropped', async () => {
      const q = await h.queue({ arguments: { 'x-dead-letter-exchange': '' } });
      const ch = await h.confirmChannel();
      await fill(ch, q, ['again']);
      await rejectNext(ch, q);
      await rejectNext(ch, q);
      const m = await takeOne(ch, q);
      assert.deepEqual(withoutTime(deaths(m)[0]), {
        count: 2,
        reason: 'rejected',
        queue: q,
        exchange: '',
        'routing-keys': [q],
      });
    });

    test('reject, then expire in a retry queue, then back: not a cycle (the retry pattern)', async () => {
      const work = uniqueName('work');
      const retry = uniqueName('retry');
      h.deleteAfter('queue', work);
      h.deleteAfter('queue', retry);
      const ch = await h.confirmChannel();
      await ch.assertQueue(work, {
        durable: false,
        arguments: { 'x-dead-letter-exchange': '', 'x-dead-letter-routing-key': retry },
      });
      await ch.assertQueue(retry, {
        durable: false,
        arguments: { 'x-message-ttl': 30, 'x-dead-letter-exchange': '', 'x-dead-letter-routing-key': work },
      });
      await fill(ch, work, ['job']);
      for (let attempt = 1; attempt <= 3; attempt++) await rejectNext(ch, work);
      const m = await takeOne(ch, work);
      assert.deepEqual(
        deaths(m).map((d) => [d['queue'], d['reason'], d['count']]),
        [
          [retry, 'expired', 3],
          [work, 'rejected', 3],
        ],
      );
      assert.equal(m.fields.routingKey, work);
    });
  });
});
