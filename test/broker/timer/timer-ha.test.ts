/**
 * Timer messages on a SYNC_MASTER with a slave, real processes: the slave indexes the timer
 * messages it replicates but delivers none, and forgets those its master delivered once it has
 * copied the master's timer checkpoint; after a kill -9 of the master the slave is restarted as
 * the master (an operator's failover) and delivers the rest — every timer message arrives, none
 * early, recalled ones (the markers were replicated) never. What the old master delivered in its
 * last seconds may arrive twice: counted and printed.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { ConsumedMessage } from '../../../src/client/consumer/consumed-message.js';
import { ClusterNode, startCluster } from '../../support/cluster.js';
import { clientsFor, createTopic } from '../../support/clients.js';
import { startConsumer } from '../../support/consumers.js';
import { waitFor } from '../../support/wait.js';

const TOPIC = 'HaTimer';

describe('timer messages on a master with a slave', () => {
  it('the slave indexes, does not deliver, forgets what the master delivered, and delivers the rest after a failover', { timeout: 150_000 }, async () => {
    const c = await startCluster({
      brokers: [
        { name: 'broker-a', properties: { brokerRole: 'SYNC_MASTER' } },
        { name: 'broker-a', id: 1 },
      ],
      brokerProperties: { timerFlushIntervalMs: 200 },
    });
    const cl = clientsFor(c);
    const master = c.broker('broker-a');
    const slave = c.broker('broker-a', 1);
    await createTopic(cl, c, master.addr, TOPIC, 2);
    const p = cl.producer();
    const base = Date.now();
    const count = 200;
    const due = new Map<string, number>();
    const handles: string[] = [];
    for (let i = 0; i < count; i++) {
      const at = base + 2_000 + Math.floor((i / count) * 20_000);
      due.set(`h${i}`, at);
      handles.push((await p.send({ topic: TOPIC, body: `h${i}`, deliverTimeMs: at })).recallHandle!);
    }
    // recall some of the later ones on the master: the markers replicate
    const recalled = new Set<string>();
    for (let i = count / 2; i < count; i += 10) {
      await p.recallMessage(TOPIC, handles[i]!);
      recalled.add(`h${i}`);
    }
    const info = async (addr: string) => cl.brokers.runtimeInfo(addr);
    await waitFor(async () => Number((await info(slave.addr)).timerCongestNum) === count + recalled.size || undefined, { timeout: 20_000, what: 'the slave to index every timer message and marker' });
    expect((await info(slave.addr)).timerDelivering).toBe('false');
    // the master delivers the first ones; the slave hears its progress (records in the log, and the slave sync) and forgets them
    await waitFor(async () => Number((await info(slave.addr)).timerCongestNum) < count - 20 || undefined, { timeout: 40_000, interval: 200, what: 'the slave to forget what its master delivered' });
    expect((await info(slave.addr)).timerDelivered).toBe('0');

    await master.kill9();
    // the operator's failover: the slave's properties made a master's, and restarted
    const props = readFileSync(slave.configFile, 'utf8').replace(/^brokerId=.*$/m, 'brokerId=0').replace(/^brokerRole=.*$/m, 'brokerRole=ASYNC_MASTER');
    writeFileSync(slave.configFile, props);
    await slave.stop();
    const promoted = new ClusterNode('broker-a-0', 'broker', slave.port, slave.dir, slave.configFile, c);
    c.brokers.push(promoted);
    await promoted.start();

    const got: ConsumedMessage[] = [];
    await startConsumer(c, 'G_HA_TIMER', TOPIC, {}, async (m) => {
      got.push(m);
    });
    await waitFor(async () => (await cl.admin.topicRoute(TOPIC))?.brokerDatas[0]?.brokerAddrs['0'] === promoted.addr || undefined, { what: 'the route to name the new master' });
    await cl.producer().send({ topic: TOPIC, body: 'sentinel', deliverTimeMs: Math.max(base + 23_000, Date.now() + 500) });
    await waitFor(() => got.some((m) => m.body.toString() === 'sentinel'), { timeout: 60_000, what: 'the sentinel from the new master' });
    const times = new Map<string, number>();
    for (const m of got) times.set(m.body.toString(), (times.get(m.body.toString()) ?? 0) + 1);
    const missing = [...due.keys()].filter((k) => !recalled.has(k) && !times.has(k));
    expect(missing).toEqual([]);
    expect([...recalled].filter((k) => times.has(k))).toEqual([]);
    expect(got.filter((m) => due.has(m.body.toString()) && m.storeTimestamp < due.get(m.body.toString())!)).toEqual([]);
    const twice = [...times.values()].filter((n) => n > 1).length;
    console.log(`timer failover: ${count} sent, ${recalled.size} recalled, ${times.size - 1} delivered; ${twice} delivered twice (the old master's deliveries of its last seconds: since its last progress record, plus the 3 s margin)`);
  });
});
