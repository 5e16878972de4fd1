/**
 * The default exchange (""): every queue is implicitly bound to it by its own name. It holds no
 * bindings of its own; routing looks the queue up in the vhost.
 */
import type { Binding, Destination } from '../binding.js';
import type { Message } from '../message.js';
import type { Queue } from '../queue/queue.js';
import { DirectExchange } from './direct.js';

export class DefaultExchange extends DirectExchange {
  private readonly lookup: (name: string) => Queue | undefined;

  constructor(vhost: string, lookup: (name: string) => Queue | undefined) {
    super({ name: '', vhost, durable: true, autoDelete: false, internal: false, arguments: {} });
    this.lookup = lookup;
  }

  override route(_msg: Message, routingKey: string, out: Set<Destination>): void {
    const q = this.lookup(routingKey);
    if (q) out.add(q);
  }

  protected override addToIndex(_b: Binding): void {}
  protected override removeFromIndex(_b: Binding): void {}
}
