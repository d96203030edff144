/**
 * Access control on real processes: `rmqd namesrv` and `rmqd broker` with aclEnable, the broker
 * registering with a signed request, and a real third-party client (ali-ons 3.12) with the right
 * keys, wrong keys, no keys, a SUB-only account, and a replayed request with a tampered body.
 * The secrets must appear in no log line and no process list.
 */
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { BrokerApi } from '../../src/client/broker-api.js';
import { RemotingClient } from '../../src/remoting/client.js';
import { RequestCode, ResponseCode } from '../../src/remoting/codes.js';
import { createRequest } from '../../src/remoting/command.js';
import { decodeCommand } from '../../src/remoting/frame-codec.js';
import { startCluster, type TestCluster } from '../support/cluster.js';
import { waitFor } from '../support/wait.js';
import { ACL_YAML, ADMIN, PUBSUB, SECRETS } from '../support/acl.js';

interface AliMessage { keys: string[] }
interface AliProducer {
  ready(): Promise<void>;
  send(msg: AliMessage): Promise<{ sendStatus: string; msgId: string }>;
  close(): Promise<void>;
}
const require = createRequire(import.meta.url);
const ons = require('ali-ons') as { Producer: new (o: Record<string, unknown>) => AliProducer; Message: new (topic: string, tags: string | null, body: string | Buffer) => AliMessage };
const aliRequire = createRequire(require.resolve('ali-ons'));
const AliChannel = aliRequire('./channel');
const AliCommand = aliRequire('./protocol/command/remoting_command');
const silent = { info() {}, debug() {}, warn() {}, error() {} };


let c: TestCluster;
let brokerAddr: string;

beforeAll(async () => {
  // client sockets on a network thread: signatures and permissions are checked on the store
  // thread all the same (test/acl/client-credentials.test.ts and others run with ioThreads=0)
  c = await startCluster({ cleanup: 'manual', acl: { yaml: ACL_YAML, nodeAccount: ADMIN }, brokerProperties: { ioThreads: 1 } });
  brokerAddr = c.broker('broker-a').addr;
  const admin = new RemotingClient({ credentials: ADMIN });
  try {
    await new BrokerApi(admin, 5_000).createTopic(brokerAddr, { topicName: 'AclTopic', readQueueNums: 2, writeQueueNums: 2, perm: 6 });
  } finally {
    admin.shutdown();
  }
}, 60_000);
afterAll(() => c?.stop());

let instances = 0;
function aliProducer(keys: Record<string, string>): AliProducer {
  // ali-ons shares one client (and its signed connections) per instanceName: one each here
  const p = new ons.Producer({ nameSrv: c.namesrvAddr, httpclient: {}, producerGroup: 'PID_ACL', instanceName: `acl-${++instances}`, logger: silent, ...keys });
  onTestFinished(() => void p.close().catch(() => {}));
  return p;
}

async function code(client: RemotingClient, addr: string, cmd: ReturnType<typeof createRequest>): Promise<{ code: number; remark?: string }> {
  const r = await client.request(addr, cmd, 5_000);
  return { code: r.code, ...(r.remark !== undefined ? { remark: r.remark } : {}) };
}

