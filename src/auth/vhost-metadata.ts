/**
 * What RabbitMQ keeps about a vhost besides its contents: a description, tags, and the default queue
 * type for queues declared without `x-queue-type` (Warren has classic queues only, so it keeps and
 * lists the setting but every queue is classic).
 */
import { invalid } from './auth-error.js';
import { parseTags } from './user.js';

export interface VhostMetadata {
  description: string;
  tags: string[];
  /** 'classic', 'quorum' or 'stream'; undefined when never set */
  defaultQueueType: string | undefined;
}

export const QUEUE_TYPES = ['classic', 'quorum', 'stream'];

/** Operator input for add_vhost / the HTTP API's PUT; `unknown` where it comes from JSON. */
export interface VhostMetadataInput {
  description?: unknown;
  tags?: unknown;
  defaultQueueType?: unknown;
}

export function emptyMetadata(): VhostMetadata {
  return { description: '', tags: [], defaultQueueType: undefined };
}

/** `base` with the fields `input` gives replaced; throws AuthError('invalid'). */
export function mergeMetadata(base: VhostMetadata, input: VhostMetadataInput): VhostMetadata {
  const out = { ...base, tags: [...base.tags] };
  if (input.description !== undefined) {
    if (typeof input.description !== 'string') throw invalid('description should be a string');
    out.description = input.description;
  }
  if (input.tags !== undefined) out.tags = parseTags(input.tags);
  if (input.defaultQueueType !== undefined && input.defaultQueueType !== 'undefined') {
    if (typeof input.defaultQueueType !== 'string' || !QUEUE_TYPES.includes(input.defaultQueueType)) {
      throw invalid(
        `default queue type '${String(input.defaultQueueType)}' is invalid; should be one of: ${QUEUE_TYPES.join(', ')}`,
      );
    }
    out.defaultQueueType = input.defaultQueueType;
  }
  return out;
}
