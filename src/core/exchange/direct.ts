/** Direct exchange: a binding matches when its key equals the routing key exactly. */
import type { Binding, Destination } from '../binding.js';
import type { Message } from '../message.js';
import { Exchange } from './exchange.js';

export class DirectExchange extends Exchange {
  readonly type: string = 'direct';
  private readonly byKey = new Map<string, Binding[]>();

  route(_msg: Message, routingKey: string, out: Set<Destination>): void {
    const list = this.byKey.get(routingKey);
    if (list) for (const b of list) out.add(b.destination);
  }

  protected addToIndex(b: Binding): void {
    const list = this.byKey.get(b.routingKey);
    if (list) list.push(b);
    else this.byKey.set(b.routingKey, [b]);
  }

  protected removeFromIndex(b: Binding): void {
    const list = this.byKey.get(b.routingKey);
    if (!list) return;
    const i = list.indexOf(b);
    if (i >= 0) list.splice(i, 1);
    if (list.length === 0) this.byKey.delete(b.routingKey);
  }
}
