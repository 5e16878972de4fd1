/**
 * max_message_size as RabbitMQ 3.13 applies it: a configured value is capped at 512 MiB (the hard
 * limit, ?MAX_MSG_SIZE), and a larger message closes the channel with 406, worded "max size" when the
 * hard limit is in force and "configured max size" otherwise (the default 128 MiB is configured).
 */
import { AmqpError, ReplyCode } from '../protocol/errors.js';
import { METHOD_ID } from '../protocol/generated/methods.js';

export const MAX_MESSAGE_SIZE_CAP = 536_870_912;

/** The limit in force for a configured max_message_size. */
export function effectiveMaxMessageSize(configured: number): number {
  return Math.min(configured, MAX_MESSAGE_SIZE_CAP);
}

/** The 406 for a message over the limit; it names basic.publish, as RabbitMQ's channel.close does. */
export function messageTooLarge(size: number, max: number): AmqpError {
  const which = max === MAX_MESSAGE_SIZE_CAP ? 'max size' : 'configured max size';
  const id = METHOD_ID['basic.publish'];
  return new AmqpError(
    ReplyCode.PreconditionFailed,
    `message size ${size} is larger than ${which} ${max}`,
    id >>> 16,
    id & 0xffff,
  );
}
