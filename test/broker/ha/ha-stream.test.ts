/**
 * Master and slave replication parts in one process, over real loopback sockets and real stores
 * (the process-level behaviour — kill -9, restarts, failover — is in replication.test.ts).
 */
import crypto from 'node:crypto';
import net from 'node:net';
import { describe, expect, it, onTestFinished } from 'vitest';
import { HaClient, type HaClientState } from '../../../src/broker/ha/ha-client.js';
import { HaMaster } from '../../../src/broker/ha/ha-master.js';
import { encodeOffsetReport } from '../../../src/broker/ha/wire.js';
import type { MessageStore } from '../../../src/broker/store/index.js';
import { decodeRecord } from '../../../src/protocol/message/index.js';
import { freePort } from '../../support/ports.js';
import { message, openStore } from '../../support/store.js';
import { tmpDir } from '../../support/tmp.js';
import { waitFor } from '../../support/wait.js';
import { startHaMaster } from '../../support/ha-master.js';
import { createLogger } from '../../../src/util/log.js';

const startMaster = startHaMaster;

function startClient(store: MessageStore, master: HaMaster, over: Partial<ConstructorParameters<typeof HaClient>[0]> = {}): HaClient & { states: HaClientState[] } {
  const states: HaClientState[] = [];
  const c = new HaClient({
    store,
    masterAddress: () => `127.0.0.1:${master.port}`,
    heartbeatIntervalMillis: 5_000,
    housekeepingIntervalMillis: 20_000,
    syncFlush: false,
    reconnectDelayMillis: 100,
    logger: process.env.HA_DEBUG ? createLogger('ha', { level: 'debug' }) : undefined,
    onStateChange: (s) => states.push(s),
    ...over,
  });
  c.start();
  onTestFinished(() => c.stop());
  return Object.assign(c, { states });
}

async function digest(store: MessageStore, from: number, to: number): Promise<string> {
  // readRaw serves written bytes only: appended bytes reach the kernel a moment later
  await waitFor(() => store.writtenPhysOffset >= to, { what: `the store to write up to ${to}` });
  const h = crypto.createHash('sha256');
  for (let at = from; at < to; ) {
    const b = await store.readRaw(at, to - at);
    if (b.length === 0) throw new Error(`nothing readable at ${at}`);
    h.update(b);
    at += b.length;
  }
  return h.digest('hex');
}

const put = (store: MessageStore, n: number, tag = 'm', size = 600) =>
  Promise.all(Array.from({ length: n }, (_, i) => store.put(message('Ha', i % 4, Buffer.alloc(size + (i % 50), `${tag}${i}`), { KEYS: `${tag}-${i}` }))));

