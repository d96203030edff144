/**
 * The POP engine in process (a real Broker on a real store, no NameServer), for what the wire
 * cannot reach: a receive whose client goes away hands its messages back; release() takes back
 * deliveries without counting an attempt; the PopService contract the gRPC layer uses.
 */
import { describe, expect, it, onTestFinished } from 'vitest';
import { Broker } from '../../../src/broker/broker.js';
import { resolveBrokerConfig } from '../../../src/broker/broker-properties.js';
import { parseBrokerConfig } from '../../../src/node-config/broker-keys.js';
import { PopError } from '../../../src/broker/pop/types.js';
import { topicConfig } from '../../../src/protocol/topic-config.js';
import { hostAddress } from '../../../src/protocol/message/host.js';
import { parseProperties } from '../../../src/util/properties.js';
import { freeBrokerPort } from '../../support/ports.js';
import { tmpDir } from '../../support/tmp.js';
import { waitFor } from '../../support/wait.js';

async function broker(extra = '') {
  const dir = tmpDir('rmq-pop-engine-');
  const port = await freeBrokerPort();
  const text = `brokerName=pop-e\nbrokerIP1=127.0.0.1\nlistenPort=${port}\nstorePathRootDir=${dir}\n${extra}`;
  const parsed = parseBrokerConfig(parseProperties(text), 'broker.properties');
  expect(parsed.problems).toEqual([]);
  const b = await Broker.open({ config: resolveBrokerConfig(parsed.config, 'broker.properties', {}).config });
  await b.start();
  onTestFinished(() => b.stop());
  await b.topics.createIfAbsent(topicConfig('T', { readQueueNums: 1, writeQueueNums: 1, perm: 6 }));
  const host = hostAddress('127.0.0.1', port);
  const send = async (body: string) => {
    const r = await b.store.put({ topic: 'T', queueId: 0, flag: 0, body: Buffer.from(body), properties: '', sysFlag: 0, bornTimestamp: Date.now(), bornHost: host, storeHost: host, reconsumeTimes: 0, preparedTransactionOffset: 0 });
    expect(r.status).toBe('PUT_OK');
  };
  return { b, pop: b.context.pop, send };
}

const base = { group: 'G', topic: 'T', filter: { type: 'TAG' as const, expression: '*' }, maxMessages: 32, invisibleMs: 60_000, fifo: false, pollMs: 0, initMode: 'first' as const };

describe('POP engine in process', () => {
  it('a receive whose client went away hands back what it popped, attempts not counted', async () => {
    const { pop, send } = await broker();
    await send('a');
    await send('b');
    const ac = new AbortController();
    const p = pop.receive({ ...base, signal: ac.signal });
    ac.abort(); // the client leaves while the engine reads
    expect(await p).toEqual({ status: 'empty' });
    const r = await pop.receive(base);
    if (r.status !== 'found') throw new Error(r.status);
    expect(r.messages.map((m) => [m.record.body.toString(), m.deliveryAttempt])).toEqual([
      ['a', 1],
      ['b', 1],
    ]);
  });

  it('release() makes deliveries visible at once without counting them; the released handles are dead', async () => {
    const { pop, send } = await broker();
    await send('x');
    const r1 = await pop.receive(base);
    if (r1.status !== 'found') throw new Error(r1.status);
    const h = r1.messages[0]!.receiptHandle;
    expect(await pop.release('G', 'T', [h, 'junk'])).toEqual([{ ok: true }, expect.objectContaining({ ok: false, problem: 'INVALID' })]);
    expect(await pop.ack('G', 'T', h)).toMatchObject({ ok: false, problem: 'NOT_IN_FLIGHT' });
    const r2 = await pop.receive(base);
    if (r2.status !== 'found') throw new Error(r2.status);
    expect(r2.messages[0]!.deliveryAttempt).toBe(1);
    // a changed delivery counts when it comes again; a released one does not
    const c = await pop.changeInvisible('G', 'T', r2.messages[0]!.receiptHandle, 0);
    expect(c.ok).toBe(true);
    const r3 = await pop.receive(base);
    if (r3.status !== 'found') throw new Error(r3.status);
    expect(r3.messages[0]!.deliveryAttempt).toBe(2);
    expect(pop.inflight({ group: 'G' })).toEqual([expect.objectContaining({ topic: 'T', queueId: 0, invisible: 1, expired: 0, popOffset: 1, ackOffset: 0 })]);
  });

  it('a long poll ends with the client; refusals are PopErrors with a kind', async () => {
    const { pop } = await broker();
    const ac = new AbortController();
    const p = pop.receive({ ...base, pollMs: 60_000, signal: ac.signal });
    await waitFor(() => pop.stats().pollers === 1, { what: 'the receive to wait' });
    ac.abort();
    expect(await p).toEqual({ status: 'empty' });
    expect(pop.stats().pollers).toBe(0);
    const kinds = async (req: Parameters<typeof pop.receive>[0]) => pop.receive(req).then(() => 'none', (e: unknown) => (e instanceof PopError ? e.kind : String(e)));
    expect(await kinds({ ...base, topic: 'Nope' })).toBe('TOPIC_NOT_FOUND');
    expect(await kinds({ ...base, group: 'bad group!' })).toBe('BAD_REQUEST');
    expect(await kinds({ ...base, queueId: 5 })).toBe('BAD_REQUEST');
    expect(await kinds({ ...base, invisibleMs: 0 })).toBe('BAD_REQUEST');
    expect(await kinds({ ...base, filter: { type: 'TAG', expression: '||' } })).toBe('BAD_FILTER');
    expect(await kinds({ ...base, filter: { type: 'SQL92', expression: 'a > 1' } })).toBe('UNSUPPORTED_FILTER');
  });
});
