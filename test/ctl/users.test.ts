/**
 * Users, vhosts, permissions and policies made with warrenctl take effect where AMQP clients feel them:
 * logins, vhost access, configure permissions, policy limits.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import amqp from 'amqplib';
import { uniqueName } from '../helpers/broker.js';
import { waitFor } from '../helpers/wait.js';
import { startCtlBroker, type CtlBroker } from './ctl.js';

let b: CtlBroker;
const vhost = uniqueName('ctl-vh');
const user = uniqueName('ctl-user');

/** amqp://user:pw@host:port/vhost */
function amqpUrl(name: string, password: string, vh: string): string {
  const u = new URL(b.url);
  return `amqp://${encodeURIComponent(name)}:${encodeURIComponent(password)}@${u.host}/${encodeURIComponent(vh)}`;
}

async function canLogIn(name: string, password: string, vh = vhost): Promise<boolean> {
  try {
    const c = await amqp.connect(amqpUrl(name, password, vh));
    await c.close();
    return true;
  } catch {
    return false;
  }
}

before(async () => {
  b = await startCtlBroker();
});

after(async () => {
  await b?.ctl(['delete_user', user]);
  await b?.ctl(['delete_vhost', vhost]);
  await b?.close();
});

test('add_user, add_vhost, set_permissions: the user logs in over AMQP with what it was given', async () => {
  const add = await b.ctl(['add_user', user, 's3cret']);
  assert.equal(add.code, 0, add.stderr);
  assert.equal(
    add.stdout,
    `Adding user "${user}" ...\nDone. Don't forget to grant the user permissions to some virtual hosts! See 'warrenctl help set_permissions' to learn more.\n`,
  );
  assert.equal((await b.ctl(['add_vhost', vhost])).stdout, `Adding vhost "${vhost}" ...\n`);
  assert.equal(await canLogIn(user, 's3cret'), false, 'no permissions in the vhost yet');

  const set = await b.ctl(['set_permissions', '-p', vhost, user, '^ctl-', '.*', '.*']);
  assert.equal(set.code, 0, set.stderr);
  assert.equal(set.stdout, `Setting permissions for user "${user}" in vhost "${vhost}" ...\n`);

  const conn = await amqp.connect(amqpUrl(user, 's3cret', vhost));
  try {
    const ch = await conn.createChannel();
    ch.on('error', () => {}); // the 403 below closes the channel; the rejection is what is checked
    await ch.assertQueue('ctl-mine', { autoDelete: true });
    // configure permission '^ctl-' does not cover this name
    await assert.rejects(ch.assertQueue('theirs'), /ACCESS_REFUSED|access to queue/i);
  } finally {
    await conn.close().catch(() => {});
  }
  assert.equal(await canLogIn(user, 'wrong'), false);

  const perms = await b.ctl(['-q', 'list_user_permissions', user]);
  assert.equal(perms.stdout, `vhost\tconfigure\twrite\tread\n${vhost}\t^ctl-\t.*\t.*\n`);
});

test('add_user of an existing user fails with exit 70 and leaves its password alone', async () => {
  const r = await b.ctl(['add_user', user, 'other']);
  assert.equal(r.code, 70);
  assert.equal(r.stderr, `Error:\nUser "${user}" already exists\n`);
  assert.equal(await canLogIn(user, 's3cret'), true);
});

test('change_password and set_user_tags', async () => {
  const c = await b.ctl(['change_password', user, 'n3w']);
  assert.equal(c.code, 0, c.stderr);
  assert.equal(c.stdout, `Changing password for user "${user}" ...\n`);
  assert.equal(await canLogIn(user, 's3cret'), false);
  assert.equal(await canLogIn(user, 'n3w'), true);

  const t = await b.ctl(['set_user_tags', user, 'monitoring', 'policymaker']);
  assert.equal(t.stdout, `Setting tags for user "${user}" to [monitoring, policymaker] ...\n`);
  const list = await b.ctl(['-s', 'list_users']);
  assert.ok(list.stdout.split('\n').includes(`${user}\t[monitoring, policymaker]`), list.stdout);
  assert.equal(await canLogIn(user, 'n3w'), true, 'tags keep the password');

  const missing = await b.ctl(['change_password', 'ctl-nobody', 'x']);
  assert.equal(missing.code, 67);
  assert.equal(missing.stderr, 'Error:\nUser "ctl-nobody" does not exist\n');
});

test('add_user reads the password from standard input when none is given', async () => {
  const other = uniqueName('ctl-stdin');
  try {
    assert.equal((await b.ctl(['add_user', other], { input: 'from-stdin\n' })).code, 0);
    await b.ctl(['set_permissions', '-p', vhost, other, '.*', '.*', '.*']);
    assert.equal(await canLogIn(other, 'from-stdin'), true);
  } finally {
    await b.ctl(['delete_user', other]);
  }
  const none = await b.ctl(['add_user', uniqueName('ctl-nopw')]);
  assert.equal(none.code, 65);
  assert.match(none.stderr, /Password is not provided via argument or stdin/);
});

