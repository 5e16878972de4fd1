/**
 * When the broker stops reading a client's socket because something downstream of that client is
 * backed up. Reading is the one lever that bounds what a client can make the broker hold: frames not
 * read stay in the kernel's socket buffers and, once those fill, in the client.
 *
 * - Output: a client that asks for more than it reads (pipelined basic.get, declares, publishes whose
 *   confirms or returns it never reads) would otherwise grow its outbox without limit; past
 *   OUTPUT_HOLD_BYTES of unsent output the broker reads nothing more from it until the socket drains.
 *   Deliveries to consumers already stop at 1 MiB plus the newest message (connection.ts
 *   writable()), so this only bites a client that is not reading at all, or deliveries of messages
 *   larger than about 1.5 MiB (two of them in flight pass the mark).
 * - Message store: publishers faster than the disk would otherwise grow the store's write buffers by
 *   (ingest rate x fsync time) per flush: measured 120 MB with a 200 ms fsync and two publishers. Past
 *   STORE_HOLD_BYTES buffered, a connection that published stops being read until the store has
 *   written what it held. Consumers, acks and declares on other connections keep flowing.
 * - Direct reply-to: replies are pushed by other connections, so the requester's reading cannot slow
 *   them; past REPLY_DROP_BYTES of unsent output, replies to it are dropped, as replies to a gone
 *   requester are (direct reply-to is at-most-once).
 */

const MiB = 1024 * 1024;

/** Unsent output to one client past which its socket is no longer read. */
export const OUTPUT_HOLD_BYTES = 4 * MiB;

/** Bytes buffered in the message store past which publishing connections are no longer read. */
export const STORE_HOLD_BYTES = 32 * MiB;

/** Unsent output to one client past which direct replies to it are dropped. */
export const REPLY_DROP_BYTES = 16 * MiB;
