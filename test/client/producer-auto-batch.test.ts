/**
 * The producer's autoBatch against a real `rmqd broker`: many sends waiting at once go out as
 * SEND_BATCH_MESSAGE requests, and every send still gets its own, correct result — the queue and
 * offset it names hold exactly its body, its msgId is its UNIQ_KEY. Messages a batch cannot carry
 * go alone; a refused batch fails every send in it.
 */
import { describe, expect, it, onTestFinished } from 'vitest';
import { Producer, SendError } from '../../src/client/producer.js';
import { PropertyKey } from '../../src/protocol/message/constants.js';
import { findProperty } from '../../src/protocol/message/properties.js';
import { RemotingClient } from '../../src/remoting/client.js';
import { RequestCode } from '../../src/remoting/codes.js';
import type { RemotingCommand } from '../../src/remoting/command.js';
import { clientsFor, createTopic, pullAll } from '../support/clients.js';
import { startCluster } from '../support/cluster.js';

/** Our RemotingClient, counting the send requests it writes by code. */
class CountingClient extends RemotingClient {
  readonly sends = new Map<number, number>();
  override request(addr: string, cmd: RemotingCommand, timeoutMillis?: number): Promise<RemotingCommand> {
    if (cmd.code === RequestCode.SEND_MESSAGE_V2 || cmd.code === RequestCode.SEND_BATCH_MESSAGE) this.sends.set(cmd.code, (this.sends.get(cmd.code) ?? 0) + 1);
    return super.request(addr, cmd, timeoutMillis);
  }
}

/** A producer with autoBatch over a CountingClient; both are shut down when the test ends. */
function countedProducer(namesrvAddrs: string[], producerGroup: string, autoBatch: { whenInFlight: number; maxMessages: number }): { p: Producer; remoting: CountingClient } {
  const remoting = new CountingClient();
  onTestFinished(() => remoting.shutdown());
  const p = new Producer({ namesrvAddrs, producerGroup, remoting, autoBatch });
  onTestFinished(() => p.shutdown());
  return { p, remoting };
}