test('set_permissions names what is missing: vhost (69) or user (67)', async () => {
  const v = await b.ctl(['set_permissions', '-p', 'ctl-no-such-vhost', user, '.*', '.*', '.*']);
  assert.equal(v.code, 69);
  assert.equal(v.stderr, "Error:\nVirtual host 'ctl-no-such-vhost' does not exist\n");
  const u = await b.ctl(['set_permissions', '-p', vhost, 'ctl-nobody', '.*', '.*', '.*']);
  assert.equal(u.code, 67);
  assert.equal(u.stderr, 'Error:\nUser "ctl-nobody" does not exist\n');
});

test('topic permissions: set, list, clear', async () => {
  const s = await b.ctl(['set_topic_permissions', '-p', vhost, user, 'amq.topic', '^a\\.', '^b\\.']);
  assert.equal(s.code, 0, s.stderr);
  assert.equal(
    s.stdout,
    `Setting topic permissions on "amq.topic" for user "${user}" in vhost "${vhost}" ...\n`,
  );
  const l = await b.ctl(['-s', 'list_topic_permissions', '-p', vhost]);
  assert.equal(l.stdout, `${user}\tamq.topic\t^a\\.\t^b\\.\n`);
  assert.equal((await b.ctl(['clear_topic_permissions', '-p', vhost, user])).code, 0);
  assert.equal((await b.ctl(['-s', 'list_topic_permissions', '-p', vhost])).stdout, '');
});

test('set_policy applies to queues over AMQP; list_policies shows it; clear_policy removes it', async () => {
  const s = await b.ctl([
    'set_policy',
    '-p',
    vhost,
    'ctl-cap',
    '^ctl-capped$',
    '{"max-length":1}',
    '--priority',
    '2',
    '--apply-to',
    'queues',
  ]);
  assert.equal(s.code, 0, s.stderr);
  assert.equal(
    s.stdout,
    `Setting policy "ctl-cap" for pattern "^ctl-capped$" to "{"max-length":1}" with priority "2" for vhost "${vhost}" ...\n`,
  );
  const l = await b.ctl(['-q', 'list_policies', '-p', vhost]);
  assert.equal(
    l.stdout,
    `vhost\tname\tpattern\tapply-to\tdefinition\tpriority\n${vhost}\tctl-cap\t^ctl-capped$\tqueues\t{"max-length":1}\t2\n`,
  );

  const conn = await amqp.connect(amqpUrl(user, 'n3w', vhost));
  try {
    const ch = await conn.createConfirmChannel();
    await ch.assertQueue('ctl-capped', { autoDelete: false });
    for (let i = 0; i < 3; i++) ch.sendToQueue('ctl-capped', Buffer.from(String(i)));
    await ch.waitForConfirms();
    await waitFor(async () => (await ch.checkQueue('ctl-capped')).messageCount === 1, 5000, 'max-length 1');
    await ch.deleteQueue('ctl-capped');
  } finally {
    await conn.close().catch(() => {});
  }

  assert.equal((await b.ctl(['clear_policy', '-p', vhost, 'ctl-cap'])).code, 0);
  const again = await b.ctl(['clear_policy', '-p', vhost, 'ctl-cap']);
  assert.equal(again.code, 69);
  assert.match(again.stderr, /Policy 'ctl-cap' in vhost '.*' does not exist/);

  const bad = await b.ctl(['set_policy', '-p', vhost, 'ctl-bad', '.*', '{oops']);
  assert.equal(bad.code, 65);
  assert.match(bad.stderr, /^Error:\nJSON decoding error: /);
});

test('delete_user: the user can no longer log in; a second delete says it does not exist (67)', async () => {
  const d = await b.ctl(['delete_user', user]);
  assert.equal(d.code, 0, d.stderr);
  assert.equal(d.stdout, `Deleting user "${user}" ...\n`);
  assert.equal(await canLogIn(user, 'n3w'), false);
  const again = await b.ctl(['delete_user', user]);
  assert.equal(again.code, 67);
  assert.equal(again.stderr, `Error:\nUser "${user}" does not exist\n`);

  const v = await b.ctl(['delete_vhost', vhost]);
  assert.equal(v.code, 0, v.stderr);
  const v2 = await b.ctl(['delete_vhost', vhost]);
  assert.equal(v2.code, 65);
  assert.equal(v2.stderr, `Error:\nVirtual host '${vhost}' does not exist\n`);
});