describe('ACL on real nodes with ali-ons', () => {
  it('the broker registered with the NameServer by a signed request; unsigned route lookups are refused', async () => {
    const anon = new RemotingClient();
    onTestFinished(() => anon.shutdown());
    const r = await code(anon, c.namesrvs[0]!.addr, createRequest(RequestCode.GET_ROUTEINFO_BY_TOPIC, { extFields: { topic: 'AclTopic' } }));
    expect(r).toEqual({ code: ResponseCode.NO_PERMISSION, remark: 'No accessKey is configured' });
    const signed = new RemotingClient({ credentials: PUBSUB });
    onTestFinished(() => signed.shutdown());
    expect((await code(signed, c.namesrvs[0]!.addr, createRequest(RequestCode.GET_ROUTEINFO_BY_TOPIC, { extFields: { topic: 'AclTopic' } }))).code).toBe(ResponseCode.SUCCESS);
  });

  it('ali-ons with the right keys sends', async () => {
    const p = aliProducer({ accessKeyId: PUBSUB.accessKey, accessKeySecret: PUBSUB.secretKey });
    await p.ready();
    const r = await p.send(new ons.Message('AclTopic', 'TagA', 'signed hello'));
    expect(r.sendStatus).toBe('SEND_OK');
  });

  it('ali-ons with a wrong secret, an unknown key, or no keys is refused', async () => {
    const attempts: Record<string, string>[] = [{ accessKeyId: PUBSUB.accessKey, accessKeySecret: 'not-the-secret' }, { accessKeyId: 'who-is-this', accessKeySecret: SECRETS.pubsub }, {}];
    for (const keys of attempts) {
      const p = aliProducer(keys);
      await p.ready();
      await expect(p.send(new ons.Message('AclTopic', 'TagA', 'x'))).rejects.toThrow();
    }
    const refusals = c.namesrvs[0]!.lines.filter((l) => l.includes('request refused by ACL'));
    expect(refusals.some((l) => l.includes('reason="bad signature"') && l.includes('accessKey=app-pubsub'))).toBe(true);
    expect(refusals.some((l) => l.includes('reason="unknown access key"'))).toBe(true);
    expect(refusals.some((l) => l.includes('reason="no access key"'))).toBe(true);
  });

  it('a SUB-only account cannot publish (NO_PERMISSION from the broker)', async () => {
    const p = aliProducer({ accessKeyId: 'app-sub', accessKeySecret: SECRETS.sub });
    await p.ready();
    // ali-ons retries and then reports "Send [4] times, still failed"; the broker log says why
    await expect(p.send(new ons.Message('AclTopic', 'TagA', 'x'))).rejects.toThrow();
    await waitFor(() => c.broker('broker-a').lines.some((l) => l.includes('request refused by ACL') && l.includes('accessKey=app-sub') && l.includes('No permission for topic AclTopic')), { what: 'the broker to log the refusal' });
  });

  it('a replayed ali-ons send with a tampered body is refused; the untouched replay is what ACL 1.0 cannot tell apart', async () => {
    // ali-ons signs the frame (Channel#beforeRequest); we capture it as bytes on the wire would be
    const ali = AliCommand.createRequestCommand(RequestCode.SEND_MESSAGE_V2, { a: 'PID_ACL', b: 'AclTopic', c: 'TBW102', d: 4, e: 0, f: 0, g: Date.now(), h: 0, i: '', j: 0, k: false, m: false });
    ali.body = Buffer.from('original body');
    AliChannel.prototype.beforeRequest.call({ accessKey: PUBSUB.accessKey, secretKey: PUBSUB.secretKey, onsChannel: 'ALIYUN' }, ali);
    const captured = decodeCommand(ali.encode());
    const raw = new RemotingClient(); // sends what it is given, signs nothing
    onTestFinished(() => raw.shutdown());
    const tampered = { ...captured, extFields: { ...captured.extFields }, body: Buffer.from('evil body....') };
    expect(await code(raw, brokerAddr, tampered)).toEqual({ code: ResponseCode.NO_PERMISSION, remark: 'Check signature failed for accessKey=app-pubsub' });
    const tamperedHeader = { ...captured, extFields: { ...captured.extFields, b: 'OtherTopic' } };
    expect((await code(raw, brokerAddr, tamperedHeader)).code).toBe(ResponseCode.NO_PERMISSION);
    expect((await code(raw, brokerAddr, { ...captured, extFields: { ...captured.extFields } })).code).toBe(ResponseCode.SUCCESS);
  });

  it('a non-admin account cannot create or delete topics; the admin can', async () => {
    const user = new RemotingClient({ credentials: PUBSUB });
    onTestFinished(() => user.shutdown());
    const api = new BrokerApi(user, 5_000);
    await expect(api.createTopic(brokerAddr, { topicName: 'Forbidden', readQueueNums: 1, writeQueueNums: 1, perm: 6 })).rejects.toThrow(/Need admin permission for request code=17, but accessKey=app-pubsub is not/);
    await expect(api.deleteTopic(brokerAddr, 'AclTopic')).rejects.toThrow(/Need admin permission for request code=215/);
    const del = createRequest(RequestCode.DELETE_TOPIC_IN_NAMESRV, { extFields: { topic: 'AclTopic' } });
    expect((await code(user, c.namesrvs[0]!.addr, del)).code).toBe(ResponseCode.NO_PERMISSION);
    const admin = new RemotingClient({ credentials: ADMIN });
    onTestFinished(() => admin.shutdown());
    await new BrokerApi(admin, 5_000).createTopic(brokerAddr, { topicName: 'AdminMade', readQueueNums: 1, writeQueueNums: 1, perm: 6 });
  });

  it('the ACL file is re-read when it changes; a broken edit keeps the rules in force', async () => {
    const { writeFileSync } = await import('node:fs');
    const user = new RemotingClient({ credentials: { accessKey: 'late-user', secretKey: 'Late-S3cret-123' } });
    onTestFinished(() => user.shutdown());
    const lookup = () => code(user, c.namesrvs[0]!.addr, createRequest(RequestCode.GET_ROUTEINFO_BY_TOPIC, { extFields: { topic: 'AclTopic' } }));
    expect((await lookup()).code).toBe(ResponseCode.NO_PERMISSION);
    writeFileSync(c.aclFile!, `${ACL_YAML}  - accessKey: late-user\n    secretKey: Late-S3cret-123\n    defaultTopicPerm: SUB\n`);
    await waitFor(async () => (await lookup()).code === ResponseCode.SUCCESS, { timeout: 10_000, what: 'the NameServer to pick up the new account' });
    writeFileSync(c.aclFile!, 'accounts: [');
    await waitFor(() => c.namesrvs[0]!.lines.some((l) => l.includes('ACL file not reloaded')), { timeout: 10_000, what: 'the reload failure to be logged' });
    expect((await lookup()).code).toBe(ResponseCode.SUCCESS);
    writeFileSync(c.aclFile!, ACL_YAML);
    await waitFor(async () => (await lookup()).code === ResponseCode.NO_PERMISSION, { timeout: 10_000, what: 'the account to be gone again' });
  });

  it('no secret appears in any log line or in the process list', () => {
    const lines = [...c.namesrvs, ...c.brokers].flatMap((n) => n.lines);
    expect(lines.length).toBeGreaterThan(5);
    for (const s of Object.values(SECRETS)) {
      expect(lines.filter((l) => l.includes(s))).toEqual([]);
    }
    const ps = execFileSync('ps', ['-eo', 'args'], { encoding: 'utf8' });
    for (const s of Object.values(SECRETS)) expect(ps).not.toContain(s);
  });
});