describe('Producer autoBatch', () => {
  it('gathers waiting sends into batches; each send gets its own queue, offset and msgId, and they hold its message', async () => {
    const c = await startCluster();
    const cl = clientsFor(c);
    const broker = c.broker('broker-a');
    await createTopic(cl, c, broker.addr, 'Batched', 4);
    const { p, remoting } = countedProducer(c.namesrvAddrs, 'PG_AB', { whenInFlight: 4, maxMessages: 16 });
    await p.route('Batched');

    const n = 200;
    const big = Buffer.alloc(5000, 'z'); // over compressMsgBodyOverHowmuch: compressed, so it goes alone
    const results = await Promise.all(
      Array.from({ length: n }, (_, i) => p.send({ topic: 'Batched', body: i === 150 ? big : `m${i}`, tags: `T${i % 3}`, keys: [`key-${i}`], ...(i === 100 ? { delayTimeLevel: 1 } : {}) })),
    );
    const batches = remoting.sends.get(RequestCode.SEND_BATCH_MESSAGE) ?? 0;
    const singles = remoting.sends.get(RequestCode.SEND_MESSAGE_V2) ?? 0;
    // the first 4 go alone, so do the delayed and the compressed one; the rest in batches of at most 16
    expect(batches).toBeGreaterThanOrEqual(Math.ceil((n - 6) / 16));
    expect(batches).toBeLessThan(n / 4);
    expect(singles).toBeGreaterThanOrEqual(6);
    expect(singles + batches).toBeLessThan(n / 2);

    expect(results.every((r) => r.sendStatus === 'SEND_OK')).toBe(true);
    expect(new Set(results.map((r) => r.msgId)).size).toBe(n);
    // (the delayed message's offset is its place in the schedule topic, as Java's broker answers)
    expect(new Set(results.filter((_, i) => i !== 100).map((r) => `${r.messageQueue.queueId}/${r.queueOffset}`)).size).toBe(n - 1);
    expect(new Set(results.map((r) => r.offsetMsgId)).size).toBe(n);
    expect(results.every((r) => /^[0-9A-F]{32}$/.test(r.offsetMsgId))).toBe(true);

    // every result points at its own message (delayed message 100 sits in the schedule topic until due)
    for (const [i, r] of results.entries()) {
      if (i === 100) continue;
      const { records } = await pullAll(cl, broker.addr, { consumerGroup: 'CG_AB', topic: 'Batched', queueId: r.messageQueue.queueId, from: r.queueOffset, maxMsgNums: 1 }, 1);
      const rec = records[0]!;
      expect(rec.queueOffset).toBe(r.queueOffset);
      expect(findProperty(rec.properties, PropertyKey.KEYS)).toBe(`key-${i}`);
      expect(findProperty(rec.properties, PropertyKey.TAGS)).toBe(`T${i % 3}`);
      expect(findProperty(rec.properties, PropertyKey.UNIQ_CLIENT_MESSAGE_ID_KEYIDX)).toBe(r.msgId);
      if (i !== 150) expect(rec.body.toString()).toBe(`m${i}`);
    }
  });

  it('batches two topics gathered in the same turn separately, and again in a later wave', async () => {
    const c = await startCluster();
    const cl = clientsFor(c);
    const broker = c.broker('broker-a');
    await createTopic(cl, c, broker.addr, 'WaveA', 2);
    await createTopic(cl, c, broker.addr, 'WaveB', 2);
    const { p, remoting } = countedProducer(c.namesrvAddrs, 'PG_WAVES', { whenInFlight: 0, maxMessages: 64 });
    await p.route('WaveA');
    await p.route('WaveB');

    for (const wave of [1, 2]) {
      const before = remoting.sends.get(RequestCode.SEND_BATCH_MESSAGE) ?? 0;
      const sends = Array.from({ length: 20 }, (_, i) => ({ topic: i % 2 === 0 ? 'WaveA' : 'WaveB', body: `w${wave}-${i}` }));
      const results = await Promise.all(sends.map((m) => p.send(m)));
      // one batch per topic and wave: all 20 were gathered in one turn
      expect((remoting.sends.get(RequestCode.SEND_BATCH_MESSAGE) ?? 0) - before).toBe(2);
      for (const [i, r] of results.entries()) {
        expect(r.sendStatus).toBe('SEND_OK');
        expect(r.messageQueue.topic).toBe(sends[i]!.topic);
        const { records } = await pullAll(cl, broker.addr, { consumerGroup: 'CG_WAVES', topic: sends[i]!.topic, queueId: r.messageQueue.queueId, from: r.queueOffset, maxMsgNums: 1 }, 1);
        expect(records[0]!.body.toString()).toBe(`w${wave}-${i}`);
      }
    }
  });

  it('a batch the broker refuses fails every send in it with the broker\'s answer', async () => {
    const c = await startCluster({ brokers: [{ name: 'broker-a', properties: { maxMessageSize: 600 } }] });
    const cl = clientsFor(c);
    await createTopic(cl, c, c.broker('broker-a').addr, 'Small', 1);
    const p = new Producer({ namesrvAddrs: c.namesrvAddrs, producerGroup: 'PG_AB2', autoBatch: { whenInFlight: 1, maxMessages: 8 }, retryTimesWhenSendFailed: 0 });
    onTestFinished(() => p.shutdown());
    await p.route('Small');
    // each message fits the broker's limit, a batch of them does not
    const outcomes = await Promise.allSettled(Array.from({ length: 9 }, (_, i) => p.send({ topic: 'Small', body: Buffer.alloc(200, 48 + i) })));
    expect(outcomes[0]).toMatchObject({ status: 'fulfilled', value: { sendStatus: 'SEND_OK' } });
    const failed = outcomes.slice(1);
    expect(failed.every((o) => o.status === 'rejected' && o.reason instanceof SendError)).toBe(true);
    expect((failed[0] as PromiseRejectedResult).reason.message).toMatch(/code 13/);
  });
});
