/**
 * Web UI: logging in (and failing to), the header's user and tags, admin-only pages hidden from other
 * users, the session surviving a reload, logging out; the overview page.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import {
  go,
  launchBrowser,
  login,
  newPage,
  pageErrors,
  requireBrowser,
  screenshot,
  SKIP_BROWSER,
  startTarget,
  uniqueName,
  waitForText,
  type Target,
} from './harness.js';

describe('web UI: login and overview', { skip: SKIP_BROWSER }, () => {
  let target: Target;
  let browser: Browser;
  const pages: Page[] = [];
  const user = uniqueName('ui-monitor');

  before(async () => {
    requireBrowser();
    target = await startTarget();
    browser = await launchBrowser();
    await target.api('PUT', `/users/${user}`, { password: 'sekrit', tags: 'monitoring' });
    await target.api('PUT', `/permissions/%2F/${user}`, { configure: '.*', write: '.*', read: '.*' });
  });

  after(async () => {
    for (const p of pages) assert.deepEqual(pageErrors(p), [], 'no script errors and no outside requests');
    await target?.api('DELETE', `/users/${user}`).catch(() => {});
    await browser?.close();
    await target?.close();
  });

  async function page(): Promise<Page> {
    const p = await newPage(browser, target);
    pages.push(p);
    return p;
  }

  it('refuses a wrong password with an error on the login form', async () => {
    const p = await page();
    await login(p, target, 'guest', 'not-the-password');
    const alert = p.locator('form.login [role=alert]');
    await waitForText(p, alert, /^Login failed/);
    assert.equal(await p.locator('header.top').count(), 0, 'still on the login form');
    await screenshot(p, 'login');
  });

  it('logs guest in, shows its tags and every page, and keeps the session over a reload', async () => {
    const p = await page();
    await login(p, target);
    const userBox = p.getByTestId('user');
    await waitForText(p, userBox, /guest.*administrator/);
    const tabs = await p.locator('nav.tabs a').allTextContents();
    assert.deepEqual(tabs, [
      'Overview',
      'Connections',
      'Channels',
      'Exchanges',
      'Queues',
      'Users',
      'Virtual hosts',
      'Policies',
      'Definitions',
    ]);
    await p.reload();
    await waitForText(p, userBox, /guest/);
  });

  it('shows totals, alarms state and the live charts on the overview', async () => {
    const p = await page();
    await login(p, target);
    await waitForText(p, p.getByTestId('alarms'), 'No resource alarms.');
    // the tiles show the API's totals: the built-in exchanges at least
    const totals = await target.api<{ object_totals: { exchanges: number } }>('GET', '/overview');
    assert.ok(totals.object_totals.exchanges >= 6);
    await waitForText(
      p,
      p.locator('.tile', { hasText: 'Exchanges' }).locator('.tile-value'),
      totals.object_totals.exchanges.toLocaleString('en-US'),
    );
    await waitForText(p, p.getByTestId('total-messages'), /^[\d,]+$/);
    assert.equal(await p.getByTestId('chart-rates').locator('svg').count(), 1);
    // two refreshes draw a line
    await p.getByRole('button', { name: 'refresh now' }).click();
    await p.getByTestId('chart-queued').locator('polyline').first().waitFor({ state: 'attached' });
    await screenshot(p, 'overview');
  });

  it('hides admin pages from a monitoring user and refuses their routes', async () => {
    const p = await page();
    await login(p, target, user, 'sekrit');
    await waitForText(p, p.getByTestId('user'), new RegExp(`${user}.*monitoring`));
    const tabs = await p.locator('nav.tabs a').allTextContents();
    assert.deepEqual(tabs, ['Overview', 'Connections', 'Channels', 'Exchanges', 'Queues']);
    await go(p, target, 'users');
    await waitForText(p, p.locator('main .error-box'), /needs the administrator tag/);
  });

  it('logs out back to the login form and forgets the credentials', async () => {
    const p = await page();
    await login(p, target);
    await waitForText(p, p.getByTestId('user'), /guest/);
    await p.getByRole('button', { name: 'Log out' }).click();
    await p.locator('form.login').waitFor();
    await p.reload();
    await p.locator('form.login').waitFor();
  });
});
