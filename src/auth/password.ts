/**
 * Password hashes in RabbitMQ's format, so hashes move between RabbitMQ and Warren in definitions
 * files: base64 of a 4-byte random salt followed by H(salt ++ UTF-8 password), where H is named by the
 * user's `hashing_algorithm`. RabbitMQ creates SHA-256 hashes by default; SHA-512 and MD5 (the
 * pre-3.6 default) are still accepted on import and verified, as RabbitMQ does.
 *
 * An empty hash means "no password": such a user can only log in by a mechanism that proves identity
 * some other way (EXTERNAL).
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

export const HASHING_ALGORITHMS = {
  rabbit_password_hashing_sha256: 'sha256',
  rabbit_password_hashing_sha512: 'sha512',
  rabbit_password_hashing_md5: 'md5',
} as const;

export type HashingAlgorithm = keyof typeof HASHING_ALGORITHMS;

export const DEFAULT_HASHING: HashingAlgorithm = 'rabbit_password_hashing_sha256';

const SALT_BYTES = 4;

export function isHashingAlgorithm(name: unknown): name is HashingAlgorithm {
  return typeof name === 'string' && Object.hasOwn(HASHING_ALGORITHMS, name);
}

function digest(algorithm: HashingAlgorithm, salt: Buffer, password: string): Buffer {
  return createHash(HASHING_ALGORITHMS[algorithm]).update(salt).update(password, 'utf8').digest();
}

/** A fresh salted hash of `password` (salt ++ digest, raw bytes). */
export function hashPassword(password: string, algorithm: HashingAlgorithm = DEFAULT_HASHING): Buffer {
  const salt = randomBytes(SALT_BYTES);
  return Buffer.concat([salt, digest(algorithm, salt, password)]);
}

/**
 * Whether `password` matches `hash` (raw bytes). The comparison takes the same time wherever the
 * first difference is, so response timing does not reveal how close a guess was.
 */
export function verifyPassword(hash: Buffer, algorithm: HashingAlgorithm, password: string): boolean {
  if (hash.length <= SALT_BYTES || password === '') return false;
  const expected = hash.subarray(SALT_BYTES);
  const actual = digest(algorithm, hash.subarray(0, SALT_BYTES), password);
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}

/** Decodes a definitions file's `password_hash`; undefined when it is not valid base64. */
export function decodePasswordHash(b64: string): Buffer | undefined {
  const raw = b64.replace(/\s+/g, '');
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(raw) || raw.length % 4 === 1) return undefined;
  return Buffer.from(raw, 'base64');
}
