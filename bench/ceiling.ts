/**
 * The machine's ceiling for large messages (scenario 7), without any broker: how many MiB per second
 * one TCP stream of 1 MiB writes carries on this machine
 *
 *   direct   source -> sink                     (every byte copied twice: into and out of the kernel)
 *   node     source -> Node relay -> sink       (four copies; the relay reads with 'data' events)
 *   socat    source -> socat -> sink            (four copies; a C relay with a 1 MiB buffer, if installed)
 *
 * A broker is a relay: whatever it does besides, each byte of a 1 MiB message enters it from one
 * socket and leaves it through another, so the relay rows bound what any broker can move here, and
 * they bound it far below twice what RabbitMQ moves. Source and sink are separate processes, as the
 * publisher and consumer of the benchmark are.
 *
 *   node dist/bench/ceiling.js [--seconds 5]
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import { fileURLToPath } from 'node:url';
import { readCpuMicros } from './proc.js';

const SELF = fileURLToPath(import.meta.url);
const CHUNK = 1024 * 1024;

/** Child roles: sink PORT (prints MiB/s when the stream ends), relay LISTEN TARGET, source PORT SECONDS. */
function child(role: string, a: string, b: string | undefined): void {
  if (role === 'sink') {
    const server = net.createServer((s) => {
      let bytes = 0;
      const t0 = process.hrtime.bigint();
      s.on('data', (d: Buffer) => (bytes += d.length));
      s.on('end', () => {
        const secs = Number(process.hrtime.bigint() - t0) / 1e9;
        process.stdout.write(`${(bytes / CHUNK / secs).toFixed(0)}\n`);
        server.close();
      });
    });
    server.listen(0, '127.0.0.1', () =>
      process.stdout.write(`port ${(server.address() as net.AddressInfo).port}\n`),
    );
  } else if (role === 'relay') {
    const server = net.createServer((s) => {
      const up = net.connect(Number(b), '127.0.0.1');
      s.on('data', (d: Buffer) => {
        if (!up.write(d)) {
          s.pause();
          up.once('drain', () => s.resume());
        }
      });
      s.on('end', () => up.end(() => server.close()));
    });
    server.listen(Number(a), '127.0.0.1', () => process.stdout.write('ready\n'));
  } else {
    const s = net.connect(Number(a), '127.0.0.1');
    const chunk = Buffer.alloc(CHUNK, 1);
    const until = Date.now() + Number(b) * 1000;
    const go = (): void => {
      while (Date.now() < until) {
        if (!s.write(chunk)) {
          s.once('drain', go);
          return;
        }
      }
      s.end();
    };
    s.on('connect', go);
  }
}

function firstLine(p: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = '';
    p.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      const nl = out.indexOf('\n');
      if (nl >= 0) resolve(out.slice(0, nl));
    });
    p.once('exit', () => reject(new Error(`child exited before answering: ${out}`)));
  });
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

interface Result {
  mibPerSecond: number;
  /** CPU of source, relay (if any) and sink over the run, in % of one core */
  cpu: number[];
}

async function measure(kind: 'direct' | 'node' | 'socat', seconds: number): Promise<Result> {
  const sink = spawn(process.execPath, [SELF, 'sink', '0'], { stdio: ['ignore', 'pipe', 'inherit'] });
  const sinkPort = (await firstLine(sink)).split(' ')[1] as string;
  const result = new Promise<number>((resolve) => {
    sink.stdout.once('data', (d: Buffer) => resolve(Number(d.toString().trim())));
  });
  let relay: ChildProcess | undefined;
  let port = sinkPort;
  if (kind !== 'direct') {
    port = String(await freePort());
    relay =
      kind === 'node'
        ? spawn(process.execPath, [SELF, 'relay', port, sinkPort], { stdio: ['ignore', 'pipe', 'inherit'] })
        : spawn('socat', [
            '-b',
            String(CHUNK),
            `TCP-LISTEN:${port},bind=127.0.0.1,reuseaddr`,
            `TCP:127.0.0.1:${sinkPort}`,
          ]);
    if (kind === 'node') await firstLine(relay);
    else await new Promise((r) => setTimeout(r, 300)); // socat says nothing when it listens
  }
  const source = spawn(process.execPath, [SELF, 'source', port, String(seconds)], { stdio: 'inherit' });
  const procs = [source, ...(relay ? [relay] : []), sink];
  const cpu0 = procs.map((p) => readCpuMicros(p.pid ?? 0) ?? 0);
  const t0 = process.hrtime.bigint();
  // Sample CPU just before the source ends (its process is gone afterwards).
  const cpu1 = await new Promise<number[]>((resolve) =>
    setTimeout(() => resolve(procs.map((p) => readCpuMicros(p.pid ?? 0) ?? 0)), seconds * 1000 - 200),
  );
  const wallMicros = Number(process.hrtime.bigint() - t0) / 1000;
  const mibPerSecond = await result;
  relay?.kill();
  sink.kill();
  return { mibPerSecond, cpu: cpu1.map((c, i) => (100 * (c - (cpu0[i] ?? 0))) / wallMicros) };
}

async function main(): Promise<void> {
  const at = process.argv.indexOf('--seconds');
  const seconds = at > 0 ? Number(process.argv[at + 1]) : 5;
  const kinds: ('direct' | 'node' | 'socat')[] = ['direct', 'node'];
  if (spawnSync('socat', ['-V']).status === 0) kinds.push('socat');
  console.log(`1 MiB writes over loopback TCP, ${seconds} s each (MiB/s = 1 MiB messages/s)`);
  for (const k of kinds) {
    const r = await measure(k, seconds);
    const cpu = r.cpu.map((c) => `${c.toFixed(0)}%`).join(' / ');
    const who = k === 'direct' ? 'source / sink' : 'source / relay / sink';
    console.log(`${k.padEnd(7)} ${String(r.mibPerSecond).padStart(6)} MiB/s   CPU ${who}: ${cpu}`);
  }
}

const [role, a, b] = process.argv.slice(2);
if (role === 'sink' || role === 'relay' || role === 'source') child(role, a ?? '0', b);
else
  main().catch((e: unknown) => {
    console.error(e);
    process.exit(1);
  });
