/**
 * The batch format between the threads: events keep their order and values (numbers in the
 * transferred buffer, events with strings beside it), payload offsets point at their bytes.
 */
import { describe, expect, it } from 'vitest';
import { BatchBuilder, readBatch, type NetEvent, type StoreOp } from '../../../src/remoting/io-thread/messages.js';

describe('batches', () => {
  it('round-trips numeric and rare events in order, with data offsets into the one buffer', () => {
    const b = new BatchBuilder<NetEvent>();
    b.add(['open', 7, 1, '127.0.0.1', 40000]);
    const a = Buffer.from('hello');
    const c = Buffer.alloc(70_000, 9);
    b.add(['data', 7, b.addBytes(a), a.length]);
    b.add(['written', 7, 123_456]);
    b.add(['data', 7, b.addBytes(c), c.length]);
    b.add(['error', 7, 'read ECONNRESET', 'ECONNRESET']);
    b.add(['timeout', 7]);
    b.add(['close', 7]);
    expect(b.isEmpty).toBe(false);
    const wire = b.take();
    expect(b.isEmpty).toBe(true);
    const { events, bytes } = readBatch<NetEvent>(structuredClone(wire, { transfer: [wire.buf] }));
    expect(events.map((e) => e[0])).toEqual(['open', 'data', 'written', 'data', 'error', 'timeout', 'close']);
    expect(events[0]).toEqual(['open', 7, 1, '127.0.0.1', 40000]);
    expect(events[2]).toEqual(['written', 7, 123_456]);
    expect(events[4]).toEqual(['error', 7, 'read ECONNRESET', 'ECONNRESET']);
    expect(events[5]).toEqual(['timeout', 7]);
    const slice = (e: NetEvent) => Buffer.from(bytes!, e[2] as number, e[3] as number);
    expect(slice(events[1]!).toString()).toBe('hello');
    expect(slice(events[3]!).equals(c)).toBe(true);
  });

  it('store operations: a timeout with its millis, listen with its spec, a batch without bytes', () => {
    const b = new BatchBuilder<StoreOp>();
    b.add(['listen', { listener: 1, port: 0, host: '127.0.0.1', maxConnections: 10 }]);
    b.add(['timeout', 3, 120_000]);
    b.add(['pause', 3]);
    b.add(['consumed', 8 * 1024 * 1024]);
    const { events, bytes } = readBatch<StoreOp>(b.take());
    expect(events).toEqual([['listen', { listener: 1, port: 0, host: '127.0.0.1', maxConnections: 10 }], ['timeout', 3, 120_000], ['pause', 3], ['consumed', 8 * 1024 * 1024]]);
    expect(bytes).toBe(null);
  });
});
