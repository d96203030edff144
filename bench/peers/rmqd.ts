/**
 * Ours: `rmqd namesrv` + `rmqd broker` processes (dist/rmqd.js) driven by our Producer and, for
 * reading, the pull loop of `rmqctl message tail` (tailTopic: one long-polling pull of 32
 * messages outstanding per queue, offsets kept by the client). The topic gets window / 32 queues,
 * so at most `window` messages are requested at a time, as with the peers' prefetch.
 *   single: one master; page-cache = ASYNC_FLUSH, fsync = SYNC_FLUSH (group commit).
 *   sync pair: a SYNC_MASTER and its SLAVE (an ack waits for the slave too), same flush modes.
 */
import path from 'node:path';
import { BrokerApi } from '../../src/client/broker-api.js';
import { Producer } from '../../src/client/producer.js';
import { RemotingClient } from '../../src/remoting/client.js';
import { tailTopic } from '../../src/ops/topic-tail.js';
import { RequestCode, ResponseCode } from '../../src/remoting/codes.js';
import { createRequest } from '../../src/remoting/command.js';
import { startBenchCluster, until, type BenchBrokerSpec } from '../rmqd-cluster.js';
import { sumCpu, track } from './processes.js';
import type { Endpoint, StartOptions, System } from './system.js';

const PULL_BATCH = 32;

export class RmqdSystem implements System {
  readonly ours = true;
  readonly id: string;
  readonly label: string;

  /**
   * `binary`: the producer and the consumer's pulls use binary ROCKETMQ headers (and get them back);
   * `autoBatch`: the producer gathers waiting sends into SEND_BATCH_MESSAGE requests (ProducerOptions.autoBatch).
   */
  constructor(
    private readonly rmqd: string,
    private readonly pair: boolean,
    private readonly binary = false,
    private readonly autoBatch = false,
  ) {
    this.id = (pair ? 'rmqd-sync-pair' : 'rmqd') + (binary ? '-binary' : '') + (autoBatch ? '-batch' : '');
    this.label = (pair ? 'rmqd 1 master + 1 slave, SYNC_MASTER' : 'rmqd single master') + (binary ? ', binary' : '') + (autoBatch ? ' + autoBatch' : '');
  }

  async probe(): Promise<string | undefined> {
    if (!this.pair) return undefined;
    return this.replicationMissing();
  }

  async version(): Promise<string> {
    return `rmqd (this checkout), node ${process.version}`;
  }

  unsupported(): string | undefined {
    return undefined;
  }

  /** The runtime answers GET_BROKER_HA_STATUS only once replication (issue #6) is in it. */
  private async replicationMissing(): Promise<string | undefined> {
    const cluster = await startBenchCluster(this.rmqd, [{ brokerName: 'probe', properties: { brokerRole: 'SYNC_MASTER' } }], (p) => track(p));
    try {
      const res = await cluster.remoting.request(cluster.brokers[0]!.addr, createRequest(RequestCode.GET_BROKER_HA_STATUS, {}), 5_000);
      if (res.code === ResponseCode.REQUEST_CODE_NOT_SUPPORTED) return 'replication (issue #6, branch wt-ha) is not on main yet: this rmqd does not answer GET_BROKER_HA_STATUS';
      return undefined;
    } finally {
      await cluster.stop();
    }
  }

  async start(o: StartOptions): Promise<Endpoint> {
    const flush = o.durability === 'fsync' ? 'SYNC_FLUSH' : 'ASYNC_FLUSH';
    const prof = (name: string) => (o.cpuProfDir ? ['--cpu-prof', `--cpu-prof-dir=${o.cpuProfDir}`, `--cpu-prof-name=${name}-${o.label}.cpuprofile`] : []);
    const brokers: BenchBrokerSpec[] = this.pair
      ? [
          { brokerName: 'bench-a', properties: { flushDiskType: flush, brokerRole: 'SYNC_MASTER' }, nodeArgs: prof('broker-master') },
          { brokerName: 'bench-a', brokerId: 1, properties: { flushDiskType: flush, brokerRole: 'SLAVE' }, nodeArgs: prof('broker-slave') },
        ]
      : [{ brokerName: 'bench-a', properties: { flushDiskType: flush }, nodeArgs: prof('broker') }];
    const cluster = await startBenchCluster(this.rmqd, brokers, (p) => track(p));
    const master = cluster.brokers[0]!;
    const queues = Math.max(1, Math.round(o.window / PULL_BATCH));
    const topic = 'BenchCompare';
    const api = new BrokerApi(cluster.remoting);
    let producer: Producer | undefined;
    const serializeType = this.binary ? ({ serializeType: 'ROCKETMQ' } as const) : {};
    const consumerRemoting = new RemotingClient(serializeType);
    try {
      // a SYNC_MASTER answers SLAVE_NOT_AVAILABLE until its slave is connected
      if (this.pair) await until(async () => ((await api.haStatus(master.addr)).haConnectionInfo.length === 1 ? true : undefined), 'the slave to connect');
      await api.createTopic(master.addr, { topicName: topic, readQueueNums: queues, writeQueueNums: queues, perm: 6 });
      await until(async () => ((await cluster.admin.topicRoute(topic))?.queueDatas.length ? true : undefined), 'the topic route');
      producer = new Producer({ namesrvAddrs: [cluster.namesrvAddr], producerGroup: 'bench_compare', ...serializeType, ...(this.autoBatch ? { autoBatch: true } : {}) });
      await producer.route(topic);
    } catch (e) {
      producer?.shutdown();
      consumerRemoting.shutdown();
      await cluster.stop();
      throw e;
    }
    const p = producer;
    const pids = cluster.brokers.map((b) => b.proc.pid!);
    return {
      settings: `flushDiskType=${flush}${this.pair ? ', brokerRole=SYNC_MASTER + SLAVE' : ''}${this.binary ? '; binary ROCKETMQ headers' : ''}${this.autoBatch ? '; producer autoBatch (whenInFlight 8, up to 32 per SEND_BATCH_MESSAGE)' : ''}; topic of ${queues} queues; producer window ${o.window}; consumer: one pull of ${PULL_BATCH} per queue`,
      publish: async (body) => {
        const r = await p.send({ topic, body });
        if (r.sendStatus !== 'SEND_OK') throw new Error(`send status ${r.sendStatus}`);
      },
      consume: async (onMessage, signal) => {
        const admin = cluster.admin;
        await tailTopic(
          { admin, brokers: new BrokerApi(consumerRemoting) },
          { topic, from: 'beginning', consumerGroup: 'bench_compare', signal, onMessage: (rec) => onMessage(rec.body), onError: (q, e) => o.log(`rmqd pull from queue ${q.queueId}: ${e.message}`) },
        );
      },
      serverCpu: () => sumCpu(pids),
      serverPids: pids,
      close: async () => {
        p.shutdown();
        consumerRemoting.shutdown();
        await cluster.stop();
      },
    };
  }
}

export const rmqdBundle = (root: string) => path.join(root, 'dist', 'rmqd.js');
