/**
 * A master whose disk fills up (issue #21, findings 2 and 7), on a real small file system (tmpfs
 * with a size limit) under a real broker process:
 * - disk use above diskSpaceWarningLevelRatio: sends are refused, GET_BROKER_RUNTIME_INFO says so
 *   (writable=false, writeRefusal=disk-ratio, the numbers and the path), the log says it once per
 *   change, hundreds of refused sends make one log line per reason and interval; freeing space
 *   makes the broker take writes again by itself;
 * - 0 bytes free: a commit-log write fails with ENOSPC. The broker refuses sends and says why,
 *   holds what it had appended, and once space is freed writes it and takes sends again — no
 *   restart, no torn record, every answered message stored once, in order, after a kill -9 too;
 * - stopped while still full: the held records are cut (never a torn tail) and the store opens.
 */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { recordsOf } from '../../src/client/broker-api.js';
import { SendError, type Producer, type SendResult } from '../../src/client/producer.js';
import { ResponseCode } from '../../src/remoting/codes.js';
import type { MessageRecord } from '../../src/protocol/message/record.js';
import { startCluster, type ClusterNode } from '../support/cluster.js';
import { clientsFor, createTopic, type Clients } from '../support/clients.js';
import { readCommitLogFiles } from '../support/commit-log-files.js';
import { canMountTmpfs, removeBallast, smallFs } from '../support/tmpfs.js';
import { waitFor } from '../support/wait.js';

const SEGMENT = 2 * 1024 * 1024;
const pad = 'x'.repeat(1500);

/** Every record of queue 0 of `topic`, from offset 0, checking offsets are consecutive. */
async function readQueue(cl: Clients, addr: string, topic: string): Promise<MessageRecord[]> {
  const recs: MessageRecord[] = [];
  let offset = 0;
  for (;;) {
    const r = await cl.brokers.pull(addr, { consumerGroup: 'DISK_CHECK', topic, queueId: 0, queueOffset: offset, maxMsgNums: 32 });
    if (r.status !== 'FOUND') break;
    recs.push(...recordsOf(r.body));
    offset = r.nextBeginOffset;
  }
  expect(recs.map((x) => x.queueOffset)).toEqual(recs.map((_, i) => i));
  return recs;
}

type Outcome = { body: string; result: SendResult } | { body: string; error: SendError };
const send = (p: Producer, topic: string, body: string): Promise<Outcome> =>
  p.send({ topic, body }).then(
    (result) => ({ body, result }),
    (error: unknown) => {
      if (!(error instanceof SendError)) throw error;
      return { body, error };
    },
  );
const statusOf = (o: Outcome) => ('result' in o ? o.result.sendStatus : `code ${o.error.responseCode}`);

async function writeState(cl: Clients, node: ClusterNode): Promise<Record<string, string>> {
  return cl.brokers.runtimeInfo(node.addr);
}

