/**
 * SQL92 property filters end to end, real `rmqd` processes: a consumer subscribed with
 * `{ sql }` gets exactly the messages of a mixed topic whose properties match — on a broker with
 * enablePropertyFilter=true — and the tag-filtered and unfiltered groups on the same topic are
 * unaffected; a broker without the switch, and a bad expression, are refused at start with the
 * reason (the column of the mistake for bad syntax); `rmqctl message consume --sql` likewise.
 */
import { describe, expect, it, onTestFinished } from 'vitest';
import { PullConsumer } from '../../src/client/consumer/pull-consumer.js';
import { PushConsumer } from '../../src/client/consumer/push-consumer.js';
import { rmqctl } from '../support/cli.js';
import { startCluster } from '../support/cluster.js';
import { clientsFor, createTopic } from '../support/clients.js';
import { startConsumer } from '../support/consumers.js';
import { waitFor } from '../support/wait.js';

const SQL = "(a > 5 AND b = 'x') OR (c IS NOT NULL AND c BETWEEN 100 AND 200)";

/** Which generated message the SQL above keeps (null properties left out of the message). */
function expectedMatch(p: { a: number; b: string; c?: number }): boolean {
  return (p.a > 5 && p.b === 'x') || (p.c !== undefined && p.c >= 100 && p.c <= 200);
}

describe('SQL92 property filters', () => {
  it('a SQL92 consumer gets exactly the matching messages of a mixed topic; tag and unfiltered groups are unaffected', async () => {
    const c = await startCluster({ brokerProperties: { enablePropertyFilter: true } });
    const cl = clientsFor(c);
    await createTopic(cl, c, c.broker('broker-a').addr, 'Mixed', 4);
    const sqlGot = (await startConsumer(c, 'G_SQL', { Mixed: { sql: SQL } })).received;
    const tagged = await startConsumer(c, 'G_TAG', { Mixed: 'TagX' });
    const all = await startConsumer(c, 'G_ALL', 'Mixed');

    const p = cl.producer();
    const want = new Set<string>();
    let tagX = 0;
    for (let i = 0; i < 300; i++) {
      const props = { a: i % 11, b: i % 3 === 0 ? 'x' : 'y', ...(i % 5 === 0 ? { c: i } : {}) };
      const properties: Record<string, string> = { a: String(props.a), b: props.b };
      if (props.c !== undefined) properties.c = String(props.c);
      const tags = i % 4 === 0 ? 'TagX' : 'TagY';
      if (tags === 'TagX') tagX++;
      const body = `m-${i}`;
      await p.send({ topic: 'Mixed', body, tags, properties });
      if (expectedMatch(props)) want.add(body);
    }
    expect(want.size).toBeGreaterThan(20);
    expect(want.size).toBeLessThan(300);
    await waitFor(() => all.received.length >= 300 && tagged.received.length >= tagX, { timeout: 30_000, what: 'the tag and unfiltered groups to get their messages' });
    // every message has been read by now; the SQL group must have exactly its share
    await waitFor(() => sqlGot.length >= want.size, { timeout: 20_000, what: `${want.size} messages for the SQL92 group` });
    const got = sqlGot.map((m) => m.body.toString());
    expect(new Set(got)).toEqual(want);
    expect(got.length).toBe(want.size); // none twice
    for (const m of sqlGot) {
      const cProp = m.properties.get('c');
      expect(expectedMatch({ a: Number(m.properties.get('a')), b: m.properties.get('b') as string, ...(cProp !== undefined ? { c: Number(cProp) } : {}) })).toBe(true);
    }
    expect(tagged.received.every((m) => m.tags === 'TagX')).toBe(true);
    expect(tagged.received.length).toBe(tagX);

    // a PullConsumer with the same selector reads the same set, queue by queue, skipping only non-matching messages
    const puller = new PullConsumer({ namesrvAddrs: c.namesrvAddrs, consumerGroup: 'G_SQL_PULL' });
    onTestFinished(() => puller.shutdown());
    const pulled: string[] = [];
    for (const mq of await puller.queues('Mixed')) {
      let offset = 0;
      for (;;) {
        const r = await puller.pull(mq, { offset, expression: { sql: SQL } });
        pulled.push(...r.messages.map((m) => m.body.toString()));
        if (r.nextBeginOffset >= r.maxOffset) break;
        offset = r.nextBeginOffset;
      }
    }
    expect(pulled.sort()).toEqual([...want].sort());
  });

  it('refuses a SQL92 subscription where enablePropertyFilter is off, and a bad expression with its column', async () => {
    const c = await startCluster(); // enablePropertyFilter defaults to false, as in RocketMQ
    const cl = clientsFor(c);
    await createTopic(cl, c, c.broker('broker-a').addr, 'NoSql', 2);
    const consumer = new PushConsumer({ namesrvAddrs: c.namesrvAddrs, consumerGroup: 'G_NOSQL' });
    consumer.subscribe('NoSql', { sql: 'a > 1' });
    await expect(consumer.start(() => undefined)).rejects.toThrow(/broker broker-a refuses the SQL92 subscription to NoSql: .*enablePropertyFilter/);
    await consumer.shutdown();
    expect(() => new PushConsumer({ namesrvAddrs: c.namesrvAddrs, consumerGroup: 'G_BAD' }).subscribe('NoSql', { sql: 'a > > 1' })).toThrow(/at column 5/);

    const bad = await rmqctl(['message', 'consume', 'NoSql', '--group', 'G_CLI', '--sql', "a = 1 AND b >", '--namesrv', c.namesrvAddrs.join(';')]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/unexpected end of expression/);
    expect(bad.stderr).toMatch(/\^ /);
    const off = await rmqctl(['message', 'consume', 'NoSql', '--group', 'G_CLI', '--sql', 'a = 1', '--namesrv', c.namesrvAddrs.join(';')]);
    expect(off.code).toBe(1);
    expect(off.stderr).toMatch(/enablePropertyFilter/);
  });
});
