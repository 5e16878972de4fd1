/**
 * Totals read at request or sample time, never counted on the hot path: a vhost's message_stats are
 * its closed channels' counters plus those of its open channels; the node's are the sum over vhosts.
 * Queue totals (messages, ready, unacknowledged) are summed over queues.
 */
import type { Broker } from '../core/broker.js';
import type { VHost } from '../core/vhost.js';
import { addCounters, ChannelCounters } from './counters.js';

export function vhostMessageStats(broker: Broker, vhost: VHost): ChannelCounters {
  const total = new ChannelCounters();
  addCounters(total, vhost.closedChannels);
  for (const c of broker.connectionsOfVhost(vhost.name)) {
    for (const ch of c.channelInfos()) addCounters(total, ch.stats);
  }
  return total;
}

export function nodeMessageStats(broker: Broker): ChannelCounters {
  const total = new ChannelCounters();
  for (const v of broker.vhosts.values()) addCounters(total, vhostMessageStats(broker, v));
  return total;
}

export interface QueueTotals {
  messages: number;
  messagesReady: number;
  messagesUnacknowledged: number;
}

export function queueTotals(vhosts: Iterable<VHost>): QueueTotals {
  const t: QueueTotals = { messages: 0, messagesReady: 0, messagesUnacknowledged: 0 };
  for (const v of vhosts) {
    for (const q of v.queues.values()) {
      t.messagesReady += q.messageCount;
      t.messagesUnacknowledged += q.unackedCount;
    }
  }
  t.messages = t.messagesReady + t.messagesUnacknowledged;
  return t;
}

/** Bytes received and sent by a vhost's open connections (RabbitMQ's vhost recv_oct / send_oct). */
export function vhostTraffic(broker: Broker, vhost: string): { recvOct: number; sendOct: number } {
  let recvOct = 0;
  let sendOct = 0;
  for (const c of broker.connectionsOfVhost(vhost)) {
    recvOct += c.bytesIn;
    sendOct += c.bytesOut;
  }
  return { recvOct, sendOct };
}
