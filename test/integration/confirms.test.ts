/**
 * confirm.select and publisher confirms: exactly one ack (or nack) per publish, in order, tags counted from
 * the select; basic.return before the ack of an unroutable mandatory message.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Channel } from 'amqplib';
import { uniqueName } from '../helpers/broker.js';
import {
  REPLY,
  confirmSelect,
  drain,
  fill,
  publishConfirmed,
  range,
  readyCount,
  useBroker,
} from '../helpers/amqp.js';
import { waitFor, withTimeout } from '../helpers/wait.js';

interface Confirm {
  kind: 'ack' | 'nack';
  deliveryTag: number;
  multiple: boolean;
}

/** Records every basic.ack / basic.nack the broker sends on `ch`. */
function recordConfirms(ch: Channel): Confirm[] {
  const seen: Confirm[] = [];
  ch.on('ack', (f: { deliveryTag: number; multiple: boolean }) => seen.push({ kind: 'ack', ...f }));
  ch.on('nack', (f: { deliveryTag: number; multiple: boolean }) =>
    seen.push({ kind: 'nack', deliveryTag: f.deliveryTag, multiple: f.multiple }),
  );
  return seen;
}

/** Expands (possibly multiple) confirms into one entry per publish sequence number. */
function perPublish(confirms: Confirm[]): Array<'ack' | 'nack'> {
  const out: Array<'ack' | 'nack'> = [];
  let settled = 0;
  for (const c of confirms) {
    assert.ok(
      c.deliveryTag > settled,
      `confirm for tag ${c.deliveryTag} after tag ${settled}: out of order or twice`,
    );
    if (c.multiple) {
      while (settled < c.deliveryTag) out[settled++] = c.kind;
    } else {
      assert.equal(
        c.deliveryTag,
        settled + 1,
        'a single confirm skipped a tag (confirms must come in order)',
      );
      out[settled++] = c.kind;
    }
  }
  return out;
}

describe('publisher confirms', () => {
  const h = useBroker();

  test('every publish gets exactly one ack, in order, tags counting from 1', async () => {
    const ch = await h.confirmChannel();
    const confirms = recordConfirms(ch);
    const q = await h.queue();
    const n = 500;
    let callbacks = 0;
    for (let i = 0; i < n; i++) ch.sendToQueue(q, Buffer.from(`m${i}`), {}, () => callbacks++);
    await withTimeout(ch.waitForConfirms());
    await waitFor(() => perPublish(confirms).length === n);
    assert.deepEqual(perPublish(confirms), Array(n).fill('ack'));
    assert.equal(callbacks, n);
    assert.equal(await readyCount(ch, q), n);
  });

  test('unroutable publishes are acked too', async () => {
    const ch = await h.confirmChannel();
    const confirms = recordConfirms(ch);
    await publishConfirmed(ch, 'amq.direct', uniqueName('nobody'), 'dropped');
    await publishConfirmed(ch, '', uniqueName('no-queue'), 'dropped');
    assert.deepEqual(perPublish(confirms), ['ack', 'ack']);
  });

  test('an unroutable mandatory publish is returned (312 NO_ROUTE) before it is acked', async () => {
    const ch = await h.confirmChannel();
    const x = await h.exchange('direct');
    const events: string[] = [];
    ch.on('return', (m: { fields: { replyCode: number; replyText: string } }) =>
      events.push(`return ${m.fields.replyCode} ${m.fields.replyText}`),
    );
    ch.on('ack', (f: { deliveryTag: number }) => events.push(`ack ${f.deliveryTag}`));
    ch.publish(x, 'nowhere', Buffer.from('a'), { mandatory: true });
    ch.publish(x, 'nowhere', Buffer.from('b'), { mandatory: true });
    await withTimeout(ch.waitForConfirms());
    assert.deepEqual(events, [
      `return ${REPLY.NO_ROUTE} NO_ROUTE`,
      'ack 1',
      `return ${REPLY.NO_ROUTE} NO_ROUTE`,
      'ack 2',
    ]);
  });

  test('a persistent message to a durable queue is acked and kept', async () => {
    const ch = await h.confirmChannel();
    const q = uniqueName('q-durable');
    h.deleteAfter('queue', q);
    await ch.assertQueue(q, { durable: true });
    await publishConfirmed(ch, '', q, 'persisted', { persistent: true });
    const m = await ch.get(q, { noAck: true });
    assert.ok(m);
    assert.equal(m.properties.deliveryMode, 2);
  });

  test('delivery tags count from confirm.select, not from earlier publishes on the channel', async () => {
    const ch = await h.channel();
    const q = await h.queue();
    ch.sendToQueue(q, Buffer.from('before-1'));
    ch.sendToQueue(q, Buffer.from('before-2'));
    const confirms = recordConfirms(ch);
    await confirmSelect(ch);
    ch.sendToQueue(q, Buffer.from('after'));
    await waitFor(() => confirms.length > 0);
    assert.deepEqual(confirms, [{ kind: 'ack', deliveryTag: 1, multiple: false }]);
    assert.deepEqual(await drain(ch, q), ['before-1', 'before-2', 'after']);
  });

  test('confirm.select on a confirm channel is answered again with select-ok', async () => {
    const ch = await h.confirmChannel();
    await confirmSelect(ch);
    const q = await h.queue();
    await publishConfirmed(ch, '', q, 'still-confirmed');
  });

  test('a queue that refuses the message (x-overflow reject-publish) makes it a nack', async () => {
    const ch = await h.confirmChannel();
    const confirms = recordConfirms(ch);
    const q = await h.queue({ maxLength: 1, overflow: 'reject-publish' });
    await fill(ch, q, ['fits']);
    await assert.rejects(publishConfirmed(ch, '', q, 'overflows'), /nack/);
    assert.deepEqual(perPublish(confirms), ['ack', 'nack']);
    assert.deepEqual(await drain(ch, q), ['fits']);
  });

  test('publishes on several channels are confirmed per channel', async () => {
    const a = await h.confirmChannel();
    const b = await h.confirmChannel();
    const ca = recordConfirms(a);
    const cb = recordConfirms(b);
    const q = await h.queue();
    await fill(a, q, range(3, 'a'));
    await fill(b, q, range(2, 'b'));
    await waitFor(() => perPublish(ca).length === 3 && perPublish(cb).length === 2);
    assert.deepEqual([perPublish(ca), perPublish(cb)], [Array(3).fill('ack'), Array(2).fill('ack')]);
  });
});
