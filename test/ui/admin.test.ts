/**
 * Web UI: connections and channels (force-closing a client's connection), users and permissions,
 * virtual hosts, policies, definitions export and import.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
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

interface AmqpError extends Error {
  code?: number;
}

describe('web UI: connections, users, vhosts, policies, definitions', { skip: SKIP_BROWSER }, () => {
  let target: Target;
  let browser: Browser;
  let page: Page;
  const user = uniqueName('ui-user');
  const vhost = uniqueName('ui-vhost');
  const policy = uniqueName('ui-ttl');
  const imported = uniqueName('ui-imported');

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
    await target?.api('DELETE', `/users/${user}`).catch(() => {});
    await target?.api('DELETE', `/vhosts/${vhost}`).catch(() => {});
    await target?.api('DELETE', `/policies/%2F/${policy}`).catch(() => {});
    await target?.api('DELETE', `/queues/%2F/${imported}`).catch(() => {});
    await browser?.close();
    await target?.close();
  });

  it('lists a client connection and its channel, and force-closes it: the client gets 320', async () => {
    const clientName = uniqueName('ui-client');
    const conn = await amqp.connect(target.amqpUrl, { clientProperties: { connection_name: clientName } });
    // a 320 is no error to amqplib: it comes with the close event
    const closed = new Promise<AmqpError | undefined>((resolve) =>
      conn.on('close', (e?: AmqpError) => resolve(e)),
    );
    try {
      const ch = await conn.createChannel();
      await ch.prefetch(7);

      await go(page, target, 'connections');
      const connRow = page.getByTestId('connections').locator('tbody tr').filter({ hasText: clientName });
      await waitForText(page, connRow, new RegExp(clientName));
      assert.match((await connRow.textContent()) ?? '', /guest/);
      await screenshot(page, 'connections');

      const conns = await target.api<{ name: string; client_properties?: { connection_name?: string } }[]>(
        'GET',
        '/connections',
      );
      const connName = conns.find((c) => c.client_properties?.connection_name === clientName)?.name;
      assert.ok(connName, 'the API lists the connection');
      await go(page, target, 'channels');
      const chRow = page
        .getByTestId('channels')
        .locator('tbody tr')
        .filter({ hasText: `${connName} (1)` });
      // user guest, prefetch 7
      await waitForText(page, chRow, /guest.*7/);
      await screenshot(page, 'channels');

      await go(page, target, 'connections');
      await connRow.locator('a.name').click();
      await page.locator('[data-page=connection]').waitFor();
      await waitForText(page, page.locator('table.kv').first(), new RegExp(clientName));
      await screenshot(page, 'connection');

      await go(page, target, 'connections');
      await connRow.getByRole('button', { name: 'Close' }).click();
      const err = await Promise.race([
        closed,
        new Promise<never>((_r, reject) =>
          setTimeout(() => reject(new Error('no connection error')), 10_000),
        ),
      ]);
      assert.equal(err?.code, 320);
      assert.match(err?.message ?? '', /CONNECTION_FORCED/);
      await waitForText(
        page,
        page.getByTestId('connections').locator('tbody'),
        new RegExp(`^(?![\\s\\S]*${clientName})`),
      );
    } finally {
      await conn.close().catch(() => {});
    }
  });

  it('adds a user with tags, gives it permissions, and the user can log in', async () => {
    await go(page, target, 'users');
    const form = page.getByTestId('add-user');
    await form.locator('input[name=username]').fill(user);
    await form.locator('input[name=password]').fill('s3cret');
    await form.locator('input[name=password-confirm]').fill('s3cret');
    await form.getByRole('button', { name: 'monitoring' }).click();
    await form.getByRole('button', { name: 'Add user' }).click();
    const userRow = row(page, 'users', user);
    await waitForText(page, userRow, /monitoring.*No access/);
    await screenshot(page, 'users');

    await userRow.getByRole('link', { name: user }).click();
    await page.locator('[data-page=user]').waitFor();
    await page.getByTestId('set-permission').getByRole('button', { name: 'Set permission' }).click();
    await waitForText(
      page,
      page.getByTestId('user-permissions').locator('tbody tr').first(),
      /^\/\s*\.\*\s*\.\*\s*\.\*/,
    );
    await screenshot(page, 'user');
    const perms = await target.api<{ configure: string }[]>('GET', `/users/${user}/permissions`);
    assert.equal(perms.length, 1);
    assert.equal(perms[0]?.configure, '.*');

    const other = await newPage(browser, target);
    await login(other, target, user, 's3cret');
    await waitForText(other, other.getByTestId('user'), new RegExp(`${user}.*monitoring`));
    assert.deepEqual(pageErrors(other), []);
    await other.context().close();
  });

  it('adds a virtual host and shows its permissions', async () => {
    await go(page, target, 'vhosts');
    const form = page.getByTestId('add-vhost');
    await form.locator('input[name=name]').fill(vhost);
    await form.locator('input[name=description]').fill('made by the UI test');
    await form.getByRole('button', { name: 'Add virtual host' }).click();
    await waitForText(page, row(page, 'vhosts', vhost), /made by the UI test/);
    await screenshot(page, 'vhosts');
    await row(page, 'vhosts', vhost).getByRole('link', { name: vhost }).click();
    await page.locator('[data-page=vhost]').waitFor();
    // the creator (guest) gets full permissions on a new vhost, as in RabbitMQ
    await waitForText(page, page.getByTestId('vhost-permissions').locator('tbody'), /guest/);
    await screenshot(page, 'vhost');
    await page.locator('[data-page=vhost] button[name=delete]').click();
    await page.locator('[data-page=vhosts]').waitFor();
    await assert.rejects(target.api('GET', `/vhosts/${vhost}`), /404/);
  });

  it('sets a policy and it applies to a matching queue', async () => {
    await go(page, target, 'policies');
    const form = page.getByTestId('policy-form');
    await form.locator('input[name=name]').fill(policy);
    await form.locator('input[name=pattern]').fill(`^${policy}-`);
    await form.locator('select[name=apply-to]').selectOption('queues');
    await form.locator('input[name=priority]').fill('3');
    await form.getByRole('button', { name: 'message-ttl' }).click();
    await form.locator('input[name=definition-value-0]').fill('60000');
    await form.getByRole('button', { name: 'Add / update policy' }).click();
    await waitForText(page, row(page, 'policies', policy), /message-ttl: 60000/);
    await screenshot(page, 'policies');
    const p = await target.api<{ definition: unknown; 'apply-to': string; priority: number }>(
      'GET',
      `/policies/%2F/${policy}`,
    );
    assert.deepEqual(p.definition, { 'message-ttl': 60000 });
    assert.equal(p['apply-to'], 'queues');
    assert.equal(p.priority, 3);
  });

  it('exports definitions as a download and imports a queue from pasted JSON', async () => {
    await go(page, target, 'definitions');
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('button', { name: 'Download broker definitions' }).click(),
    ]);
    assert.match(download.suggestedFilename(), /\.json$/);
    const file = await download.path();
    const defs = JSON.parse(await readFile(file, 'utf8')) as {
      users: { name: string }[];
      policies: { name: string }[];
      vhosts: { name: string }[];
    };
    assert.ok(
      defs.users.some((u) => u.name === user),
      'the exported users include the one added',
    );
    assert.ok(
      defs.policies.some((p) => p.name === policy),
      'the exported policies include the one set',
    );
    assert.ok(defs.vhosts.some((v) => v.name === '/'));
    await waitForText(page, page.getByTestId('definitions-result'), /^Exported \d+ users?, /);

    const json = JSON.stringify({
      queues: [{ name: imported, vhost: '/', durable: true, auto_delete: false, arguments: {} }],
    });
    await page.getByTestId('import-definitions').locator('textarea[name=json]').fill(json);
    await page.getByRole('button', { name: 'Upload broker definitions' }).click();
    await waitForText(page, page.locator('.notice-ok span').last(), 'Definitions imported.');
    await screenshot(page, 'definitions');
    const q = await target.api<{ name: string; durable: boolean }>('GET', `/queues/%2F/${imported}`);
    assert.equal(q.durable, true);
  });
});
