/**
 * What a SYNC_MASTER send waits for (issue #22's replicated pair): the slave's acknowledgement
 * that the bytes are in its kernel — not its fsync, not a linger on the master's link. In one
 * process over real loopback sockets and real stores; the slave's fdatasync can be held back (the
 * one fault a real disk will not produce on demand).
 */
import crypto from 'node:crypto';
import net from 'node:net';
import { describe, expect, it, onTestFinished } from 'vitest';
import { HaClient } from '../../../src/broker/ha/ha-client.js';
import { HaMaster } from '../../../src/broker/ha/ha-master.js';
import { encodeOffsetReport, TransferReader } from '../../../src/broker/ha/wire.js';
import type { MessageStore } from '../../../src/broker/store/index.js';
import { gatedDisk } from '../../support/gated-disk.js';
import { message, openStore } from '../../support/store.js';
import { tmpDir } from '../../support/tmp.js';
import { waitFor } from '../../support/wait.js';
import { startHaMaster, type HaMasterOptions } from '../../support/ha-master.js';

/** Patient: these tests hold a slave's disk back on purpose. */
const startMaster = (store: MessageStore, over: Partial<HaMasterOptions> = {}): Promise<HaMaster> =>
  startHaMaster(store, { slaveTimeoutMillis: 10_000, outOfSyncMillis: 10_000, ...over });

function startClient(store: MessageStore, master: HaMaster, syncFlush: boolean): HaClient {
  const c = new HaClient({ store, masterAddress: () => `127.0.0.1:${master.port}`, heartbeatIntervalMillis: 5_000, housekeepingIntervalMillis: 20_000, syncFlush, reconnectDelayMillis: 100 });
  c.start();
  onTestFinished(() => c.stop());
  return c;
}

async function digest(store: MessageStore, to: number): Promise<string> {
  await waitFor(() => store.writtenPhysOffset >= to, { what: `the store to write up to ${to}` });
  const h = crypto.createHash('sha256');
  for (let at = store.minPhysOffset; at < to; ) {
    const b = await store.readRaw(at, to - at);
    if (b.length === 0) throw new Error(`nothing readable at ${at}`);
    h.update(b);
    at += b.length;
  }
  return h.digest('hex');
}

const put = (store: MessageStore, n: number, tag: string) => Promise.all(Array.from({ length: n }, (_, i) => store.put(message('Pair', i % 4, Buffer.alloc(300 + (i % 40), `${tag}${i}`)))));

describe('SYNC_MASTER: what a send waits for', () => {
  it('a SYNC_FLUSH slave acknowledges what it has written and fsyncs right behind: its disk does not hold up SYNC sends', async () => {
    const master = await openStore(tmpDir(), { flushDiskType: 'SYNC_FLUSH' });
    const disk = gatedDisk();
    const slave = await openStore(tmpDir(), { flushDiskType: 'SYNC_FLUSH' }, { fdatasync: disk.fdatasync });
    onTestFinished(() => disk.release());
    const ha = await startMaster(master);
    startClient(slave, ha, true);
    await waitFor(() => ha.slavesAvailable(), { what: 'the slave to connect' });

    disk.hold();
    const flushedBefore = slave.flushedPhysOffset;
    const results = await put(master, 200, 'a');
    const outcomes = await Promise.all(results.map((r) => ha.waitForReplicas(r.appended!.endOffset)));
    expect(new Set(outcomes)).toEqual(new Set(['PUT_OK']));
    const end = master.maxPhysOffset;
    // acknowledged: in the slave's kernel, though none of it is fsync'ed yet
    expect(slave.writtenPhysOffset).toBe(end);
    expect(slave.flushedPhysOffset).toBe(flushedBefore);

    // the slave's own flush follows by itself (a SYNC_FLUSH store has no periodic flush)
    disk.release();
    await waitFor(() => slave.flushedPhysOffset === end, { what: 'the slave to fsync everything it acknowledged' });
    expect(await digest(slave, end)).toBe(await digest(master, end));
  });

  it('every SYNC acknowledgement finds the bytes in the slave’s kernel, with the slave reading on while it writes', async () => {
    const master = await openStore(tmpDir());
    const slave = await openStore(tmpDir());
    const ha = await startMaster(master);
    startClient(slave, ha, false);
    await waitFor(() => ha.slavesAvailable(), { what: 'the slave to connect' });
    const short: number[] = [];
    // waves of concurrent sends: acknowledgements arrive while later frames are still being written
    for (let wave = 0; wave < 5; wave++) {
      await Promise.all(
        (await put(master, 400, `w${wave}-`)).map(async (r) => {
          const end = r.appended!.endOffset;
          expect(await ha.waitForReplicas(end)).toBe('PUT_OK');
          if (slave.writtenPhysOffset < end) short.push(end);
        }),
      );
    }
    expect(short).toEqual([]);
    const end = master.maxPhysOffset;
    expect(await digest(slave, end)).toBe(await digest(master, end));
    for (let q = 0; q < 4; q++) expect(slave.getMaxOffsetInQueue('Pair', q)).toBe(master.getMaxOffsetInQueue('Pair', q));
  });

  it('while SYNC sends wait, the link sends new bytes at once instead of holding them for the slave’s report on the last transfer', async () => {
    const master = await openStore(tmpDir());
    // a linger long enough that only the "sends are waiting" rule can let bytes through before the report
    const ha = await startMaster(master, { lingerMillis: 3_600_000 });
    // a peer speaking the slave's protocol that acknowledges only when told
    const peer = net.connect({ host: '127.0.0.1', port: ha.port! });
    onTestFinished(() => void peer.destroy());
    const reader = new TransferReader();
    let received = 0;
    peer.on('data', (c: Buffer) => {
      reader.push(c);
      for (const f of reader.frames()) if (f.data.length > 0) received = f.masterPhyOffset + f.data.length;
    });
    await new Promise((r) => peer.once('connect', r));
    peer.write(encodeOffsetReport(0));
    await waitFor(() => ha.slavesAvailable(), { what: 'the peer to count as a slave' });

    // an idle link sends at once
    const [r1] = await put(master, 1, 'first');
    const end1 = r1!.appended!.endOffset;
    await waitFor(() => received === end1, { what: 'the first transfer' });
    const first = ha.waitForReplicas(end1);

    // unacknowledged, but a send waits: the next bytes go out without the report
    const [r2] = await put(master, 1, 'second');
    const end2 = r2!.appended!.endOffset;
    const second = ha.waitForReplicas(end2);
    await waitFor(() => received === end2, { what: 'the second transfer while the first is unacknowledged' });
    peer.write(encodeOffsetReport(end2));
    expect(await first).toBe('PUT_OK');
    expect(await second).toBe('PUT_OK');

    // no send waits (ASYNC_MASTER-like): a write behind an unacknowledged transfer waits for the report
    const [r3] = await put(master, 1, 'third');
    const end3 = r3!.appended!.endOffset;
    await waitFor(() => received === end3, { what: 'the third transfer (idle link)' });
    const [r4] = await put(master, 1, 'fourth');
    const end4 = r4!.appended!.endOffset;
    await new Promise((r) => setImmediate(r));
    expect([...ha.links][0]!.nextTransfer).toBe(end3);
    peer.write(encodeOffsetReport(end3));
    await waitFor(() => received === end4, { what: 'the fourth transfer after the report' });
  });
});
