/**
 * The definitions store: durable vhosts, users, permissions, policies, exchanges, queues and bindings,
 * as an append-only log of changes (`definitions.log`), one line per change: `<crc32 hex> <json>`.
 *
 * Crash story. Each change is written with a synchronous write() before the client is answered, so
 * it survives a kill -9 the moment declare-ok is sent (the page cache outlives the process); an
 * fdatasync follows within one event-loop turn for power loss. After a crash the last line may be
 * torn: open() keeps every line whose checksum matches, drops a bad tail and reports it. On every
 * open the log is compacted: the live state is written to a temporary file, fsynced, and renamed
 * over the log, so the log never grows beyond the live definitions plus the changes since start.
 *
 * Field tables (arguments) are stored as their AMQP wire encoding in base64, so every value keeps
 * its exact type across a restart (a redeclare must compare equal to the original).
 *
 * No space. A write that fails with ENOSPC (or EDQUOT) keeps what it could not write, in order, and
 * retries every 500 ms; later changes queue behind it, so the log never has a gap or a half line
 * followed by another. The change is already made in memory and answered: until the retry succeeds it
 * would not survive a crash. onNoSpace raises the disk alarm meanwhile, as for the message store.
 */
import {
  closeSync,
  existsSync,
  fdatasync,
  fsyncSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import type { FieldTable } from '../protocol/field-types.js';
import { Reader } from '../protocol/reader.js';
import { Writer } from '../protocol/writer.js';
import { crc32 } from './crc32.js';

/** Bump when the line format changes; older formats are refused with a clear message. */
export const DEFINITIONS_FORMAT = 1;

export interface ExchangeDef {
  vhost: string;
  name: string;
  type: string;
  autoDelete: boolean;
  internal: boolean;
  arguments: FieldTable;
  /**
   * the message store's name for what a durable x-delayed-message exchange holds, from the queue id
   * sequence; absent for other exchanges (and in logs written before delayed exchanges existed)
   */
  id?: number;
}

export interface QueueDef {
  vhost: string;
  name: string;
  /** stable numeric id, the message store's name for this queue */
  id: number;
  autoDelete: boolean;
  arguments: FieldTable;
}

export interface BindingDef {
  vhost: string;
  source: string;
  destinationKind: 'queue' | 'exchange';
  destination: string;
  routingKey: string;
  arguments: FieldTable;
}

/** A policy as stored: its definition is plain JSON, kept as it is. */
export interface PolicyDef {
  vhost: string;
  name: string;
  pattern: string;
  applyTo: string;
  priority: number;
  definition: Record<string, unknown>;
}

/** A vhost as stored; `def` is absent in logs written before vhost metadata and limits existed. */
export interface VhostDef {
  name: string;
  description?: string;
  tags?: string[];
  defaultQueueType?: string;
  /** set_vhost_limits, as given (max-connections, max-queues) */
  limits?: Record<string, number>;
}

/** A user as stored: the password hash in RabbitMQ's format (base64 salt ++ digest, "" = none). */
export interface UserDef {
  name: string;
  passwordHash: string;
  hashingAlgorithm: string;
  tags: string[];
  limits: Record<string, number>;
}

export interface PermissionDef {
  user: string;
  vhost: string;
  configure: string;
  write: string;
  read: string;
}

export interface TopicPermissionDef {
  user: string;
  vhost: string;
  exchange: string;
  write: string;
  read: string;
}

// Lines of a kind an older Warren did not write (`policy`, `user`...) are simply absent from its logs,
// so adding one keeps those logs readable without a format bump.
type Change =
  | { op: 'format'; version: number }
  | { op: 'vhost'; name: string; def?: VhostDef }
  | { op: 'vhost-'; name: string }
  | { op: 'user'; def: UserDef }
  | { op: 'user-'; name: string }
  | { op: 'permission'; def: PermissionDef }
  | { op: 'permission-'; user: string; vhost: string }
  | { op: 'topic-permission'; def: TopicPermissionDef }
  | { op: 'topic-permission-'; user: string; vhost: string; exchange: string }
  | { op: 'exchange'; def: Omit<ExchangeDef, 'arguments'> & { arguments: string } }
  | { op: 'exchange-'; vhost: string; name: string }
  | { op: 'queue'; def: Omit<QueueDef, 'arguments'> & { arguments: string } }
  | { op: 'queue-'; vhost: string; name: string }
  | { op: 'binding'; def: Omit<BindingDef, 'arguments'> & { arguments: string } }
  | { op: 'binding-'; def: Omit<BindingDef, 'arguments'> & { arguments: string } }
  | { op: 'policy'; def: PolicyDef }
  | { op: 'policy-'; vhost: string; name: string };

function encodeTable(t: FieldTable): string {
  const w = new Writer(256);
  w.table(t);
  return w.buf.subarray(0, w.pos).toString('base64');
}

function decodeTable(s: string): FieldTable {
  return new Reader(Buffer.from(s, 'base64')).table();
}

const key = (...parts: string[]): string => parts.join('\0');
const bindingKey = (b: BindingDef | (Omit<BindingDef, 'arguments'> & { arguments: string })): string =>
  key(
    b.vhost,
    b.source,
    b.destinationKind,
    b.destination,
    b.routingKey,
    typeof b.arguments === 'string' ? b.arguments : encodeTable(b.arguments),
  );

export interface DefinitionsState {
  vhosts: VhostDef[];
  users: UserDef[];
  permissions: PermissionDef[];
  topicPermissions: TopicPermissionDef[];
  exchanges: ExchangeDef[];
  queues: QueueDef[];
  bindings: BindingDef[];
  policies: PolicyDef[];
  /** problems found while reading the log (torn or corrupt lines dropped) */
  dropped: string[];
}

export class DefinitionsStore {
  private readonly path: string;
  private fd = -1;
  private syncScheduled = false;
  private nextQueueId = 1;
  /** bytes not yet written for want of space, oldest first (see "No space" above) */
  private unwritten: Buffer[] = [];
  private retryTimer: NodeJS.Timeout | undefined;
  private readonly onNoSpace: (full: boolean) => void;

  constructor(dir: string, onNoSpace: (full: boolean) => void = () => {}) {
    mkdirSync(dir, { recursive: true });
    this.path = join(dir, 'definitions.log');
    this.onNoSpace = onNoSpace;
  }

  /** Reads and compacts the log. Call once before any change. */
  open(): DefinitionsState {
    const vhosts = new Map<string, Change & { op: 'vhost' }>();
    const users = new Map<string, Change & { op: 'user' }>();
    const permissions = new Map<string, Change & { op: 'permission' }>();
    const topicPermissions = new Map<string, Change & { op: 'topic-permission' }>();
    const exchanges = new Map<string, Change & { op: 'exchange' }>();
    const queues = new Map<string, Change & { op: 'queue' }>();
    const bindings = new Map<string, Change & { op: 'binding' }>();
    const policies = new Map<string, Change & { op: 'policy' }>();
    const dropped: string[] = [];
    if (existsSync(this.path)) {
      const lines = readFileSync(this.path, 'utf8').split('\n');
      lines.forEach((line, i) => {
        if (line === '') return;
        const sp = line.indexOf(' ');
        const json = line.slice(sp + 1);
        if (sp !== 8 || parseInt(line.slice(0, 8), 16) !== crc32(Buffer.from(json))) {
          dropped.push(`definitions.log line ${i + 1}: checksum mismatch (torn or corrupt), dropped`);
          return;
        }
        const c = JSON.parse(json) as Change;
        switch (c.op) {
          case 'format':
            if (c.version !== DEFINITIONS_FORMAT) {
              throw new Error(
                `${this.path} is in definitions format ${c.version}, this Warren reads format ${DEFINITIONS_FORMAT}; refusing to start rather than misread it`,
              );
            }
            break;
          case 'vhost':
            vhosts.set(c.name, c);
            break;
          case 'vhost-':
            // Everything in the vhost goes with it (its deletes were logged before this line, but a
            // binding between predeclared exchanges, say, never gets one of its own).
            vhosts.delete(c.name);
            for (const m of [exchanges, queues, bindings, policies, permissions, topicPermissions])
              for (const [k, v] of m) if (v.def.vhost === c.name) m.delete(k);
            break;
          case 'user':
            users.set(c.def.name, c);
            break;
          case 'user-':
            users.delete(c.name);
            for (const m of [permissions, topicPermissions])
              for (const [k, v] of m) if (v.def.user === c.name) m.delete(k);
            break;
          case 'permission':
            permissions.set(key(c.def.vhost, c.def.user), c);
            break;
          case 'permission-':
            permissions.delete(key(c.vhost, c.user));
            break;
          case 'topic-permission':
            topicPermissions.set(key(c.def.vhost, c.def.user, c.def.exchange), c);
            break;
          case 'topic-permission-':
            topicPermissions.delete(key(c.vhost, c.user, c.exchange));
            break;
          case 'exchange':
            exchanges.set(key(c.def.vhost, c.def.name), c);
            if (c.def.id !== undefined) this.nextQueueId = Math.max(this.nextQueueId, c.def.id + 1);
            break;
          case 'exchange-':
            exchanges.delete(key(c.vhost, c.name));
            break;
          case 'queue':
            queues.set(key(c.def.vhost, c.def.name), c);
            this.nextQueueId = Math.max(this.nextQueueId, c.def.id + 1);
            break;
          case 'queue-':
            queues.delete(key(c.vhost, c.name));
            break;
          case 'binding':
            bindings.set(bindingKey(c.def), c);
            break;
          case 'binding-':
            bindings.delete(bindingKey(c.def));
            break;
          case 'policy':
            policies.set(key(c.def.vhost, c.def.name), c);
            break;
          case 'policy-':
            policies.delete(key(c.vhost, c.name));
            break;
        }
      });
    }
    // Compact: rewrite the live state as a fresh log and swap it in atomically.
    const live: Change[] = [
      { op: 'format', version: DEFINITIONS_FORMAT },
      ...vhosts.values(),
      ...users.values(),
      ...permissions.values(),
      ...topicPermissions.values(),
      ...policies.values(),
      ...exchanges.values(),
      ...queues.values(),
      ...bindings.values(),
    ];
    const tmp = `${this.path}.tmp`;
    const fd = openSync(tmp, 'w');
    writeSync(fd, live.map(line).join(''));
    fsyncSync(fd);
    closeSync(fd);
    renameSync(tmp, this.path);
    this.fd = openSync(this.path, 'a');
    return {
      vhosts: [...vhosts.values()].map((c) => c.def ?? { name: c.name }),
      users: [...users.values()].map((c) => c.def),
      permissions: [...permissions.values()].map((c) => c.def),
      topicPermissions: [...topicPermissions.values()].map((c) => c.def),
      exchanges: [...exchanges.values()].map((c) => ({ ...c.def, arguments: decodeTable(c.def.arguments) })),
      queues: [...queues.values()].map((c) => ({ ...c.def, arguments: decodeTable(c.def.arguments) })),
      bindings: [...bindings.values()].map((c) => ({ ...c.def, arguments: decodeTable(c.def.arguments) })),
      policies: [...policies.values()].map((c) => c.def),
      dropped,
    };
  }

  allocateQueueId(): number {
    return this.nextQueueId++;
  }

  putVhost(def: VhostDef): void {
    this.write({ op: 'vhost', name: def.name, def });
  }
  deleteVhost(name: string): void {
    this.write({ op: 'vhost-', name });
  }
  putExchange(def: ExchangeDef): void {
    this.write({ op: 'exchange', def: { ...def, arguments: encodeTable(def.arguments) } });
  }
  deleteExchange(vhost: string, name: string): void {
    this.write({ op: 'exchange-', vhost, name });
  }
  putQueue(def: QueueDef): void {
    this.write({ op: 'queue', def: { ...def, arguments: encodeTable(def.arguments) } });
  }
  deleteQueue(vhost: string, name: string): void {
    this.write({ op: 'queue-', vhost, name });
  }
  putBinding(def: BindingDef): void {
    this.write({ op: 'binding', def: { ...def, arguments: encodeTable(def.arguments) } });
  }
  deleteBinding(def: BindingDef): void {
    this.write({ op: 'binding-', def: { ...def, arguments: encodeTable(def.arguments) } });
  }

  putUser(def: UserDef): void {
    this.write({ op: 'user', def });
  }
  deleteUser(name: string): void {
    this.write({ op: 'user-', name });
  }
  putPermission(def: PermissionDef): void {
    this.write({ op: 'permission', def });
  }
  deletePermission(user: string, vhost: string): void {
    this.write({ op: 'permission-', user, vhost });
  }
  putTopicPermission(def: TopicPermissionDef): void {
    this.write({ op: 'topic-permission', def });
  }
  deleteTopicPermission(user: string, vhost: string, exchange: string): void {
    this.write({ op: 'topic-permission-', user, vhost, exchange });
  }

  putPolicy(def: PolicyDef): void {
    this.write({ op: 'policy', def });
  }
  deletePolicy(vhost: string, name: string): void {
    this.write({ op: 'policy-', vhost, name });
  }

  private write(c: Change): void {
    if (this.fd < 0) throw new Error('definitions store is not open');
    this.unwritten.push(Buffer.from(line(c)));
    if (this.unwritten.length === 1) this.writeUnwritten();
  }

  /** Writes what waits, in order, as far as space allows; a short write keeps the rest of its line. */
  private writeUnwritten(): void {
    while (this.unwritten.length > 0 && this.fd >= 0) {
      const b = this.unwritten[0] as Buffer;
      let n: number;
      try {
        n = writeSync(this.fd, b);
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code !== 'ENOSPC' && code !== 'EDQUOT') {
          this.unwritten.shift(); // as before: this change fails, the next ones are tried
          throw err;
        }
        if (this.retryTimer === undefined) {
          this.onNoSpace(true);
          this.retryTimer = setInterval(() => this.writeUnwritten(), 500);
          this.retryTimer.unref();
        }
        return;
      }
      if (n < b.length) this.unwritten[0] = b.subarray(n);
      else this.unwritten.shift();
    }
    if (this.retryTimer !== undefined) {
      clearInterval(this.retryTimer);
      this.retryTimer = undefined;
      this.onNoSpace(false);
    }
    if (!this.syncScheduled) {
      this.syncScheduled = true;
      setImmediate(() => {
        this.syncScheduled = false;
        if (this.fd >= 0) fdatasync(this.fd, () => {});
      });
    }
  }

  close(): void {
    if (this.fd < 0) return;
    if (this.retryTimer !== undefined) clearInterval(this.retryTimer);
    this.retryTimer = undefined;
    this.unwritten = [];
    fsyncSync(this.fd);
    closeSync(this.fd);
    this.fd = -1;
  }
}

function line(c: Change): string {
  const json = JSON.stringify(c);
  return `${crc32(Buffer.from(json)).toString(16).padStart(8, '0')} ${json}\n`;
}