describe('HA replication (in process, real sockets and stores)', () => {
  it('a slave copies the master byte for byte, across segment ends, and follows new writes', async () => {
    const master = await openStore(tmpDir());
    const slave = await openStore(tmpDir());
    await put(master, 300); // ~190 KB: three 64 KiB segments
    const ha = await startMaster(master);
    startClient(slave, ha);
    await waitFor(() => slave.maxPhysOffset === master.maxPhysOffset, { what: 'the slave to catch up' });
    await put(master, 200, 'n');
    await waitFor(() => slave.maxPhysOffset === master.maxPhysOffset, { what: 'the slave to follow' });
    expect(await digest(slave, 0, slave.maxPhysOffset)).toBe(await digest(master, 0, master.maxPhysOffset));
    // its own consume queues and index were built from the replicated records
    for (let q = 0; q < 4; q++) expect(slave.getMaxOffsetInQueue('Ha', q)).toBe(master.getMaxOffsetInQueue('Ha', q));
    const byKey = await slave.queryMessage('Ha', 'n-77', 3);
    expect(byKey.map((r) => decodeRecord(r).body.subarray(0, 3).toString())).toEqual(['n77']);
    // the master acknowledges the slave and answers SYNC waits at once
    await waitFor(() => ha.ackLevel() === master.maxPhysOffset, { what: 'the ack to reach the end' });
    expect(await ha.waitForReplicas(master.maxPhysOffset)).toBe('PUT_OK');
    const conns = await ha.connections();
    expect(conns).toHaveLength(1);
    expect(conns[0]).toMatchObject({ slaveAckOffset: master.maxPhysOffset, diff: 0, inSync: true, state: 'transferring', lagMillis: 0 });
  });

  it('SYNC waits: PUT_OK once acked, SLAVE_NOT_AVAILABLE without a slave or when it goes, FLUSH_SLAVE_TIMEOUT when it does not ack', async () => {
    const master = await openStore(tmpDir());
    const ha = await startMaster(master, { slaveTimeoutMillis: 300 });
    const [r0] = await put(master, 1);
    expect(await ha.waitForReplicas(r0!.appended!.endOffset)).toBe('SLAVE_NOT_AVAILABLE');

    // a peer that speaks the protocol but never acknowledges what it gets
    const silent = net.connect({ host: '127.0.0.1', port: ha.port! });
    onTestFinished(() => void silent.destroy());
    await new Promise((r) => silent.once('connect', r));
    silent.write(encodeOffsetReport(0));
    await waitFor(() => ha.slavesAvailable(), { what: 'the silent slave to count as connected' });
    const [r1] = await put(master, 1);
    const started = Date.now();
    expect(await ha.waitForReplicas(r1!.appended!.endOffset)).toBe('FLUSH_SLAVE_TIMEOUT');
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);

    // a waiting send learns at once when its only slave disconnects
    const [r2] = await put(master, 1);
    const waiting = ha.waitForReplicas(r2!.appended!.endOffset);
    silent.destroy();
    expect(await waiting).toBe('SLAVE_NOT_AVAILABLE');

    // a real slave acknowledges; thousands of waiters resolve from its acks, in offset order
    const slave = await openStore(tmpDir());
    startClient(slave, ha);
    await waitFor(() => ha.ackLevel() === master.maxPhysOffset, { what: 'the slave to catch up' });
    const results = await Promise.all((await put(master, 2000, 'w', 100)).map((r) => ha.waitForReplicas(r.appended!.endOffset)));
    expect(new Set(results)).toEqual(new Set(['PUT_OK']));
  });

  it('a slave reconnects and catches up after the master restarts, and after its own restart', async () => {
    const masterDir = tmpDir();
    const slaveDir = tmpDir();
    let master = await openStore(masterDir);
    const slave = await openStore(slaveDir);
    const port = await freePort();
    let ha = await startMaster(master, { port });
    const client = startClient(slave, ha, { masterAddress: () => `127.0.0.1:${port}` });
    await put(master, 100);
    await waitFor(() => slave.maxPhysOffset === master.maxPhysOffset, { what: 'first catch-up' });
    await ha.close();
    await master.close();
    await waitFor(() => !client.masterConnected, { what: 'the slave to notice' });
    master = await openStore(masterDir);
    await put(master, 100, 'r');
    ha = await startMaster(master, { port });
    await waitFor(() => slave.maxPhysOffset === master.maxPhysOffset, { what: 'catch-up after the master restarted' });
    expect(client.states).toContain('verifying'); // reconnecting slaves check their log against the master's
    await client.stop();
    await put(master, 100, 's');
    const again = startClient(slave, ha, { masterAddress: () => `127.0.0.1:${port}` });
    await waitFor(() => slave.maxPhysOffset === master.maxPhysOffset, { what: 'catch-up after the slave restarted' });
    expect(again.state).toBe('replicating');
    expect(await digest(slave, 0, slave.maxPhysOffset)).toBe(await digest(master, 0, master.maxPhysOffset));
  });

  it('a slave whose log differs from its master’s stops and says where', async () => {
    const master = await openStore(tmpDir());
    const slave = await openStore(tmpDir());
    await put(master, 50, 'x');
    await put(slave, 40, 'y'); // another history at the same offsets
    const ha = await startMaster(master);
    const c = startClient(slave, ha);
    await waitFor(() => c.state === 'diverged', { what: 'divergence' });
    expect(c.reason).toMatch(/differs from this slave’s at offset \d+/);
    const before = slave.maxPhysOffset;
    await put(master, 10, 'z');
    expect(slave.maxPhysOffset).toBe(before); // nothing merged
  });

  it('a slave ahead of its master (the master lost data) stops and says so; the master does not count it', async () => {
    const original = await openStore(tmpDir());
    await put(original, 30, 'same');
    const lostFrom = original.maxPhysOffset;
    await put(original, 20, 'lost');
    // the slave had everything; the master came back with only the first part (an unclean loss)
    const slave = await openStore(tmpDir());
    await slave.appendRaw(0, await original.readRaw(0, original.maxPhysOffset));
    const master = await openStore(tmpDir());
    await master.appendRaw(0, await original.readRaw(0, lostFrom));
    expect(slave.maxPhysOffset).toBeGreaterThan(master.maxPhysOffset);
    const ha = await startMaster(master);
    const c = startClient(slave, ha);
    await waitFor(() => c.state === 'diverged', { what: 'divergence' });
    expect(c.reason).toMatch(/ends at \d+, before this slave’s end/);
    expect(ha.ackLevel()).toBe(-1);
    expect(ha.slavesAvailable()).toBe(false);
  });
});
