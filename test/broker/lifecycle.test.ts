/**
 * The `rmqd broker` process and its NameServers: registration with every NameServer, the
 * keep-alive between full registrations, coming back after a NameServer restart, unregistering
 * on SIGTERM after flushing; and start-up refusals (bad configuration, a store already in use).
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeBrokerLiveInfoList } from '../../src/protocol/bodies.js';
import { RmqExtensionCode } from '../../src/remoting/codes.js';
import { decodeClusterInfo } from '../../src/protocol/route.js';
import { createRequest } from '../../src/remoting/command.js';
import { RequestCode } from '../../src/remoting/codes.js';
import { rmqd } from '../support/cli.js';
import { startCluster, type TestCluster } from '../support/cluster.js';
import { clientsFor, type Clients } from '../support/clients.js';
import { tmpDir } from '../support/tmp.js';
import { waitFor } from '../support/wait.js';

async function listed(cl: Clients, c: TestCluster, nsIndex: number): Promise<string | undefined> {
  const res = await cl.remoting.request(c.namesrvs[nsIndex]!.addr, createRequest(RequestCode.GET_BROKER_CLUSTER_INFO), 2_000);
  return decodeClusterInfo(res.body).brokerAddrTable['broker-a']?.brokerAddrs['0'];
}

describe('rmqd broker lifecycle', () => {
  it('registers with every NameServer, keeps alive between registrations, re-registers after a NameServer restart, unregisters on SIGTERM', async () => {
    // NameServers drop a broker silent for 3 s; the broker fully registers only every 60 s (the maximum)
    const c = await startCluster({ namesrvs: 2, namesrvProperties: { brokerExpiryMillis: 3_000, scanNotActiveBrokerInterval: 500 }, brokerProperties: { registerNameServerPeriod: 60_000, brokerHeartbeatIntervalMillis: 500 } });
    const cl = clientsFor(c);
    const broker = c.broker('broker-a');
    expect(await listed(cl, c, 0)).toBe(broker.addr);
    expect(await listed(cl, c, 1)).toBe(broker.addr);

    // keep-alive: long after the expiry time since the last full registration, still listed, heartbeats recent
    const live = async () => decodeBrokerLiveInfoList((await cl.remoting.requestOk(c.namesrvs[0]!.addr, createRequest(RmqExtensionCode.GET_BROKER_LIVE_INFO))).body).find((b) => b.brokerName === 'broker-a');
    const info = await waitFor(async () => {
      const b = await live();
      return b !== undefined && b.lastRegisterAgeMillis > 4_000 ? b : undefined;
    }, { timeout: 15_000, what: 'the last full registration to be older than the expiry' });
    expect(info.lastUpdateAgeMillis).toBeLessThan(2_000);

    // a NameServer restarted empty learns about the broker again within seconds (heartbeat answered "unknown" → register)
    await c.namesrvs[0]!.kill9();
    await c.namesrvs[0]!.start();
    await waitFor(async () => (await listed(cl, c, 0)) === broker.addr, { timeout: 10_000, what: 'the broker to register again with the restarted NameServer' });

    // SIGTERM: store flushed and closed, then unregistered; exit 0
    expect(await broker.stop('SIGTERM')).toBe(0);
    const flushedAt = broker.lines.findIndex((l) => l.includes('store flushed and closed'));
    const unregisteredAt = broker.lines.findIndex((l) => l.includes('unregistered from NameServer'));
    expect(flushedAt).toBeGreaterThan(-1);
    expect(unregisteredAt).toBeGreaterThan(flushedAt);
    expect(await listed(cl, c, 0)).toBeUndefined();
    expect(await listed(cl, c, 1)).toBeUndefined();
  });

  it('a broker killed with -9 drops out of the route at once (its connections close)', async () => {
    const c = await startCluster();
    const cl = clientsFor(c);
    await c.broker('broker-a').kill9();
    await waitFor(async () => (await listed(cl, c, 0)) === undefined, { timeout: 5_000, what: 'the NameServer to drop the broker' });
  });

  it('refuses to start on bad configuration (exit 2, file:line) and on a store another broker holds (exit 1)', async () => {
    const dir = tmpDir();
    const bad = path.join(dir, 'bad.properties');
    writeFileSync(bad, 'brokerName=broker-x\nlistenPort=70000\nflushDiskType=SOMETIMES\n');
    const r = await rmqd(['broker', '-c', bad]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${bad}:2`);
    expect(r.stderr).toContain('listenPort');
    expect(r.stderr).toContain(`${bad}:3`);
    const noName = path.join(dir, 'noname.properties');
    writeFileSync(noName, 'listenPort=10911\n');
    const n = await rmqd(['broker', '-c', noName]);
    expect(n.code).toBe(2);
    expect(n.stderr).toMatch(/brokerName is required/);

    const c = await startCluster();
    const running = c.broker('broker-a');
    const second = path.join(dir, 'second.properties');
    // same store, other ports
    writeFileSync(second, `brokerName=broker-a\nbrokerIP1=127.0.0.1\nlistenPort=${running.port + 8}\nstorePathRootDir=${path.join(running.dir, 'store')}\n`);
    const s = await rmqd(['broker', '-c', second]);
    expect(s.code).toBe(1);
    expect(s.stderr).toMatch(/lock|held|in use/i);
    expect(running.running).toBe(true);
  });
});
