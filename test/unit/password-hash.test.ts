/**
 * Password hashes in RabbitMQ's format: hashes made by RabbitMQ verify in Warren (so exported users
 * keep their passwords), Warren's own hashes have RabbitMQ's layout, and wrong or empty passwords fail.
 *
 * The recorded hashes come from the reference RabbitMQ 3.10.8 (`rabbitmqctl add_user`, then
 * `rabbitmqctl export_definitions`). With WARREN_REFERENCE_CTL set to a command that runs rabbitmqctl
 * (e.g. "bash /path/to/reference-rabbitmq.sh ctl"), one more user is created there and its fresh hash
 * checked the same way.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { createHash } from 'node:crypto';
import {
  decodePasswordHash,
  hashPassword,
  type HashingAlgorithm,
  verifyPassword,
} from '../../src/auth/password.js';
import { uniqueName } from '../helpers/broker.js';

const FROM_RABBITMQ: { password: string; hash: string }[] = [
  { password: 'guest', hash: '7+YWaLjM/jBOX4Nv6V2HHks3KXWCgj4UmXJRgzyk8kBx7mrG' },
  { password: 'pässwörd with spaces', hash: 'KLxPhOwnbVVtRnBtNr/ZPnl1uUQuqENYy8RbxSnYgFoOemFS' },
  { password: 'x', hash: 'B3nuoFFoCqm2ru7I+N3qpSgowQJgbp/D6czGLxjQhice80pd' },
  { password: 'secret', hash: '9djaNAcCMXh20EumUEXneBYsvxmz+RyCQZKFANMzeqih2sUk' },
];

const SHA256: HashingAlgorithm = 'rabbit_password_hashing_sha256';

function decoded(b64: string): Buffer {
  const h = decodePasswordHash(b64);
  assert.ok(h, `not base64: ${b64}`);
  return h;
}

describe('password hashes', () => {
  test('hashes exported by RabbitMQ verify with their password and no other', () => {
    for (const { password, hash } of FROM_RABBITMQ) {
      const h = decoded(hash);
      assert.equal(h.length, 4 + 32, 'salt of 4 bytes, SHA-256 digest of 32');
      assert.ok(verifyPassword(h, SHA256, password), `'${password}' against ${hash}`);
      assert.ok(!verifyPassword(h, SHA256, `${password}!`));
      assert.ok(
        !verifyPassword(h, SHA256, password.toUpperCase() === password ? 'other' : password.toUpperCase()),
      );
    }
    // One password's hash does not verify another's.
    assert.ok(!verifyPassword(decoded(FROM_RABBITMQ[0]?.hash ?? ''), SHA256, 'x'));
  });

  test("Warren's hash is base64 of a 4-byte salt and SHA-256(salt ++ password)", () => {
    const h = hashPassword('s3cret');
    assert.equal(h.length, 36);
    const salt = h.subarray(0, 4);
    const expected = createHash('sha256').update(salt).update('s3cret').digest();
    assert.deepEqual(h.subarray(4), expected);
    assert.ok(verifyPassword(decoded(h.toString('base64')), SHA256, 's3cret'));
    // A fresh salt every time: the same password never gives the same hash twice.
    assert.notDeepEqual(hashPassword('s3cret'), h);
  });

  test('SHA-512 and MD5 hashes (other RabbitMQ hashing modules) verify too', () => {
    for (const [algorithm, digest] of [
      ['rabbit_password_hashing_sha512', 'sha512'],
      ['rabbit_password_hashing_md5', 'md5'],
    ] as const) {
      const salt = Buffer.from([1, 2, 3, 4]);
      const h = Buffer.concat([salt, createHash(digest).update(salt).update('pw').digest()]);
      assert.ok(verifyPassword(h, algorithm, 'pw'), algorithm);
      assert.ok(!verifyPassword(h, algorithm, 'pw2'), algorithm);
      assert.ok(verifyPassword(hashPassword('pw', algorithm), algorithm, 'pw'), algorithm);
    }
  });

  test('no hash (a user without password) and the empty password never verify', () => {
    assert.ok(!verifyPassword(Buffer.alloc(0), SHA256, ''));
    assert.ok(!verifyPassword(Buffer.alloc(0), SHA256, 'anything'));
    assert.ok(!verifyPassword(hashPassword(''), SHA256, ''));
  });

  test('malformed base64 is recognised', () => {
    assert.equal(decodePasswordHash('not base64!'), undefined);
    assert.equal(decodePasswordHash('abcde'), undefined);
    assert.deepEqual(decodePasswordHash(''), Buffer.alloc(0));
  });

  const ctl = process.env['WARREN_REFERENCE_CTL'];
  test(
    'a hash made now by the reference RabbitMQ verifies',
    { skip: !ctl && 'WARREN_REFERENCE_CTL not set' },
    () => {
      const run = (...args: string[]): string =>
        execFileSync('/bin/sh', ['-c', `${ctl} "$@"`, 'ctl', ...args], { encoding: 'utf8' });
      const user = uniqueName('hash-user');
      const password = `pw-${uniqueName('p')}-é`;
      const dir = mkdtempSync(join(tmpdir(), 'warren-hash-'));
      run('add_user', user, password);
      try {
        run('export_definitions', join(dir, 'defs.json'));
        const defs = JSON.parse(readFileSync(join(dir, 'defs.json'), 'utf8')) as {
          users: { name: string; password_hash: string; hashing_algorithm: string }[];
        };
        const u = defs.users.find((x) => x.name === user);
        assert.ok(u, 'the user is in the export');
        assert.equal(u.hashing_algorithm, SHA256);
        assert.ok(verifyPassword(decoded(u.password_hash), SHA256, password));
        assert.ok(!verifyPassword(decoded(u.password_hash), SHA256, 'wrong'));
      } finally {
        run('delete_user', user);
        rmSync(dir, { recursive: true, force: true });
      }
    },
  );
});
