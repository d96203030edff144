/**
 * NATS JetStream: a private `nats-server -js` on loopback with a temp store directory, one stream
 * with file storage, driven by the `nats` npm client: `js.publish` (resolves on the stream's
 * PubAck) and an ordered pull consumer (AckNone, the client keeps its position) fetching up to
 * `window` messages at a time.
 *
 * What the file store syncs: nats-server writes every message to its block file with a write()
 * before the PubAck ("flush in place"), and fsyncs the blocks on a timer — every 2 minutes for
 * streams (server/stream.go sets SyncInterval; server/filestore.go syncBlocks) in 2.9.x. A per-write
 * fsync (`jetstream { sync_interval: always }`) exists only from 2.10.0, so with Debian 12's
 * 2.9.10 JetStream has no fsync row.
 */
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { connect, StorageType, type NatsConnection } from 'nats';
import { execFileSync } from 'node:child_process';
import { freePorts, ServerProcess, waitForPort } from './processes.js';
import { findExecutable, type Durability, type Endpoint, type StartOptions, type System } from './system.js';

const STREAM = 'BENCH';
const SUBJECT = 'bench.msgs';

function parseVersion(v: string): [number, number, number] | undefined {
  const m = /v?(\d+)\.(\d+)\.(\d+)/.exec(v);
  return m ? [Number(m[1]), Number(m[2]), Number(m[3])] : undefined;
}

export class NatsSystem implements System {
  readonly id = 'nats';
  readonly label = 'NATS JetStream';
  readonly ours = false;
  private bin: string | undefined;
  private ver = '?';

  async probe(): Promise<string | undefined> {
    this.bin = findExecutable('nats-server', 'RMQ_BENCH_NATS_SERVER');
    if (this.bin === undefined) return 'nats-server not found (bench/setup installs it: apt-get install nats-server)';
    try {
      this.ver = execFileSync(this.bin, ['--version'], { encoding: 'utf8', timeout: 10_000 }).trim();
    } catch (e) {
      return `${this.bin} --version failed: ${(e as Error).message}`;
    }
    return undefined;
  }

  async version(): Promise<string> {
    return this.ver;
  }

  private syncAlways(): boolean {
    const v = parseVersion(this.ver);
    return v !== undefined && (v[0] > 2 || (v[0] === 2 && v[1] >= 10));
  }

  unsupported(d: Durability): string | undefined {
    if (d === 'fsync' && !this.syncAlways()) {
      return `${this.ver} cannot fsync before the PubAck: the file store write()s each message and fsyncs every 2 min; sync_interval: always needs nats-server >= 2.10`;
    }
    return undefined;
  }

  async start(o: StartOptions): Promise<Endpoint> {
    const dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'rmq-bench-nats-'));
    const [port] = await freePorts(1);
    const conf = path.join(dir, 'nats.conf');
    const storeDir = path.join(dir, 'store');
    const sync = o.durability === 'fsync' ? '\n  sync_interval: always' : '';
    await fsp.writeFile(conf, `listen: "127.0.0.1:${port}"\nserver_name: rmq_bench\njetstream {\n  store_dir: ${JSON.stringify(storeDir)}${sync}\n}\n`);
    const server = new ServerProcess('nats-server', this.bin!, ['-c', conf]);
    const conns: NatsConnection[] = [];
    const close = async () => {
      await Promise.all(conns.map((c) => c.close().catch(() => {})));
      await server.stop();
      await fsp.rm(dir, { recursive: true, force: true });
    };
    try {
      await waitForPort(port!, 'nats-server', 20_000, server.exited);
      const servers = `127.0.0.1:${port}`;
      const pub = await connect({ servers, name: 'bench-producer' });
      conns.push(pub);
      const jsm = await pub.jetstreamManager();
      await jsm.streams.add({ name: STREAM, subjects: [SUBJECT], storage: StorageType.File, num_replicas: 1 });
      const js = pub.jetstream();
      return {
        settings: `file storage${o.durability === 'fsync' ? ', sync_interval: always' : ' (write() per message, fsync every 2 min)'}; ordered consumer, max_messages ${o.window}`,
        publish: async (body) => {
          await js.publish(SUBJECT, body);
        },
        consume: async (onMessage, signal) => {
          const sub = await connect({ servers, name: 'bench-consumer' });
          conns.push(sub);
          const consumer = await sub.jetstream().consumers.get(STREAM);
          const msgs = await consumer.consume({ max_messages: o.window, callback: (m) => onMessage(m.data) });
          await new Promise<void>((resolve) => {
            if (signal.aborted) resolve();
            else signal.addEventListener('abort', () => resolve(), { once: true });
          });
          await msgs.close();
          await sub.close();
        },
        serverCpu: () => server.cpu(),
        close,
      };
    } catch (e) {
      await close();
      throw e;
    }
  }
}
