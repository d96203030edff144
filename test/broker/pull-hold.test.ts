/**
 * PullHoldService (long polling) on its own, with real connections over loopback: which holds a
 * dispatch wakes (queue, offset, tags), timeouts, a closed connection, stop — and that a queue's
 * holds come and go without leaving anything behind (it is used once per pull).
 */
import net from 'node:net';
import { describe, expect, it, onTestFinished } from 'vitest';
import { PullHoldService, type HoldEnd } from '../../src/broker/pull-hold.js';
import { Connection } from '../../src/remoting/connection.js';
import type { DispatchEvent } from '../../src/broker/store/index.js';

/** A real Connection (the broker's side of a loopback socket) and a way to close it from the peer. */
async function connection(): Promise<{ conn: Connection; closePeer: () => void }> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const accepted = new Promise<net.Socket>((resolve) => server.once('connection', resolve));
  const peer = net.connect({ port: (server.address() as net.AddressInfo).port, host: '127.0.0.1' });
  const conn = new Connection(await accepted);
  onTestFinished(() => {
    peer.destroy();
    conn.close('test over');
    server.close();
  });
  return { conn, closePeer: () => peer.destroy() };
}

const arrival = (topic: string, queueId: number, queueOffset: number, tagsCode = 0): DispatchEvent => ({
  topic,
  queueId,
  queueOffset,
  tagsCode,
  physicalOffset: 0,
  size: 100,
  storeTimestamp: Date.now(),
});

/** Settles within this turn's microtasks, or says it is still pending. */
async function state(p: Promise<HoldEnd>): Promise<HoldEnd | 'pending'> {
  return Promise.race([p, new Promise<'pending'>((resolve) => setImmediate(() => resolve('pending')))]);
}

describe('PullHoldService', () => {
  it('a dispatch wakes the holds of its queue at or past their offset and matching their tags, no others', async () => {
    const { conn } = await connection();
    const holds = new PullHoldService();
    const a = holds.hold('T', 0, 5, null, 60_000, conn);
    const b = holds.hold('T', 1, 5, null, 60_000, conn);
    const c = holds.hold('T', 0, 9, null, 60_000, conn);
    const tagged = holds.hold('T', 0, 0, new Set([42]), 60_000, conn);
    const other = holds.hold('U', 0, 0, null, 60_000, conn);
    expect(holds.size).toBe(5);

    holds.onDispatch(arrival('T', 0, 4)); // before every offset of T/0 but the tagged one's, whose tags differ
    expect([await state(a), await state(c), await state(tagged)]).toEqual(['pending', 'pending', 'pending']);
    holds.onDispatch(arrival('T', 0, 5));
    expect(await state(a)).toBe('message');
    expect([await state(b), await state(c), await state(tagged), await state(other)]).toEqual(['pending', 'pending', 'pending', 'pending']);
    holds.onDispatch(arrival('T', 0, 9, 42)); // wakes both remaining holds of T/0
    expect([await state(c), await state(tagged)]).toEqual(['message', 'message']);
    expect(holds.size).toBe(2);
    holds.stop();
    expect([await b, await other]).toEqual(['shutdown', 'shutdown']);
    expect(holds.size).toBe(0);
    expect(await holds.hold('T', 0, 0, null, 60_000, conn)).toBe('shutdown');
  });

  it('ends a hold at its timeout; a wake-up after that changes nothing', async () => {
    const { conn } = await connection();
    const holds = new PullHoldService();
    const short = holds.hold('T', 0, 0, null, 20, conn);
    const long = holds.hold('T', 0, 0, null, 60_000, conn);
    expect(await short).toBe('timeout');
    expect(holds.size).toBe(1);
    holds.onDispatch(arrival('T', 0, 0));
    expect(await long).toBe('message');
    expect(holds.size).toBe(0);
  });

  it("a connection that closes ends its own holds with 'closed' and leaves other connections' holds", async () => {
    const one = await connection();
    const two = await connection();
    const holds = new PullHoldService();
    const a = holds.hold('T', 0, 0, null, 60_000, one.conn);
    const b = holds.hold('T', 1, 0, null, 60_000, one.conn);
    const c = holds.hold('T', 0, 0, null, 60_000, two.conn);
    one.closePeer();
    expect([await a, await b]).toEqual(['closed', 'closed']);
    expect(await state(c)).toBe('pending');
    expect(await holds.hold('T', 0, 0, null, 60_000, one.conn)).toBe('closed');
    holds.onDispatch(arrival('T', 0, 3));
    expect(await c).toBe('message');
  });

  it('many holds of one queue, one at a time as a consumer pulls: each woken by the next message, none left behind', async () => {
    const { conn } = await connection();
    const holds = new PullHoldService();
    for (let offset = 0; offset < 2_000; offset++) {
      const h = holds.hold('T', offset % 4, offset, null, 60_000, conn);
      holds.onDispatch(arrival('T', offset % 4, offset));
      expect(await h).toBe('message');
    }
    expect(holds.size).toBe(0);
  });
});