describe.skipIf(!canMountTmpfs)('a master whose disk fills up (needs root: mounts a small tmpfs)', () => {
  it('over diskSpaceWarningLevelRatio: refuses, says so in runtime info and once in the log (not once per send), takes writes again when space is freed', async () => {
    const fs = smallFs(32 * 1024 * 1024);
    const c = await startCluster({
      brokers: [{ name: 'broker-a', properties: { storePathRootDir: path.join(fs.dir, 'store'), mappedFileSizeCommitLog: SEGMENT, diskSpaceWarningLevelRatio: 50, cleanResourceInterval: 300, maxHashSlotNum: 1000, maxIndexNum: 4000 } }],
    });
    const cl = clientsFor(c);
    const broker = c.broker('broker-a');
    await createTopic(cl, c, broker.addr, 'Ratio', 1);
    const p = cl.producer({ retryTimesWhenSendFailed: 0 });
    expect((await p.send({ topic: 'Ratio', body: 'before' })).sendStatus).toBe('SEND_OK');
    expect(await writeState(cl, broker)).toMatchObject({ brokerRole: 'ASYNC_MASTER', writable: 'true', writeRefusal: '', diskSpaceWarningLevelRatio: '50' });

    const ballast = fs.fill(60);
    const refusing = await waitFor(async () => {
      const info = await writeState(cl, broker);
      return info.writable === 'false' ? info : undefined;
    }, { what: 'runtime info to say the broker refuses writes' });
    expect(refusing.writeRefusal).toBe('disk-ratio');
    expect(refusing.writeRefusalReason).toMatch(/^disk 6\d\.\d% used > diskSpaceWarningLevelRatio 50% on .*\/store\/commitlog \(free [\d.]+ MiB of 32\.0 MiB\)/);
    expect(Number(refusing.writeRefusedSince)).toBeGreaterThan(Date.now() - 60_000);
    expect(refusing.storePathCommitLog).toBe(path.join(fs.dir, 'store', 'commitlog'));
    expect(Number(refusing.commitLogDiskRatio)).toBeGreaterThan(0.5);
    expect(Number(refusing.commitLogDiskFreeBytes)).toBe(fs.freeBytes());

    // a flood of refused sends: each answered SERVICE_NOT_AVAILABLE with the reason, one log line for all of them
    const linesBefore = broker.lines.length;
    const refused = await Promise.all(Array.from({ length: 300 }, (_, i) => send(p, 'Ratio', `refused-${i}`)));
    for (const o of refused) {
      expect('error' in o && o.error.responseCode).toBe(ResponseCode.SERVICE_NOT_AVAILABLE);
      if ('error' in o) expect(o.error.message).toContain('diskSpaceWarningLevelRatio 50%');
    }
    const refusalLines = broker.lines.slice(linesBefore).filter((l) => /send refused|send failed/.test(l));
    expect(refusalLines, refusalLines.join('\n')).toHaveLength(1);
    expect(refusalLines[0]).toMatch(/WARN .*send refused by the store: SERVICE_NOT_AVAILABLE .*diskSpaceWarningLevelRatio/);
    expect(broker.lines.filter((l) => /store refuses writes why=disk-ratio/.test(l))).toHaveLength(1);

    const freedAt = Date.now();
    removeBallast(ballast);
    await waitFor(async () => (await writeState(cl, broker)).writable === 'true', { what: 'the broker to take writes again' });
    const resumeMs = Date.now() - freedAt;
    expect((await p.send({ topic: 'Ratio', body: 'after' })).sendStatus).toBe('SEND_OK');
    expect(broker.lines.some((l) => /INFO .*store takes writes again refusedFor=disk-ratio/.test(l))).toBe(true);
    // the suppressed refusals are counted in one summary line at the end of the interval
    const summary = await broker.waitForLine(/send refused by the store: SERVICE_NOT_AVAILABLE \(repeated\) suppressed=299/, 20_000);
    expect(summary).toMatch(/windowMs=10000/);
    expect((await readQueue(cl, broker.addr, 'Ratio')).map((r) => r.body.toString())).toEqual(['before', 'after']);
    console.log(`disk-ratio refusal: writes taken again ${resumeMs} ms after space was freed`);
  });

  it('0 bytes free: a failed write is held, refused sends say why, and once space is freed the broker writes it and takes sends again without a restart — no torn record, each answered message once', async () => {
    const fs = smallFs(24 * 1024 * 1024);
    const c = await startCluster({
      brokers: [
        {
          name: 'broker-a',
          properties: { storePathRootDir: path.join(fs.dir, 'store'), mappedFileSizeCommitLog: SEGMENT, diskSpaceWarningLevelRatio: 99, cleanResourceInterval: 3_600_000, syncFlushTimeout: 1000, maxHashSlotNum: 1000, maxIndexNum: 4000 },
        },
      ],
    });
    const cl = clientsFor(c);
    const broker = c.broker('broker-a');
    const commitLogDir = path.join(fs.dir, 'store', 'commitlog');
    await createTopic(cl, c, broker.addr, 'Full', 1);
    const p = cl.producer({ retryTimesWhenSendFailed: 0 });
    const outcomes: Outcome[] = [];
    for (let i = 0; i < 40; i++) outcomes.push(await send(p, 'Full', `ok-${i}-${pad}`));
    expect(outcomes.map(statusOf)).toEqual(outcomes.map(() => 'SEND_OK'));

    const ballast = fs.fill(100);
    expect(fs.freeBytes()).toBe(0);
    // rounds of 8 concurrent sends until the broker refuses: the ones whose write found no space are held
    let round = 0;
    for (; round < 50; round++) {
      const got = await Promise.all(Array.from({ length: 8 }, (_, i) => send(p, 'Full', `full-${round}-${i}-${pad}`)));
      outcomes.push(...got);
      if (got.some((o) => 'error' in o)) break;
    }
    const held = outcomes.filter((o) => 'result' in o && o.result.sendStatus === 'FLUSH_DISK_TIMEOUT');
    expect(held.length, outcomes.map(statusOf).join(' ')).toBeGreaterThan(0);
    for (const o of outcomes) expect(['SEND_OK', 'FLUSH_DISK_TIMEOUT', `code ${ResponseCode.SERVICE_NOT_AVAILABLE}`]).toContain(statusOf(o));
    const info = await writeState(cl, broker);
    expect(info).toMatchObject({ writable: 'false', writeRefusal: 'disk-full' });
    expect(info.writeRefusalReason).toContain(`no space left on ${commitLogDir}`);
    expect(info.writeRefusalReason).toContain('ENOSPC');
    expect(Number(info.commitLogUnwrittenBytes)).toBeGreaterThan(0);
    const refused = await send(p, 'Full', 'refused-while-full');
    expect('error' in refused && refused.error.responseCode).toBe(ResponseCode.SERVICE_NOT_AVAILABLE);
    expect('error' in refused && refused.error.message).toMatch(/no space left on .* ENOSPC/);
    expect(broker.lines.some((l) => /ERROR .*commit log write failed: no space left/.test(l))).toBe(true);
    expect(broker.lines.filter((l) => /accepting puts|takes writes again/.test(l))).toEqual([]);

    const freedAt = Date.now();
    removeBallast(ballast);
    await waitFor(async () => (await writeState(cl, broker)).writable === 'true', { what: 'the broker to take writes again without a restart' });
    const resumeMs = Date.now() - freedAt;
    await broker.waitForLine(/INFO .*commit log writes resumed/);
    await broker.waitForLine(/INFO .*store takes writes again refusedFor=disk-full/);
    expect((await writeState(cl, broker)).commitLogUnwrittenBytes).toBe('0');
    for (let i = 0; i < 10; i++) outcomes.push(await send(p, 'Full', `after-${i}-${pad}`));
    expect(outcomes.slice(-10).map(statusOf)).toEqual(Array(10).fill('SEND_OK'));

    // every answered message is stored once, at the queue offset its answer named; nothing refused is
    const stored = (o: Outcome): o is { body: string; result: SendResult } => 'result' in o;
    const expectServed = async () => {
      const served = await readQueue(cl, broker.addr, 'Full');
      const byBody = new Map(served.map((r) => [r.body.toString(), r]));
      expect(byBody.size).toBe(served.length);
      for (const o of outcomes) {
        if (stored(o)) expect(byBody.get(o.body)?.queueOffset, o.body.slice(0, 20)).toBe(o.result.queueOffset);
        else expect(byBody.has(o.body)).toBe(false);
      }
      expect(served.length).toBe(outcomes.filter(stored).length);
    };
    await expectServed();

    // the files hold whole records only, before and after a kill -9 and recovery
    await waitFor(() => readCommitLogFiles(commitLogDir, SEGMENT).records.length === outcomes.filter(stored).length, { what: 'every record in the files' });
    await broker.kill9();
    expect(readCommitLogFiles(commitLogDir, SEGMENT).records.length).toBe(outcomes.filter(stored).length);
    await broker.start();
    expect(broker.lines.filter((l) => /torn record/.test(l))).toEqual([]);
    await expectServed();
    console.log(`0 bytes free: held ${held.length} message(s); writes taken again ${resumeMs} ms after space was freed`);
  });

  it('stopped while the disk is still full: the held records are cut, the files end on a whole record and the store opens', async () => {
    const fs = smallFs(24 * 1024 * 1024);
    const c = await startCluster({
      brokers: [
        {
          name: 'broker-a',
          properties: { storePathRootDir: path.join(fs.dir, 'store'), mappedFileSizeCommitLog: SEGMENT, diskSpaceWarningLevelRatio: 99, cleanResourceInterval: 3_600_000, syncFlushTimeout: 1000, maxHashSlotNum: 1000, maxIndexNum: 4000 },
        },
      ],
    });
    const cl = clientsFor(c);
    const broker = c.broker('broker-a');
    const commitLogDir = path.join(fs.dir, 'store', 'commitlog');
    await createTopic(cl, c, broker.addr, 'Full', 1);
    const p = cl.producer({ retryTimesWhenSendFailed: 0 });
    const outcomes: Outcome[] = [];
    for (let i = 0; i < 20; i++) outcomes.push(await send(p, 'Full', `ok-${i}-${pad}`));
    const ballast = fs.fill(100);
    for (let round = 0; round < 50 && !outcomes.some((o) => 'error' in o); round++) {
      outcomes.push(...(await Promise.all(Array.from({ length: 8 }, (_, i) => send(p, 'Full', `full-${round}-${i}-${pad}`)))));
    }
    expect((await writeState(cl, broker)).writeRefusal).toBe('disk-full');
    // the state files cannot be written on a full disk: the stop says so (exit 1) but still closes the store's files
    const stopCode = await broker.stop();
    if (stopCode !== 0) expect(broker.lines.some((l) => /ERROR .*stopping: .* failed err=.*ENOSPC/.test(l))).toBe(true);
    expect(broker.lines.some((l) => /ERROR .*closing while the disk is still full/.test(l))).toBe(true);
    const onDisk = readCommitLogFiles(commitLogDir, SEGMENT);
    const ok = outcomes.filter((o) => 'result' in o && o.result.sendStatus === 'SEND_OK');
    expect(onDisk.records.map((r) => r.record.body.toString())).toEqual(ok.map((o) => o.body));

    removeBallast(ballast);
    await broker.start();
    expect(broker.lines.filter((l) => /torn record/.test(l))).toEqual([]);
    expect((await readQueue(cl, broker.addr, 'Full')).map((r) => r.body.toString())).toEqual(ok.map((o) => o.body));
    expect((await p.send({ topic: 'Full', body: 'after restart' })).sendStatus).toBe('SEND_OK');
  });

  it('a SYNC_MASTER’s slave whose disk fills: the master stops waiting for it and says why, the slave pauses replication (no reconnect loop) and catches up once space is freed', async () => {
    const fs = smallFs(24 * 1024 * 1024);
    const c = await startCluster({
      brokerProperties: { mappedFileSizeCommitLog: SEGMENT, haSendHeartbeatInterval: 1000, maxHashSlotNum: 1000, maxIndexNum: 4000 },
      brokers: [
        { name: 'broker-a', properties: { brokerRole: 'SYNC_MASTER', inSyncReplicas: 2, totalReplicas: 2 } },
        { name: 'broker-a', id: 1, properties: { storePathRootDir: path.join(fs.dir, 'store'), diskSpaceWarningLevelRatio: 99, cleanResourceInterval: 3_600_000 } },
      ],
    });
    const cl = clientsFor(c);
    const [master, slave] = [c.broker('broker-a'), c.broker('broker-a', 1)];
    await createTopic(cl, c, master.addr, 'SlaveFull', 1);
    const p = cl.producer({ retryTimesWhenSendFailed: 0 });
    for (let i = 0; i < 20; i++) expect((await p.send({ topic: 'SlaveFull', body: `ok-${i}-${pad}` })).sendStatus).toBe('SEND_OK');
    await waitFor(async () => (await cl.brokers.haStatus(master.addr)).inSyncSlaveNums === 1, { what: 'the slave in sync' });
    const masterLinesBefore = master.lines.length;

    const ballast = fs.fill(100);
    const statuses: string[] = [];
    let sending = true;
    const loop = (async () => {
      for (let i = 0; sending; i++) statuses.push(await p.send({ topic: 'SlaveFull', body: `full-${i}-${pad}` }).then((r) => r.sendStatus as string, (e: Error) => `error ${e.message}`));
    })();
    try {
      const stuck = await waitFor(async () => {
        const conn = (await cl.brokers.haStatus(master.addr)).haConnectionInfo[0];
        return conn?.available === false && /acknowledged nothing new/.test(conn.outOfSyncReason ?? '') ? conn : undefined;
      }, { timeout: 15_000, what: 'the master to see the slave reporting without progress' });
      expect(stuck.outOfSyncReason).toMatch(/^the slave reports but has acknowledged nothing new for [\d.]+ s while \d+ bytes sent to it are unacknowledged \(its disk full or stuck\?\)$/);
      const slaveInfo = await cl.brokers.runtimeInfo(slave.addr);
      expect(slaveInfo).toMatchObject({ brokerRole: 'SLAVE', writable: 'false', writeRefusal: 'slave', storeWritable: 'false', storeWriteRefusal: 'disk-full' });
      const n = statuses.length;
      await waitFor(() => statuses.length >= n + 20, { what: '20 more sends' });
      expect(new Set(statuses.slice(n))).toEqual(new Set(['SLAVE_NOT_AVAILABLE']));

      const freedAt = Date.now();
      removeBallast(ballast);
      await waitFor(async () => (await cl.brokers.haStatus(master.addr)).inSyncSlaveNums === 1, { timeout: 15_000, what: 'the slave back in sync without a restart' });
      const backMs = Date.now() - freedAt;
      const m = statuses.length;
      await waitFor(() => statuses.slice(m).includes('SEND_OK'), { what: 'SEND_OK again' });
      // one connection all along: no reconnect loop while the slave could not write
      expect(master.lines.slice(masterLinesBefore).filter((l) => /slave (connected|disconnected)/.test(l))).toEqual([]);
      console.log(`slave disk full: master stopped waiting and named it; slave back in sync ${backMs} ms after space was freed`);
    } finally {
      sending = false;
      await loop;
    }
    const end = (await cl.brokers.haStatus(master.addr)).masterCommitLogMaxOffset;
    await waitFor(async () => (await cl.brokers.haStatus(slave.addr)).haClientRuntimeInfo.maxOffset === end, { what: 'the slave to hold everything the master stored' });
    expect(readCommitLogFiles(path.join(fs.dir, 'store', 'commitlog'), SEGMENT).end).toBe(end);
  });
});
