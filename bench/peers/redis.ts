/**
 * Redis Streams: a private `redis-server` on loopback with a temp directory and the append-only
 * file on, driven by `ioredis`: XADD per message, and XREAD (COUNT = window, BLOCK for new
 * entries, the client keeps the last id) to read.
 *   page-cache: appendfsync everysec — the reply is written after the AOF write(), fsync each second.
 *   fsync:      appendfsync always — the AOF is fsynced before the replies of an event-loop turn
 *               go out (one fsync shared by every command of the turn).
 */
import { execFileSync } from 'node:child_process';
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { freePorts, ServerProcess, waitForPort } from './processes.js';
import { findExecutable, type Durability, type Endpoint, type StartOptions, type System } from './system.js';

const KEY = 'bench';

type StreamEntries = [Buffer, [Buffer, Buffer[]][]];
/** RESP2 has one [key, entries] per stream; ioredis 6 hands a single stream's pair back unwrapped. */
type XReadReply = StreamEntries[] | StreamEntries | null;

export class RedisSystem implements System {
  readonly id = 'redis';
  readonly label = 'Redis Streams';
  readonly ours = false;
  private bin: string | undefined;
  private ver = '?';

  async probe(): Promise<string | undefined> {
    this.bin = findExecutable('redis-server', 'RMQ_BENCH_REDIS_SERVER');
    if (this.bin === undefined) return 'redis-server not found (bench/setup installs it: apt-get install redis-server)';
    try {
      const v = execFileSync(this.bin, ['--version'], { encoding: 'utf8', timeout: 10_000 });
      this.ver = `redis-server ${/v=(\S+)/.exec(v)?.[1] ?? v.trim()}`;
    } catch (e) {
      return `${this.bin} --version failed: ${(e as Error).message}`;
    }
    return undefined;
  }

  async version(): Promise<string> {
    return this.ver;
  }

  unsupported(_d: Durability): string | undefined {
    return undefined;
  }

  async start(o: StartOptions): Promise<Endpoint> {
    const dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'rmq-bench-redis-'));
    const [port] = await freePorts(1);
    const fsync = o.durability === 'fsync' ? 'always' : 'everysec';
    // no RDB snapshots (`save ""`): the AOF is the persistence being measured
    const args = ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--appendonly', 'yes', '--appendfsync', fsync, '--save', '', '--daemonize', 'no', '--logfile', ''];
    const server = new ServerProcess('redis-server', this.bin!, args);
    const clients: Redis[] = [];
    const client = (name: string) => {
      const c = new Redis({ host: '127.0.0.1', port, connectionName: name, maxRetriesPerRequest: 1, lazyConnect: true });
      c.on('error', () => {});
      clients.push(c);
      return c;
    };
    const close = async () => {
      for (const c of clients) c.disconnect();
      await server.stop();
      await fsp.rm(dir, { recursive: true, force: true });
    };
    try {
      await waitForPort(port!, 'redis-server', 20_000, server.exited);
      const pub = client('bench-producer');
      await pub.connect();
      return {
        settings: `appendonly yes, appendfsync ${fsync}, no RDB; XADD; XREAD COUNT ${o.window} BLOCK`,
        publish: async (body) => {
          await pub.callBuffer('XADD', KEY, '*', 'd', body);
        },
        consume: async (onMessage, signal) => {
          const sub = client('bench-consumer');
          await sub.connect();
          let last = '0-0';
          while (!signal.aborted) {
            const r = (await sub.callBuffer('XREAD', 'COUNT', o.window, 'BLOCK', 500, 'STREAMS', KEY, last)) as XReadReply;
            if (r === null) continue;
            const streams = Buffer.isBuffer(r[0]) ? [r as StreamEntries] : (r as StreamEntries[]);
            for (const [, entries] of streams) {
              for (const [id, fields] of entries) {
                onMessage(fields[1] as Buffer);
                last = id.toString();
              }
            }
          }
          sub.disconnect();
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
