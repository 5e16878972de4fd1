/**
 * Publisher-confirm bookkeeping for one channel. Sequence numbers start at 1 (the first publish after
 * confirm.select). Everything up to `low` is resolved; tags resolved one by one above `low` wait in
 * `above` until the gap below them closes. A confirm for a tag never published, or resolved twice, is
 * a broker bug and is reported.
 */
export class ConfirmTracker {
  private low = 0;
  private readonly above = new Set<number>();
  confirmed = 0;
  nacked = 0;

  get resolved(): number {
    return this.confirmed + this.nacked;
  }

  /** Applies basic.ack (nack false) or basic.nack for `tag`; returns an error text if it is invalid. */
  resolve(tag: number, multiple: boolean, nack: boolean, published: number): string | undefined {
    const what = `${nack ? 'basic.nack' : 'basic.ack'} delivery-tag ${tag}${multiple ? ' multiple' : ''}`;
    if (tag > published) return `${what}, but only ${published} messages were published`;
    let n = 0;
    if (multiple) {
      if (tag <= this.low) return `${what}: every tag up to ${this.low} was already confirmed`;
      if (this.above.size === 0) n = tag - this.low;
      else for (let t = this.low + 1; t <= tag; t++) if (!this.above.delete(t)) n++;
      this.low = tag;
    } else {
      if (tag <= this.low || this.above.has(tag)) return `${what}: tag already confirmed`;
      this.above.add(tag);
      n = 1;
    }
    while (this.above.delete(this.low + 1)) this.low++;
    if (nack) this.nacked += n;
    else this.confirmed += n;
    return undefined;
  }
}
