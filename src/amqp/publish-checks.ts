/**
 * Per-publish rules RabbitMQ applies to message properties: the `expiration` format, and
 * sender-selected distribution (in the core, since a delayed exchange applies it too).
 */
import { preconditionFailed } from '../protocol/errors.js';

export function validateExpiration(expiration: string | undefined): void {
  if (expiration === undefined) return;
  if (!/^-?\d+$/.test(expiration)) throw preconditionFailed(`invalid expiration '${expiration}': no_integer`);
  const n = Number(expiration);
  if (n < 0) throw preconditionFailed(`invalid expiration '${expiration}': {value_negative,${n}}`);
}

export { senderSelected } from '../core/sender-selected.js';
