/**
 * A definitions file that cannot be imported. The message names the item, by section and position
 * and by name where it has one: `queues[2] ('orders' in vhost '/'): durable should be a boolean`.
 */
export class DefinitionsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DefinitionsError';
  }
}
