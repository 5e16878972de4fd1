/**
 * Web UI: declare a queue, publish to it from the UI and from an amqplib client, watch the counts,
 * get the messages back, bind it, publish through an exchange, purge and delete it.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import amqp from 'amqplib';
import type { Browser, Page } from 'playwright-core';
import {
  go,
  launchBrowser,
  login,
  newPage,
  pageErrors,
  requireBrowser,
  row,
  screenshot,
  SKIP_BROWSER,
  startTarget,
  uniqueName,
  waitForText,
  type Target,
} from './harness.js';

describe('web UI: queues and exchanges', { skip: SKIP_BROWSER }, () => {
  let target: Target;
  let browser: Browser;
  let page: Page;
  const queue = uniqueName('ui-orders');
  const exchange = uniqueName('ui-events');

  before(async () => {
    requireBrowser();
    target = await startTarget();
    browser = await launchBrowser();
    page = await newPage(browser, target);
    await login(page, target);
    await waitForText(page, page.getByTestId('user'), /guest/);
  });

  after(async () => {
    assert.deepEqual(pageErrors(page), [], 'no script errors and no outside requests');
    await target?.api('DELETE', `/queues/%2F/${queue}`).catch(() => {});
    await target?.api('DELETE', `/exchanges/%2F/${exchange}`).catch(() => {});
    await browser?.close();
    await target?.close();
  });

  const queueRow = () => row(page, 'queues', queue);
  /** the Ready, Unacked, Total cells of the queue's row in the list */
  const cell = (label: 'Ready' | 'Unacked' | 'Total') =>
    queueRow()
      .locator('td')
      .nth(label === 'Ready' ? 7 : label === 'Unacked' ? 8 : 9);

  it('declares a durable queue from the Add a new queue form', async () => {
    await go(page, target, 'queues');
    const form = page.getByTestId('add-queue');
    await form.locator('input[name=name]').fill(queue);
    await form.locator('input[name=arg-key-0]').fill('x-max-length');
    await form.locator('input[name=arg-value-0]').fill('1000');
    await form.locator('.arg-row').first().locator('select').selectOption('number');
    await form.getByRole('button', { name: 'Add queue' }).click();
    await queueRow().waitFor();
    const q = await target.api<{ durable: boolean; arguments: Record<string, unknown> }>(
      'GET',
      `/queues/%2F/${queue}`,
    );
    assert.equal(q.durable, true);
    assert.deepEqual(q.arguments, { 'x-max-length': 1000 });
    assert.match((await queueRow().textContent()) ?? '', /D.*Lim/, 'features column shows D and Lim');
  });

  it('filters the list by name', async () => {
    await go(page, target, 'queues');
    await page.locator('input[name=filter]').fill(queue.slice(0, -2));
    await waitForText(page, page.getByTestId('queues').locator('tbody tr').first(), new RegExp(queue));
    assert.equal(await page.getByTestId('queues').locator('tbody tr').count(), 1);
    await page.locator('input[name=filter]').fill('no-such-queue-anywhere');
    await waitForText(page, page.getByTestId('queues').locator('tbody tr').first(), 'No queues match.');
    await page.locator('input[name=filter]').fill('');
    await queueRow().waitFor();
  });

  it('pages and sorts the list on the server, and scopes it to the vhost chosen in the header', async () => {
    const prefix = uniqueName('ui-page');
    const names = Array.from({ length: 12 }, (_, i) => `${prefix}-${String(i).padStart(2, '0')}`);
    for (const n of names) await target.api('PUT', `/queues/%2F/${n}`, { durable: false });
    try {
      await go(page, target, 'queues');
      const rows = page.getByTestId('queues').locator('tbody tr');
      await page.locator('input[name=filter]').fill(prefix);
      await page.locator('.pager select').nth(1).selectOption('10');
      await waitForText(page, page.locator('.list-controls .count'), /^12 of \d+ queues$/);
      await waitForText(page, page.locator('.pager label').first(), /of 2$/);
      assert.equal(await page.locator('.pager select').first().inputValue(), '1');
      assert.equal(await rows.count(), 10);
      await page.getByRole('button', { name: 'next page' }).click();
      await waitForText(page, rows.first(), new RegExp(`${names[10]}`));
      assert.equal(await rows.count(), 2);

      // sorted by name; a click on the header reverses it
      await page.getByRole('button', { name: 'previous page' }).click();
      await waitForText(page, rows.first(), new RegExp(`${names[0]}`));
      await page.getByTestId('queues').getByRole('button', { name: /^Name/ }).click();
      await waitForText(page, rows.first(), new RegExp(`${names[11]}`));
      await page.getByTestId('queues').getByRole('button', { name: /^Name/ }).click();
      await waitForText(page, rows.first(), new RegExp(`${names[0]}`));

      // a vhost chosen in the header: the list is that vhost's, without the vhost column
      const headers = page.getByTestId('queues').locator('thead tr').last();
      assert.match((await headers.textContent()) ?? '', /^Virtual host/);
      await page.locator('header select[name=vhost]').selectOption('/');
      await waitForText(page, headers, /^Name/);
      await waitForText(page, rows.first(), new RegExp(`${names[0]}`));
      await page.locator('header select[name=vhost]').selectOption('');
      await waitForText(page, headers, /^Virtual host/);
    } finally {
      for (const n of names) await target.api('DELETE', `/queues/%2F/${n}`).catch(() => {});
      await page.locator('input[name=filter]').fill('');
      await page.locator('.pager select').nth(1).selectOption('100');
    }
  });

  it('publishes from the UI and from amqplib, and the queued counts follow', async () => {
    await page.locator(`a.name`, { hasText: queue }).first().click();
    await page.locator('[data-page=queue]').waitFor();
    assert.match(page.url(), new RegExp(`#/queues/%2F/${queue}$`));
    const form = page.getByTestId('publish-form');
    await form.locator('textarea[name=payload]').fill('hello from the UI');
    await form.locator('select[name=delivery_mode]').selectOption('2');
    await form.getByRole('button', { name: 'Publish message' }).click();
    await waitForText(page, page.locator('.notice-ok span').last(), 'Message published.');
    await waitForText(page, page.getByTestId('ready'), '1');

    const conn = await amqp.connect(target.amqpUrl);
    try {
      const ch = await conn.createConfirmChannel();
      ch.sendToQueue(queue, Buffer.from('hello from amqplib'), { contentType: 'text/plain' });
      await ch.waitForConfirms();
    } finally {
      await conn.close();
    }
    await waitForText(page, page.getByTestId('ready'), '2');
    await waitForText(page, page.getByTestId('total'), '2');
    await screenshot(page, 'queue');

    await go(page, target, 'queues');
    await waitForText(page, cell('Ready'), '2');
    await waitForText(page, cell('Total'), '2');
    await screenshot(page, 'queues');
  });

  it('gets the messages back: requeued first, then acked', async () => {
    await go(page, target, 'queues', '/', queue);
    const get = page.getByTestId('get-form');
    await get.locator('input[name=count]').fill('1');
    await get.getByRole('button', { name: 'Get message(s)' }).click();
    await waitForText(page, page.getByTestId('payload'), 'hello from the UI');
    await waitForText(page, page.getByTestId('ready'), '2');

    await get.locator('select[name=ackmode]').selectOption('ack_requeue_false');
    await get.locator('input[name=count]').fill('2');
    await get.getByRole('button', { name: 'Get message(s)' }).click();
    await waitForText(page, page.getByTestId('payload').nth(1), 'hello from amqplib');
    const payloads = await page.getByTestId('payload').allTextContents();
    assert.deepEqual(payloads, ['hello from the UI', 'hello from amqplib']);
    assert.match((await page.getByTestId('messages').textContent()) ?? '', /content_type: text\/plain/);
    await waitForText(page, page.getByTestId('total'), '0');
  });

  it('binds the queue to a new exchange and publishes through the exchange page', async () => {
    await go(page, target, 'exchanges');
    const add = page.getByTestId('add-exchange');
    await add.locator('input[name=name]').fill(exchange);
    await add.locator('select[name=type]').selectOption('topic');
    await add.getByRole('button', { name: 'Add exchange' }).click();
    await row(page, 'exchanges', exchange).waitFor();
    await screenshot(page, 'exchanges');

    await go(page, target, 'queues', '/', queue);
    const bind = page.getByTestId('binding-form');
    await bind.locator('input[name=source]').fill(exchange);
    await bind.locator('input[name=routing_key]').fill('order.*');
    await bind.getByRole('button', { name: 'Bind' }).click();
    await row(page, 'bindings-source', exchange).waitFor();

    await page.getByTestId('bindings-source').getByRole('link', { name: exchange }).click();
    await page.locator('[data-page=exchange]').waitFor();
    await row(page, 'bindings-destination', queue).waitFor();
    const form = page.getByTestId('publish-form');
    await form.locator('input[name=routing_key]').fill('order.created');
    await form.locator('textarea[name=payload]').fill('{"id": 42}');
    await form.getByRole('button', { name: 'Publish message' }).click();
    await waitForText(page, page.locator('.notice-ok span').last(), 'Message published.');
    await form.locator('input[name=routing_key]').fill('invoice.created');
    await form.getByRole('button', { name: 'Publish message' }).click();
    await waitForText(page, page.locator('.notice-ok span').last(), 'Message published, but not routed.');
    await screenshot(page, 'exchange');

    await go(page, target, 'queues', '/', queue);
    await waitForText(page, page.getByTestId('ready'), '1');
  });

  it('purges the queue', async () => {
    await go(page, target, 'queues', '/', queue);
    await waitForText(page, page.getByTestId('ready'), '1');
    await page.getByRole('button', { name: 'Purge messages' }).click();
    await waitForText(page, page.locator('.notice-ok span').last(), `Queue ${queue} purged.`);
    await waitForText(page, page.getByTestId('ready'), '0');
  });

  it('deletes the queue and the exchange', async () => {
    await go(page, target, 'queues', '/', queue);
    await page.locator('[data-page=queue] button[name=delete]').click();
    await page.locator('[data-page=queues]').waitFor();
    await page.getByTestId('queues').locator('tbody tr').first().waitFor();
    assert.equal(await queueRow().count(), 0);
    await assert.rejects(target.api('GET', `/queues/%2F/${queue}`), /404/);

    await go(page, target, 'exchanges', '/', exchange);
    await page.locator('[data-page=exchange] button[name=delete]').click();
    await page.locator('[data-page=exchanges]').waitFor();
    await assert.rejects(target.api('GET', `/exchanges/%2F/${exchange}`), /404/);
  });
});
