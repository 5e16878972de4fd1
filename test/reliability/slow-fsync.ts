/**
 * A slow disk, for brokers in child processes: loaded with `node --import` before the broker, it
 * delays every fsync and fdatasync that goes through a FileHandle (what the message store uses) by
 * WARREN_TEST_FSYNC_DELAY_MS. Nothing happens without that variable, so the test runner may import it
 * as if it were a test file.
 */
import { open, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const delay = Number(process.env['WARREN_TEST_FSYNC_DELAY_MS'] ?? 0);

if (delay > 0) {
  // FileHandle is not exported; its prototype is reachable through any open handle.
  const path = join(tmpdir(), `warren-slow-fsync-${process.pid}`);
  const probe = await open(path, 'w');
  const proto = Object.getPrototypeOf(probe) as { sync(): Promise<void>; datasync(): Promise<void> };
  await probe.close();
  await rm(path, { force: true });
  const { sync, datasync } = proto;
  const later = (): Promise<void> => new Promise((r) => setTimeout(r, delay));
  proto.sync = async function (this: unknown) {
    await later();
    return sync.call(this);
  };
  proto.datasync = async function (this: unknown) {
    await later();
    return datasync.call(this);
  };
}
