/** Fanout exchange: every bound destination gets every message, keys ignored. */
import type { Binding, Destination } from '../binding.js';
import type { Message } from '../message.js';
import { Exchange } from './exchange.js';

export class FanoutExchange extends Exchange {
  readonly type = 'fanout';

  route(_msg: Message, _routingKey: string, out: Set<Destination>): void {
    for (const b of this.bindingMap.values()) out.add(b.destination);
  }

  protected addToIndex(_b: Binding): void {}
  protected removeFromIndex(_b: Binding): void {}
}
