/**
 * Priority queues (x-max-priority): the argument's range, higher priorities delivered first and FIFO
 * within a priority, no priority meaning 0, priorities above the maximum counting as the maximum,
 * requeued messages going back to their place, basic.get and consumers with a prefetch window.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { ConfirmChannel, ConsumeMessage, GetMessage } from 'amqplib';
import { uniqueName } from '../helpers/broker.js';
import { Inbox, REPLY, drain, expectReply, useBroker } from '../helpers/amqp.js';
import { WAIT_MS, waitFor, withTimeout } from '../helpers/wait.js';

/** [body, priority] pairs; an undefined priority means the property is not set. */
type Entry = readonly [string, number | undefined];

describe('priority queues', () => {
  const h = useBroker();

  async function priorityQueue(max: number): Promise<string> {
    return h.queue({ arguments: { 'x-max-priority': max } }, 'q-prio');
  }

  async function publishAll(ch: ConfirmChannel, q: string, entries: readonly Entry[]): Promise<void> {
    for (const [body, priority] of entries) {
      ch.sendToQueue(q, Buffer.from(body), priority === undefined ? {} : { priority });
    }
    await withTimeout(ch.waitForConfirms(), WAIT_MS, 'publisher confirms');
  }

  test('x-max-priority from 1 to 255 is accepted; 256, negative and non-integer values are refused', async () => {
    for (const max of [1, 10, 255]) {
      const q = await priorityQueue(max);
      assert.equal((await (await h.channel()).checkQueue(q)).queue, q);
    }
    for (const [value, detail] of [
      [256, '{max_value_exceeded,256}'],
      [1000, '{max_value_exceeded,1000}'],
      [-1, '{value_negative,-1}'],
      ['high', '"expected integer, got longstr"'],
    ] as const) {
      const name = uniqueName('q-badprio');
      h.deleteAfter('queue', name);
      await expectReply(
        (await h.channel()).assertQueue(name, { durable: false, arguments: { 'x-max-priority': value } }),
        REPLY.PRECONDITION_FAILED,
        `PRECONDITION_FAILED - invalid arg 'x-max-priority' for queue '${name}' in vhost '/': ${detail}`,
      );
    }
  });

  test('higher priorities come first, FIFO within a priority; no priority counts as 0', async () => {
    const q = await priorityQueue(10);
    const ch = await h.confirmChannel();
    await publishAll(ch, q, [
      ['a1', 1],
      ['b5', 5],
      ['c1', 1],
      ['d9', 9],
      ['e5', 5],
      ['f-none', undefined],
      ['g0', 0],
      ['h-none', undefined],
      ['i10', 10],
    ]);
    assert.deepEqual(await drain(ch, q), ['i10', 'd9', 'b5', 'e5', 'a1', 'c1', 'f-none', 'g0', 'h-none']);
  });

  test('priorities above the maximum count as the maximum, and keep their property value', async () => {
    const q = await priorityQueue(3);
    const ch = await h.confirmChannel();
    await publishAll(ch, q, [
      ['a3', 3],
      ['b200', 200],
      ['c2', 2],
      ['d3', 3],
      ['e4', 4],
    ]);
    const got: GetMessage[] = [];
    for (;;) {
      const m = await ch.get(q, { noAck: true });
      if (m === false) break;
      got.push(m);
    }
    assert.deepEqual(
      got.map((m) => [m.content.toString(), m.properties.priority]),
      [
        ['a3', 3],
        ['b200', 200],
        ['d3', 3],
        ['e4', 4],
        ['c2', 2],
      ],
    );
  });

  test('a queue without x-max-priority ignores priorities', async () => {
    const q = await h.queue();
    const ch = await h.confirmChannel();
    await publishAll(ch, q, [
      ['a', 1],
      ['b', 9],
      ['c', undefined],
    ]);
    assert.deepEqual(await drain(ch, q), ['a', 'b', 'c']);
  });

  test('requeued messages go back to their place within their priority, redelivered', async () => {
    const q = await priorityQueue(10);
    const ch = await h.confirmChannel();
    await publishAll(ch, q, [
      ['low1', 1],
      ['high', 9],
      ['low2', 1],
      ['mid', 5],
    ]);
    const taken: GetMessage[] = [];
    for (let i = 0; i < 3; i++) {
      const m = await ch.get(q);
      assert.ok(m);
      taken.push(m);
    }
    assert.deepEqual(
      taken.map((m) => m.content.toString()),
      ['high', 'mid', 'low1'],
    );
    await publishAll(ch, q, [
      ['mid2', 5],
      ['high2', 9],
    ]);
    const [high, mid, low1] = taken as [GetMessage, GetMessage, GetMessage];
    ch.ack(high);
    ch.nack(low1, false, true);
    ch.nack(mid, false, true);
    await waitFor(async () => (await ch.checkQueue(q)).messageCount === 5);
    const rest: Array<[string, boolean]> = [];
    for (;;) {
      const m = await ch.get(q, { noAck: true });
      if (m === false) break;
      rest.push([m.content.toString(), m.fields.redelivered]);
    }
    assert.deepEqual(rest, [
      ['high2', false],
      ['mid', true],
      ['mid2', false],
      ['low1', true],
      ['low2', false],
    ]);
  });

  test('a consumer with prefetch 1 gets the backlog in priority order, new high priorities first', async () => {
    const q = await priorityQueue(5);
    const ch = await h.confirmChannel();
    await publishAll(ch, q, [
      ['a1', 1],
      ['b3', 3],
      ['c2', 2],
    ]);
    const consumerCh = await h.channel();
    await consumerCh.prefetch(1);
    const inbox = await Inbox.consume(consumerCh, q);
    await inbox.atLeast(1);
    // While b3 is outstanding, a higher and a lower priority arrive.
    await publishAll(ch, q, [
      ['d0', 0],
      ['e5', 5],
    ]);
    for (let n = 1; n <= 5; n++) {
      await inbox.atLeast(n);
      assert.equal(inbox.messages.length, n, 'more than one unacked delivery with prefetch 1');
      consumerCh.ack(inbox.messages[n - 1] as ConsumeMessage);
    }
    assert.deepEqual(inbox.bodies(), ['b3', 'e5', 'c2', 'a1', 'd0']);
  });

  test('with prefetch 3 the consumer takes the three highest of the backlog first', async () => {
    const q = await priorityQueue(9);
    const ch = await h.confirmChannel();
    await publishAll(ch, q, [
      ['p1', 1],
      ['p2', 2],
      ['p3', 3],
      ['p4', 4],
      ['p5', 5],
    ]);
    const consumerCh = await h.channel();
    await consumerCh.prefetch(3);
    const inbox = await Inbox.consume(consumerCh, q);
    await inbox.atLeast(3);
    assert.deepEqual(inbox.bodies(), ['p5', 'p4', 'p3']);
    consumerCh.ackAll();
    await inbox.atLeast(5);
    assert.deepEqual(inbox.bodies(), ['p5', 'p4', 'p3', 'p2', 'p1']);
  });
});
