/**
 * A SYNC_MASTER whose slave goes silent (issue #21, finding 3): the slave process is stopped with
 * SIGSTOP — its TCP connection stays open, nothing answers — under a continuous SYNC producer,
 * with the default timings (haSendHeartbeatInterval 5 s, haHousekeepingInterval 20 s, slaveTimeout
 * 3 s, haSlaveOutOfSyncMillis 2 s):
 * - the master notices within haSlaveOutOfSyncMillis, long before housekeeping would drop the
 *   connection, and GET_BROKER_HA_STATUS says so (inSync/available false, why, since when);
 * - from then on every SYNC send is answered SLAVE_NOT_AVAILABLE at once (no slaveTimeout wait);
 * - after SIGCONT the slave catches up and sends are SEND_OK again; nothing acknowledged is lost;
 * - idle (no sends), a stopped slave is noticed after haSendHeartbeatInterval + haSlaveOutOfSyncMillis.
 * Measured times are printed (tests do not assert wall-clock speed; they assert "not the 3 s wait").
 */
import { describe, expect, it, onTestFinished } from 'vitest';
import type { SendResult } from '../../../src/client/producer.js';
import type { HaConnectionInfo } from '../../../src/protocol/ha-runtime-info.js';
import { startCluster, type ClusterNode } from '../../support/cluster.js';
import { clientsFor, createTopic, type Clients } from '../../support/clients.js';
import { waitFor } from '../../support/wait.js';

const SLAVE_TIMEOUT = 3_000;

interface SendLog {
  start: number;
  end: number;
  status: string;
}

async function connection(cl: Clients, master: ClusterNode): Promise<{ conn: HaConnectionInfo | undefined; inSync: number; available: number | undefined }> {
  const ha = await cl.brokers.haStatus(master.addr);
  return { conn: ha.haConnectionInfo[0], inSync: ha.inSyncSlaveNums, available: ha.availableSlaveNums };
}

const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((xs.length * p) / 100))] ?? NaN;

