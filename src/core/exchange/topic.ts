/**
 * Topic exchange: binding keys are dot-separated words where `*` matches exactly one word and `#`
 * matches zero or more. Bindings live in a trie keyed by word, so routing walks only the branches that
 * can match instead of testing every binding.
 */
import type { Binding, Destination } from '../binding.js';
import type { Message } from '../message.js';
import { Exchange } from './exchange.js';

/** RabbitMQ treats the empty key as zero words (so only `#` matches it), not as one empty word. */
function words(key: string): string[] {
  return key === '' ? [] : key.split('.');
}

class TrieNode {
  readonly children = new Map<string, TrieNode>();
  readonly bindings: Binding[] = [];
}

export class TopicExchange extends Exchange {
  readonly type = 'topic';
  private readonly root = new TrieNode();

  route(_msg: Message, routingKey: string, out: Set<Destination>): void {
    this.match(this.root, words(routingKey), 0, out);
  }

  private match(node: TrieNode, words: string[], i: number, out: Set<Destination>): void {
    const hash = node.children.get('#');
    if (hash) {
      // '#' may swallow any number of the remaining words, including none.
      for (let j = i; j <= words.length; j++) this.match(hash, words, j, out);
    }
    if (i === words.length) {
      for (const b of node.bindings) out.add(b.destination);
      return;
    }
    const word = words[i] as string;
    const exact = node.children.get(word);
    if (exact) this.match(exact, words, i + 1, out);
    const star = node.children.get('*');
    if (star) this.match(star, words, i + 1, out);
  }

  protected addToIndex(b: Binding): void {
    let node = this.root;
    for (const word of words(b.routingKey)) {
      let next = node.children.get(word);
      if (!next) {
        next = new TrieNode();
        node.children.set(word, next);
      }
      node = next;
    }
    node.bindings.push(b);
  }

  protected removeFromIndex(b: Binding): void {
    const path: [TrieNode, string][] = [];
    let node = this.root;
    for (const word of words(b.routingKey)) {
      const next = node.children.get(word);
      if (!next) return;
      path.push([node, word]);
      node = next;
    }
    const i = node.bindings.indexOf(b);
    if (i >= 0) node.bindings.splice(i, 1);
    // Prune branches left empty so a churn of bindings does not grow the trie forever.
    for (let k = path.length - 1; k >= 0; k--) {
      const [parent, word] = path[k] as [TrieNode, string];
      const child = parent.children.get(word) as TrieNode;
      if (child.bindings.length > 0 || child.children.size > 0) break;
      parent.children.delete(word);
    }
  }
}
