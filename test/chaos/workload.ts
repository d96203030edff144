/**
 * The chaos workload: producer lanes and consumer groups through real clients, logging every
 * send, acknowledgement, failure and delivery to the history (history.ts).
 *
 * Clients plug in as drivers (CLIENT_DRIVERS): `ours` (src/client Producer + PushConsumer,
 * concurrent and orderly) and `ali-ons` (the npm client, devDependency). The v5 gRPC client
 * (`rocketmq-client-nodejs`, #10) is one more entry with the same two functions once it lands: a
 * driver only turns "send this id" into an acknowledgement record and a received message into a
 * delivery record.
 *
 * A lane sends one message at a time (the next only after the answer), paced to `laneRate`
 * messages per second: its acknowledged messages that land in the same queue must be stored in
 * send order, which the checker verifies from the offsets in the acknowledgements.
 */
import { Producer } from '../../src/client/producer.js';
import { createLogger } from '../../src/util/log.js';
import { PushConsumer } from '../../src/client/consumer/push-consumer.js';
import { aliConsumer, aliMessage, aliProducer, type AliReceived } from '../support/ali-ons.js';
import { bodyOf, idOfBody, type HistoryWriter, type MessageId } from './history.js';

export interface Ack {
  status: string;
  msgId: string;
  broker: string;
  queue: number;
  offset: number;
}

export interface Delivery {
  body: string;
  msgId: string;
  broker: string;
  queue: number;
  offset: number;
  reconsume: number;
  /** The store address the record names (its master's). */
  storeAt: string;
}

export interface SenderHandle {
  send(topic: string, id: MessageId, body: string): Promise<Ack>;
  close(): Promise<void>;
}
export interface ReceiverHandle {
  close(): Promise<void>;
}

/** Where clients find the cluster. */
export interface ClusterAccess {
  /** NameServers (remoting clients). */
  namesrvAddrs: string[];
  /** gRPC endpoints of the brokers (v5 clients; local proxy mode). */
  grpcEndpoints: string[];
}

export interface ClientDriver {
  /** A producer that answers one send with its acknowledgement (throws when the send failed). */
  sender(access: ClusterAccess, group: string, topic: string): Promise<SenderHandle>;
  /** A consumer of `group` on `topic`, from the first offset; `onMessage` for every delivery. */
  receiver(access: ClusterAccess, group: string, topic: string, member: string, onMessage: (d: Delivery) => void, opts: { orderly: boolean }): Promise<ReceiverHandle>;
}

/** RMQ_CHAOS_CLIENT_LOG=debug|info: our clients log there (stderr), for looking into a run. */
function clientLog(component: string): { logger?: ReturnType<typeof createLogger> } {
  const level = process.env.RMQ_CHAOS_CLIENT_LOG as 'debug' | 'info' | undefined;
  return level ? { logger: createLogger(component, { level, write: (l) => process.stderr.write(l) }) } : {};
}

const ours: ClientDriver = {
  async sender({ namesrvAddrs }, group) {
    const p = new Producer({ namesrvAddrs, producerGroup: group, sendTimeoutMillis: 10_000, ...clientLog(`producer ${group}`) });
    return {
      async send(topic, id, body) {
        const r = await p.send({ topic, body, keys: [id] });
        return { status: r.sendStatus, msgId: r.msgId, broker: r.messageQueue.brokerName, queue: r.messageQueue.queueId, offset: r.queueOffset };
      },
      async close() {
        p.shutdown();
      },
    };
  },
  async receiver({ namesrvAddrs }, group, topic, member, onMessage, opts) {
    const c = new PushConsumer({
      namesrvAddrs,
      consumerGroup: group,
      consumeFromWhere: 'CONSUME_FROM_FIRST_OFFSET',
      orderly: opts.orderly,
      instanceName: member,
      rebalanceIntervalMillis: 2_000,
      persistConsumerOffsetIntervalMillis: 1_000,
      pollNameServerIntervalMillis: 2_000,
      heartbeatBrokerIntervalMillis: 2_000,
      brokerSuspendMaxTimeMillis: 2_000,
      ...clientLog(`consumer ${member}`),
    });
    c.subscribe(topic, '*');
    await c.start(async (m) => {
      onMessage({ body: m.body.toString('utf8'), msgId: m.msgId, broker: m.queue.brokerName, queue: m.queue.queueId, offset: m.queueOffset, reconsume: m.reconsumeTimes, storeAt: m.storeHost });
    });
    return { close: () => c.shutdown() };
  },
};