describe('a SYNC_MASTER whose slave goes silent (SIGSTOP)', () => {
  it('notices within haSlaveOutOfSyncMillis, answers SLAVE_NOT_AVAILABLE at once from then on, and is back in sync after SIGCONT', async () => {
    const c = await startCluster({
      brokers: [
        { name: 'broker-a', properties: { brokerRole: 'SYNC_MASTER', inSyncReplicas: 2, totalReplicas: 2 } },
        { name: 'broker-a', id: 1 },
      ],
    });
    const cl = clientsFor(c);
    const [master, slave] = [c.broker('broker-a'), c.broker('broker-a', 1)];
    const signal = (s: NodeJS.Signals) => process.kill(slave.pid as number, s);
    let stopped = false;
    onTestFinished(() => {
      if (stopped && slave.running) signal('SIGCONT');
    });
    await createTopic(cl, c, master.addr, 'Silent', 4);
    const p = cl.producer({ retryTimesWhenSendFailed: 0 });
    expect((await p.send({ topic: 'Silent', body: 'warm-up' })).sendStatus).toBe('SEND_OK');
    await waitFor(async () => (await connection(cl, master)).inSync === 1, { what: 'the slave in sync' });
    expect((await connection(cl, master)).conn).toMatchObject({ inSync: true, available: true, behindMillis: 0 });

    // four producers sending one message after another, every result logged with its times
    const log: SendLog[] = [];
    const acked: SendResult[] = [];
    let sending = true;
    let seq = 0;
    const loops = Array.from({ length: 4 }, async () => {
      while (sending) {
        const start = Date.now();
        const status = await p.send({ topic: 'Silent', body: `m-${seq++}` }).then(
          (r) => {
            acked.push(r);
            return r.sendStatus as string;
          },
          (e: Error) => `error: ${e.message}`,
        );
        log.push({ start, end: Date.now(), status });
      }
    });
    try {
      await waitFor(() => log.filter((x) => x.status === 'SEND_OK').length >= 50, { what: '50 SEND_OK before the fault' });

      const stoppedAt = Date.now();
      signal('SIGSTOP');
      stopped = true;
      const silent = await waitFor(async () => {
        const s = await connection(cl, master);
        return s.conn !== undefined && s.conn.available === false ? s : undefined;
      }, { timeout: 15_000, what: 'the master to count the stopped slave silent (before haHousekeepingInterval drops it)' });
      const detectedAt = Date.now();
      expect(silent.inSync).toBe(0);
      expect(silent.available).toBe(0);
      expect(silent.conn).toMatchObject({ inSync: false, available: false, state: 'transferring' });
      expect(silent.conn?.outOfSyncReason).toMatch(/^no report from the slave for [\d.]+ s while \d+ bytes sent to it are unacknowledged \(process stopped or network cut\?\)$/);
      expect(silent.conn?.silentMillis).toBeGreaterThanOrEqual(2_000);
      expect(silent.conn?.lastReportTimestamp).toBeLessThan(detectedAt - 2_000);
      await master.waitForLine(/WARN .*slave silent: SYNC sends no longer wait for it/);

      // every send started once the master knew is answered SLAVE_NOT_AVAILABLE without waiting out slaveTimeout
      await waitFor(() => log.filter((x) => x.start > detectedAt).length >= 200, { what: '200 sends after detection' });
      const after = log.filter((x) => x.start > detectedAt);
      expect(new Set(after.map((x) => x.status))).toEqual(new Set(['SLAVE_NOT_AVAILABLE']));
      const latencies = after.map((x) => x.end - x.start);
      expect(Math.max(...latencies)).toBeLessThan(SLAVE_TIMEOUT / 2);
      // sends caught between the fault and its detection waited at most until the detection
      const during = log.filter((x) => x.end > stoppedAt && x.start <= detectedAt);
      for (const x of during) expect(['SLAVE_NOT_AVAILABLE', 'FLUSH_SLAVE_TIMEOUT', 'SEND_OK']).toContain(x.status);

      const resumedAt = Date.now();
      signal('SIGCONT');
      stopped = false;
      await waitFor(async () => (await connection(cl, master)).inSync === 1, { timeout: 15_000, what: 'the slave back in sync' });
      const backMs = Date.now() - resumedAt;
      await waitFor(() => log.some((x) => x.start > resumedAt + backMs && x.status === 'SEND_OK'), { what: 'SEND_OK again' });
      await master.waitForLine(/INFO .*slave acknowledges again/);
      console.log(
        `silent slave under load: detected ${detectedAt - stoppedAt} ms after SIGSTOP (haSlaveOutOfSyncMillis 2000); ` +
          `${after.length} sends after detection all SLAVE_NOT_AVAILABLE, latency p50 ${pct(latencies, 50)} ms, p99 ${pct(latencies, 99)} ms, max ${Math.max(...latencies)} ms; ` +
          `${during.length} sends during detection: ${JSON.stringify(during.reduce<Record<string, number>>((m, x) => ((m[x.status] = (m[x.status] ?? 0) + 1), m), {}))}, longest ${Math.max(...during.map((x) => x.end - x.start))} ms; ` +
          `back in sync ${backMs} ms after SIGCONT`,
      );
    } finally {
      sending = false;
      await Promise.all(loops);
    }

    // everything stored on the master reaches the slave
    const end = (await cl.brokers.haStatus(master.addr)).masterCommitLogMaxOffset;
    await waitFor(async () => (await cl.brokers.haStatus(slave.addr)).haClientRuntimeInfo.maxOffset === end, { what: 'the slave to hold everything' });

    // idle: no sends, the slave stopped — noticed by its missing heartbeat
    const idleStop = Date.now();
    signal('SIGSTOP');
    stopped = true;
    const idle = await waitFor(async () => {
      const s = await connection(cl, master);
      return s.conn !== undefined && s.conn.available === false ? s : undefined;
    }, { timeout: 15_000, what: 'the master to notice an idle stopped slave' });
    expect(idle.conn?.outOfSyncReason).toMatch(/^no report from the slave for [\d.]+ s \(it reports at least every haSendHeartbeatInterval 5000 ms; process stopped or network cut\?\)$/);
    const idleMs = Date.now() - idleStop;
    expect(idle.conn?.silentMillis).toBeGreaterThan(5_000 + 2_000); // not before a heartbeat was really missed
    const t = Date.now();
    const r = await p.send({ topic: 'Silent', body: 'while idle-silent' });
    expect(r.sendStatus).toBe('SLAVE_NOT_AVAILABLE');
    expect(Date.now() - t).toBeLessThan(SLAVE_TIMEOUT / 2);
    signal('SIGCONT');
    stopped = false;
    await waitFor(async () => (await connection(cl, master)).inSync === 1, { timeout: 15_000, what: 'the slave back in sync after idle' });
    console.log(`silent slave while idle: detected ${idleMs} ms after SIGSTOP, ${idle.conn?.silentMillis} ms after its last report (haSendHeartbeatInterval 5000 + haSlaveOutOfSyncMillis 2000)`);
  });
});
