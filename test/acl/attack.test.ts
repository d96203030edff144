/**
 * The "attack" suite: a peer without credentials tries every request code of the code table
 * (src/remoting/codes.ts) against a NameServer and a broker with aclEnable — each one is refused
 * with NO_PERMISSION before any handler runs — and an authenticated non-admin account tries every
 * admin code. Meanwhile an authorised producer keeps sending, and every send succeeds; afterwards
 * nothing the attacker asked for happened (no topic created or deleted, no config changed).
 */
import { describe, expect, it, onTestFinished } from 'vitest';
import { ADMIN_CODES } from '../../src/acl/resources.js';
import { AdminClient } from '../../src/client/admin.js';
import { Producer } from '../../src/client/producer.js';
import { RemotingClient } from '../../src/remoting/client.js';
import { RequestCode, ResponseCode, requestCodeLabel } from '../../src/remoting/codes.js';
import { createRequest } from '../../src/remoting/command.js';
import { BrokerApi } from '../../src/client/broker-api.js';
import { startCluster } from '../support/cluster.js';
import { ACL_YAML, ADMIN, PUBSUB } from '../support/acl.js';

const ALL_CODES = [...new Set(Object.values(RequestCode))];
/** Headers an attacker would send to make each request do damage if it got through. */
const HOSTILE_HEADER = { topic: 'AclTopic', topicName: 'Evil', consumerGroup: 'g', group: 'g', b: 'AclTopic', a: 'g', brokerName: 'broker-a', key: 'k', namespace: 'ORDER_TOPIC_CONFIG', value: 'v' };

describe('attack: every request code without credentials, every admin code without admin rights', () => {
  it('each is refused with NO_PERMISSION while an authorised producer keeps being served', async () => {
    const c = await startCluster({ acl: { yaml: ACL_YAML, nodeAccount: ADMIN } });
    const brokerAddr = c.broker('broker-a').addr;
    const nsAddr = c.namesrvs[0]!.addr;
    const admin = new RemotingClient({ credentials: ADMIN });
    onTestFinished(() => admin.shutdown());
    await new BrokerApi(admin, 5_000).createTopic(brokerAddr, { topicName: 'AclTopic', readQueueNums: 2, writeQueueNums: 2, perm: 6 });
    const topicsBefore = (await new AdminClient({ namesrvAddrs: [nsAddr], remoting: admin }).topicList()).slice().sort();

    const producer = new Producer({ namesrvAddrs: c.namesrvAddrs, producerGroup: 'PID_ACL', credentials: PUBSUB });
    onTestFinished(() => producer.shutdown());
    let attacking = true;
    let sent = 0;
    const sending = (async () => {
      while (attacking || sent < 20) {
        const r = await producer.send({ topic: 'AclTopic', body: `m${sent}` });
        expect(r.sendStatus).toBe('SEND_OK');
        sent++;
      }
    })();

    const anon = new RemotingClient();
    const user = new RemotingClient({ credentials: PUBSUB });
    onTestFinished(() => {
      anon.shutdown();
      user.shutdown();
    });
    const wrong: string[] = [];
    const attack = async (client: RemotingClient, addr: string, code: number, expectRemark: RegExp) => {
      const r = await client.request(addr, createRequest(code, { extFields: { ...HOSTILE_HEADER }, body: Buffer.from('{"topicConfigTable":{}}') }), 5_000);
      if (r.code !== ResponseCode.NO_PERMISSION || !expectRemark.test(r.remark ?? '')) wrong.push(`${addr} ${requestCodeLabel(code)} → ${r.code} ${r.remark ?? ''}`);
    };
    try {
      for (const addr of [brokerAddr, nsAddr]) {
        await Promise.all(ALL_CODES.map((code) => attack(anon, addr, code, /^No accessKey is configured$/)));
        await Promise.all([...ADMIN_CODES].map((code) => attack(user, addr, code, new RegExp(`^Need admin permission for request code=${code}, but accessKey=app-pubsub is not$`))));
      }
    } finally {
      attacking = false;
    }
    await sending;
    expect(wrong).toEqual([]);
    expect(sent).toBeGreaterThanOrEqual(20);
    expect(ALL_CODES.length).toBeGreaterThan(150);

    // nothing happened: same topics, the broker still registered, its config untouched
    const after = new AdminClient({ namesrvAddrs: [nsAddr], remoting: admin });
    expect((await after.topicList()).slice().sort()).toEqual(topicsBefore);
    expect((await after.topicRoute('AclTopic'))?.brokerDatas.map((b) => b.brokerName)).toEqual(['broker-a']);
    // the refusals are logged, rate-limited: hundreds of attempts, a bounded number of lines
    const refusalLines = c.broker('broker-a').lines.filter((l) => l.includes('request refused by ACL'));
    expect(refusalLines.length).toBeGreaterThan(0);
    expect(refusalLines.length).toBeLessThan(ALL_CODES.length);
  });
});