const aliOns: ClientDriver = {
  async sender({ namesrvAddrs }, group) {
    const p = aliProducer(namesrvAddrs.join(';'), group);
    // ali-ons prints every connection error of its own unless someone listens (a fault makes many)
    (p as unknown as { on(ev: 'error', fn: () => void): void }).on('error', () => {});
    await p.ready();
    return {
      async send(topic, id, body) {
        const m = aliMessage(topic, 'chaos', body);
        m.keys = [id];
        const r = await p.send(m);
        if (r.sendStatus === undefined) throw new Error('ali-ons: no send status');
        return { status: r.sendStatus, msgId: r.msgId, broker: r.messageQueue.brokerName, queue: Number(r.messageQueue.queueId), offset: r.queueOffset };
      },
      close: () => p.close(),
    };
  },
  async receiver({ namesrvAddrs }, group, topic, _member, onMessage) {
    const { consumer } = aliConsumer(namesrvAddrs.join(';'), group);
    consumer.subscribe(topic, '*', async (msg: AliReceived) => {
      const m = msg as AliReceived & { queueId: number; queueOffset: number; storeHost: string; brokerName?: string };
      onMessage({ body: m.body.toString('utf8'), msgId: m.msgId, broker: m.brokerName ?? '', queue: m.queueId, offset: m.queueOffset, reconsume: m.reconsumeTimes, storeAt: m.storeHost });
    });
    await consumer.ready();
    return { close: () => consumer.close() };
  },
};

const v5Silent = { info() {}, warn() {}, error() {}, debug() {} };

/**
 * The RocketMQ 5 Node client (`rocketmq-client-nodejs`, gRPC to the brokers' MessagingService):
 * its Producer and PushConsumer (POP). Its deliveries do not say which queue they came from
 * (MessageView keeps the queue to itself) and its receipts name the queue it routed to, not the
 * one the broker chose, so both carry queue -1 and the checker judges them by id only (lost,
 * phantom, duplicates), not by position.
 */
const v5: ClientDriver = {
  async sender({ grpcEndpoints }, _group, topic) {
    const { Producer: V5Producer } = await import('rocketmq-client-nodejs');
    const p = new V5Producer({ endpoints: grpcEndpoints[0]!, namespace: '', logger: v5Silent, topics: [topic], maxAttempts: 3, requestTimeout: 10_000 });
    await p.startup();
    return {
      async send(t, id, body) {
        const r = await p.send({ topic: t, keys: [id], tag: 'chaos', body: Buffer.from(body) });
        // the receipt names the queue the client routed to (always 0: the broker places a
        // message itself, docs/design/grpc.md), not where it is stored: no position to check
        return { status: 'SEND_OK', msgId: r.messageId, broker: r.messageQueue.broker.name, queue: -1, offset: r.offset };
      },
      close: () => p.shutdown(),
    };
  },
  async receiver({ grpcEndpoints }, group, topic, _member, onMessage) {
    const { PushConsumer: V5PushConsumer, ConsumeResult } = await import('rocketmq-client-nodejs');
    const c = new V5PushConsumer({
      endpoints: grpcEndpoints[0]!,
      namespace: '',
      logger: v5Silent,
      consumerGroup: group,
      subscriptions: new Map([[topic, '*']]),
      messageListener: {
        async consume(m: import('rocketmq-client-nodejs').MessageView) {
          onMessage({ body: m.body.toString('utf8'), msgId: m.messageId, broker: '', queue: -1, offset: m.offset ?? -1, reconsume: Math.max(0, (m.deliveryAttempt ?? 1) - 1), storeAt: '' });
          return ConsumeResult.SUCCESS;
        },
      },
    });
    await c.startup();
    return { close: () => c.shutdown() };
  },
};

/** Client kinds the workload can use (`ours` and `ali-ons` by default; `v5` on request: RMQ_CHAOS_V5=1). */
export const CLIENT_DRIVERS: Record<string, ClientDriver> = { ours, 'ali-ons': aliOns, v5 };

export interface LaneSpec {
  client: keyof typeof CLIENT_DRIVERS;
  count: number;
}
export interface GroupSpec {
  group: string;
  client: keyof typeof CLIENT_DRIVERS;
  members: number;
  orderly: boolean;
}

export interface WorkloadOptions {
  topic: string;
  access: ClusterAccess;
  lanes: LaneSpec[];
  groups: GroupSpec[];
  /** Messages per second per lane (default 10). */
  laneRate?: number;
  /** Body padding range (bytes). */
  pad?: [number, number];
  /** Deterministic padding lengths (seeded). */
  random: () => number;
  /** Maps a store address (`ip:port`) to its broker group, for clients that do not say. */
  brokerOfStore: (storeAt: string) => string;
}

/** In-memory progress, for the runner's waits only (the verdict comes from the history). */
export interface Progress {
  lastAckAt: Map<string, number>;
  /** Per broker group: when it last answered SEND_OK. */
  lastOkAtBroker: Map<string, number>;
  /** Ids acknowledged with SEND_OK. */
  acked: Set<MessageId>;
  /** Per group: ids delivered. */
  delivered: Map<string, Set<MessageId>>;
  lastDeliveryAt: Map<string, number>;
  sent: number;
  failed: number;
}

