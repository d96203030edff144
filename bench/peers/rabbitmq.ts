/**
 * RabbitMQ: a private node (its own node name, AMQP/distribution/epmd ports on loopback, Mnesia,
 * log and cookie under a temp directory, no plugins), started from the package's real script
 * (/usr/lib/rabbitmq/bin/rabbitmq-server; the /usr/sbin wrapper would switch to the system's
 * rabbitmq user and directories), with its own epmd. Driven by `amqplib`: a durable classic queue,
 * persistent messages published on a confirm channel (resolved on the broker's confirm), and a
 * consumer on its own connection with prefetch = window and a manual ack per message.
 *
 * Durability: RabbitMQ confirms a persistent message routed to a durable queue once it is on disk
 * (the message store / queue index fsync in batches), so it has only the fsync level; there is no
 * "acknowledged in the page cache" setting for durable messages.
 */
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import amqp from 'amqplib';
import { addCpu, freePorts, ServerProcess, waitForPort } from './processes.js';
import { findExecutable, type Durability, type Endpoint, type StartOptions, type System } from './system.js';

const QUEUE = 'bench';

export class RabbitMqSystem implements System {
  readonly id = 'rabbitmq';
  readonly label = 'RabbitMQ';
  readonly ours = false;
  private bin: string | undefined;
  private epmd: string | undefined;
  private ver = '?';

  async probe(): Promise<string | undefined> {
    // the package's own start script, not the /usr/sbin wrapper that switches to the rabbitmq user
    this.bin = findExecutable('rabbitmq-server', 'RMQ_BENCH_RABBITMQ_SERVER', ['/usr/lib/rabbitmq/bin']);
    if (this.bin === undefined) return 'rabbitmq-server not found in /usr/lib/rabbitmq/bin (bench/setup installs it: apt-get install rabbitmq-server)';
    this.epmd = findExecutable('epmd', 'RMQ_BENCH_EPMD');
    if (this.epmd === undefined) return 'epmd (Erlang) not found; it comes with rabbitmq-server (bench/setup)';
    try {
      // the script lives in the release directory: …/lib/rabbitmq_server-3.10.8/sbin/rabbitmq-server
      const v = /rabbitmq_server-([0-9][^/]*)\//.exec(await fsp.realpath(this.bin))?.[1];
      this.ver = v ? `RabbitMQ ${v}` : 'RabbitMQ';
    } catch {
      this.ver = 'RabbitMQ';
    }
    return undefined;
  }

  async version(): Promise<string> {
    return this.ver;
  }

  unsupported(d: Durability): string | undefined {
    if (d === 'page-cache') return 'confirms of persistent messages to a durable queue wait for fsync: no page-cache level (see the fsync row)';
    return undefined;
  }

  async start(o: StartOptions): Promise<Endpoint> {
    const dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'rmq-bench-rabbitmq-'));
    const [amqpPort, distPort, epmdPort] = await freePorts(3);
    const node = `rmqbench${process.pid}@localhost`;
    await fsp.writeFile(path.join(dir, 'rabbitmq.conf'), `listeners.tcp.default = 127.0.0.1:${amqpPort}\n`);
    await fsp.writeFile(path.join(dir, 'enabled_plugins'), '[].\n');
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      HOME: dir, // the Erlang cookie is created here
      ERL_EPMD_PORT: String(epmdPort),
      ERL_EPMD_ADDRESS: '127.0.0.1',
      RABBITMQ_NODENAME: node,
      RABBITMQ_NODE_IP_ADDRESS: '127.0.0.1',
      RABBITMQ_NODE_PORT: String(amqpPort),
      RABBITMQ_DIST_PORT: String(distPort),
      RABBITMQ_MNESIA_BASE: path.join(dir, 'mnesia'),
      RABBITMQ_LOG_BASE: path.join(dir, 'log'),
      RABBITMQ_LOGS: '-',
      RABBITMQ_CONFIG_FILE: path.join(dir, 'rabbitmq.conf'),
      RABBITMQ_ENABLED_PLUGINS_FILE: path.join(dir, 'enabled_plugins'),
      RABBITMQ_CONF_ENV_FILE: path.join(dir, 'rabbitmq-env.conf'),
      RABBITMQ_PID_FILE: path.join(dir, 'rabbitmq.pid'),
    };
    // our own epmd (in the foreground, so it is ours to stop), before the node looks for one
    const epmd = new ServerProcess('epmd', this.epmd!, ['-port', String(epmdPort), '-address', '127.0.0.1'], { env });
    const servers: ServerProcess[] = [epmd];
    const conns: amqp.ChannelModel[] = [];
    const close = async () => {
      await Promise.all(conns.map((c) => c.close().catch(() => {})));
      for (const s of [...servers].reverse()) await s.stop();
      await fsp.rm(dir, { recursive: true, force: true });
    };
    try {
      await waitForPort(epmdPort!, 'epmd', 10_000, epmd.exited);
      const server = new ServerProcess('rabbitmq-server', this.bin!, [], { env, cwd: dir });
      servers.push(server);
      await waitForPort(amqpPort!, 'rabbitmq-server', 90_000, server.exited);
      const url = `amqp://guest:guest@127.0.0.1:${amqpPort}`;
      const pubConn = await amqp.connect(url);
      conns.push(pubConn);
      const ch = await pubConn.createConfirmChannel();
      await ch.assertQueue(QUEUE, { durable: true, arguments: { 'x-queue-type': 'classic' } });
      return {
        settings: `durable classic queue, persistent messages, publisher confirms; consumer prefetch ${o.window}, manual ack`,
        publish: (body) =>
          new Promise<void>((resolve, reject) => {
            ch.sendToQueue(QUEUE, body, { persistent: true }, (err) => (err ? reject(err instanceof Error ? err : new Error(String(err))) : resolve()));
          }),
        consume: async (onMessage, signal) => {
          const c = await amqp.connect(url);
          conns.push(c);
          const sub = await c.createChannel();
          await sub.prefetch(o.window);
          const { consumerTag } = await sub.consume(
            QUEUE,
            (m) => {
              if (m === null) return;
              onMessage(m.content);
              sub.ack(m);
            },
            { noAck: false },
          );
          await new Promise<void>((resolve) => {
            if (signal.aborted) resolve();
            else signal.addEventListener('abort', () => resolve(), { once: true });
          });
          await sub.cancel(consumerTag).catch(() => {});
        },
        serverCpu: () => servers.map((p) => p.cpu()).reduce(addCpu),
        close,
      };
    } catch (e) {
      await close();
      throw e;
    }
  }
}
