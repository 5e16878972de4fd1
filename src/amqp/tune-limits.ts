/**
 * Checking the client's connection.tune-ok against the server's limits, as RabbitMQ 3.13's
 * validate_negotiated_integer_value does: a value below the protocol minimum is refused, and so is one
 * above the server's, where 0 ("no limit") counts as above any non-zero server value.
 *
 * RabbitMQ logs "failed to negotiate connection parameters: <text>" and closes the socket without a
 * word after 3 s; Warren sends that text in a connection.close 530 first, as it does for the other
 * errors before connection.open (test/raw/hostile.test.ts), so the client can tell what went wrong.
 */
import { AmqpError, ReplyCode } from '../protocol/errors.js';
import { FRAME_MIN_SIZE, METHOD_ID } from '../protocol/generated/methods.js';

/** RabbitMQ's CHANNEL_MIN */
const CHANNEL_MIN = 1;

function refusal(field: string, min: number, server: number, client: number): string | undefined {
  if (client !== 0 && client < min) {
    return `negotiated ${field} = ${client} is lower than the minimum allowed value (${min})`;
  }
  if (server !== 0 && (client === 0 || client > server)) {
    const detail = field === 'channel_max' && client === 0 ? ' (no limit)' : '';
    return `negotiated ${field} = ${client}${detail} is higher than the maximum allowed value (${server})`;
  }
  return undefined;
}

/** The 530 to close with when tune-ok asks for more than the server allows; undefined when it fits. */
export function tuneRefusal(
  server: { frameMax: number; channelMax: number },
  client: { frameMax: number; channelMax: number },
): AmqpError | undefined {
  const text =
    refusal('frame_max', FRAME_MIN_SIZE, server.frameMax, client.frameMax) ??
    refusal('channel_max', CHANNEL_MIN, server.channelMax, client.channelMax);
  if (text === undefined) return undefined;
  const id = METHOD_ID['connection.tune'];
  return new AmqpError(ReplyCode.NotAllowed, text, id >>> 16, id & 0xffff);
}