export class Workload {
  readonly progress: Progress = { lastAckAt: new Map(), lastOkAtBroker: new Map(), acked: new Set(), delivered: new Map(), lastDeliveryAt: new Map(), sent: 0, failed: 0 };
  private senders: { lane: string; client: string; handle: SenderHandle }[] = [];
  private receivers: ReceiverHandle[] = [];
  private running = false;
  private loops: Promise<void>[] = [];
  private readonly stopWaiters = new Set<() => void>();

  constructor(
    private readonly o: WorkloadOptions,
    private readonly history: HistoryWriter,
  ) {}

  get lanes(): string[] {
    return this.senders.map((s) => s.lane);
  }
  get groups(): string[] {
    return this.o.groups.map((g) => g.group);
  }

  async startConsumers(): Promise<void> {
    for (const g of this.o.groups) {
      this.progress.delivered.set(g.group, new Set());
      for (let m = 0; m < g.members; m++) {
        const member = `${g.group}-${m}`;
        const driver = CLIENT_DRIVERS[g.client]!;
        const handle = await driver.receiver(this.o.access, g.group, this.o.topic, member, (d) => this.delivered(g, member, d), { orderly: g.orderly });
        this.receivers.push(handle);
      }
    }
  }

  private delivered(g: GroupSpec, member: string, d: Delivery): void {
    const id = idOfBody(d.body);
    const broker = d.broker || (d.storeAt ? this.o.brokerOfStore(d.storeAt) : '');
    this.history.write({ e: 'deliver', t: Date.now(), group: g.group, member, client: g.client, id, body: id === null ? d.body.slice(0, 200) : '', msgId: d.msgId, broker, queue: d.queue, offset: d.offset, reconsume: d.reconsume, storeAt: d.storeAt });
    if (id !== null) this.progress.delivered.get(g.group)!.add(id);
    this.progress.lastDeliveryAt.set(g.group, Date.now());
  }

  async startProducers(): Promise<void> {
    for (const l of this.o.lanes) {
      for (let i = 0; i < l.count; i++) {
        const lane = `${l.client}${i}`;
        this.senders.push({ lane, client: l.client, handle: await CLIENT_DRIVERS[l.client]!.sender(this.o.access, `PG_CHAOS_${lane.replace(/[^A-Za-z0-9]/g, '_')}`, this.o.topic) });
      }
    }
    this.running = true;
    this.loops = this.senders.map((s) => this.laneLoop(s));
  }

  private async laneLoop(s: { lane: string; client: string; handle: SenderHandle }): Promise<void> {
    const interval = 1000 / (this.o.laneRate ?? 10);
    const [lo, hi] = this.o.pad ?? [16, 600];
    for (let seq = 0; this.running; seq++) {
      const started = Date.now();
      const id = `${s.lane}:${seq}`;
      const body = bodyOf(id, lo + Math.floor(this.o.random() * (hi - lo)));
      this.history.write({ e: 'send', t: started, id, lane: s.lane, client: s.client });
      this.progress.sent++;
      try {
        const a = await s.handle.send(this.o.topic, id, body);
        this.history.write({ e: 'ack', t: Date.now(), id, lane: s.lane, ...a });
        if (a.status === 'SEND_OK') {
          this.progress.acked.add(id);
          this.progress.lastOkAtBroker.set(a.broker, Date.now());
        }
        this.progress.lastAckAt.set(s.lane, Date.now());
      } catch (e) {
        this.progress.failed++;
        this.history.write({ e: 'fail', t: Date.now(), id, lane: s.lane, error: (e as Error).message.slice(0, 300) });
      }
      const wait = interval - (Date.now() - started);
      if (wait > 0 && this.running) {
        await new Promise<void>((resolve) => {
          const wake = () => {
            clearTimeout(timer);
            this.stopWaiters.delete(wake);
            resolve();
          };
          const timer = setTimeout(wake, wait);
          this.stopWaiters.add(wake);
        });
      }
    }
  }

  async stopProducers(): Promise<void> {
    this.running = false;
    for (const w of [...this.stopWaiters]) w();
    await Promise.all(this.loops);
    await Promise.all(this.senders.map((s) => s.handle.close().catch(() => {})));
  }

  async stopConsumers(): Promise<void> {
    await Promise.all(this.receivers.map((r) => r.close().catch(() => {})));
  }

  /** Ids acknowledged (SEND_OK) that `group` has not received yet. */
  missing(group: string): number {
    const got = this.progress.delivered.get(group)!;
    let n = 0;
    for (const id of this.progress.acked) if (!got.has(id)) n++;
    return n;
  }
}
