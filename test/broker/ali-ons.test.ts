/**
 * A third-party RocketMQ client (ali-ons 3.12.0 from npm, pure JS) producing to a real
 * `rmqd broker` registered with a real `rmqd namesrv`: ali-ons finds the route, sends with
 * SEND_MESSAGE_V2, and what it sent comes back byte for byte — through our pull, through
 * `rmqctl message get` (the same stored record bytes), and through ali-ons' own record decoder.
 */
import { createRequire } from 'node:module';
import zlib from 'node:zlib';
import { describe, expect, it, onTestFinished } from 'vitest';
import { recordsOf } from '../../src/client/broker-api.js';
import { splitRecords } from '../../src/ops/message-lookup.js';
import { PropertyKey } from '../../src/protocol/message/constants.js';
import { offsetMsgId } from '../../src/protocol/message/msg-id.js';
import { decodeProperties } from '../../src/protocol/message/properties.js';
import { rmqctl } from '../support/cli.js';
import { IO_THREAD_VARIANTS, startCluster } from '../support/cluster.js';
import { clientsFor, pullAll } from '../support/clients.js';

interface AliMessage {
  keys: string[];
  properties: Record<string, string>;
}
interface AliProducer {
  ready(): Promise<void>;
  send(msg: AliMessage): Promise<{ sendStatus: string; msgId: string; messageQueue: { topic: string; brokerName: string; queueId: string | number }; queueOffset: number }>;
  close(): Promise<void>;
}
interface AliOns {
  Producer: new (opts: Record<string, unknown>) => AliProducer;
  Message: new (topic: string, tags: string | null, body: string | Buffer) => AliMessage;
}
const require = createRequire(import.meta.url);
const ons = require('ali-ons') as AliOns;
// ali-ons' own decoder for stored records and the ByteBuffer it reads from
const aliRequire = createRequire(require.resolve('ali-ons'));
const aliDecoder = aliRequire('./message/message_decoder') as { decodes(buf: unknown): { msgId: string; body: Buffer; tags: string; keys: string; topic: string; queueOffset: number }[] };
const ByteBuffer = aliRequire('byte') as { wrap(b: Buffer): unknown };

const silent = { info() {}, debug() {}, warn() {}, error() {} };

describe.each(IO_THREAD_VARIANTS)('ali-ons against rmqd broker (ioThreads=%i)', (ioThreads) => {
  it('sends through our NameServer and broker; the stored messages come back byte for byte through pull and rmqctl message get', async () => {
    const c = await startCluster({ brokerProperties: { ioThreads } });
    const cl = clientsFor(c);
    const broker = c.broker('broker-a');
    const created = await rmqctl(['topic', 'create', 'AliTopic', '--cluster', 'DefaultCluster', '--read-queues', '2', '--write-queues', '2', '--namesrv', c.namesrvAddr]);
    expect(created.code, created.stderr).toBe(0);

    // its own ali-ons client instance per variant (ali-ons shares one per instanceName in a process, and the other may still be closing)
    const producer = new ons.Producer({ nameSrv: c.namesrvAddr, httpclient: {}, producerGroup: 'PID_ALI_TEST', logger: silent, instanceName: `ali-test-${ioThreads}` });
    onTestFinished(() => void producer.close().catch(() => {}));
    await producer.ready();

    const big = Buffer.alloc(6000, 'compress me ');
    const binary = Buffer.from([0, 1, 2, 0xff, 0xfe, 0x80, 0x0a]);
    const inputs: { tags: string | null; body: Buffer; keys?: string[]; props?: Record<string, string> }[] = [
      { tags: 'TagA', body: Buffer.from('hello from ali-ons'), keys: ['ali-key-1'] },
      { tags: 'TagB', body: binary, keys: ['ali-key-2', 'shared'] },
      { tags: null, body: Buffer.from('no tag') },
      { tags: 'TagA', body: big, keys: ['shared'], props: { custom: 'value' } },
    ];
    const results = [];
    for (const input of inputs) {
      const msg = new ons.Message('AliTopic', input.tags, input.body);
      if (input.keys) msg.keys = input.keys;
      Object.assign(msg.properties, input.props ?? {});
      const r = await producer.send(msg);
      expect(r.sendStatus).toBe('SEND_OK');
      expect(r.messageQueue.brokerName).toBe('broker-a');
      results.push(r);
    }

    // the CLI lookups run in parallel (each is a process start)
    const gets = results.map((r) => rmqctl(['message', 'get', '--id', r.msgId, '--namesrv', c.namesrvAddr, '--json']));
    const byKeyRun = rmqctl(['message', 'get', '--key', 'shared', '--topic', 'AliTopic', '--namesrv', c.namesrvAddr, '--json']);
    for (const [i, input] of inputs.entries()) {
      const r = results[i]!;
      const queueId = Number(r.messageQueue.queueId);
      // our pull, from the offset the broker gave ali-ons
      const { records, bodies } = await pullAll(cl, broker.addr, { consumerGroup: 'CG', topic: 'AliTopic', queueId, from: r.queueOffset, maxMsgNums: 1 }, 1);
      const rec = records[0]!;
      expect(rec.queueOffset).toBe(r.queueOffset);
      // the msgId ali-ons got is the offset msgId of exactly this record
      expect(offsetMsgId(rec.storeHost, rec.physicalOffset)).toBe(r.msgId);
      const props = decodeProperties(rec.properties);
      expect(props.get(PropertyKey.TAGS)).toBe(input.tags ?? 'null'); // ali-ons sends the string "null" for no tag (docs/design/protocol.md#ali-ons-quirks)
      // a message sent without keys or user properties carries none
      expect(props.get(PropertyKey.KEYS)).toBe(input.keys?.join(' '));
      expect(props.get('custom')).toBe(input.props ? 'value' : undefined);
      expect(props.get(PropertyKey.UNIQ_CLIENT_MESSAGE_ID_KEYIDX)).toMatch(/^[0-9A-F]{32}$/); // added by the broker: ali-ons sends none
      if (input.body === big) {
        expect(rec.sysFlag & 1).toBe(1); // ali-ons compressed it; stored as sent
        expect(zlib.inflateSync(rec.body).equals(big)).toBe(true);
      } else {
        expect(rec.body.equals(input.body)).toBe(true);
      }

      // rmqctl message get --id: the very same stored bytes
      const got = await gets[i]!;
      expect(got.code, got.stderr).toBe(0);
      const view = (JSON.parse(got.stdout) as { messages: { storedRecord: string; body: { base64: string } }[] }).messages;
      expect(view).toHaveLength(1);
      const pulledBytes = splitRecords(bodies[0]!)[0]!.raw;
      expect(Buffer.from(view[0]!.storedRecord, 'base64').equals(pulledBytes)).toBe(true);
      expect(Buffer.from(view[0]!.body.base64, 'base64').equals(input.body)).toBe(true);

      // and ali-ons' own decoder reads our pull reply: same msgId, body, tags
      const [decoded] = aliDecoder.decodes(ByteBuffer.wrap(bodies[0]!));
      expect(decoded!.msgId).toBe(r.msgId);
      expect(Buffer.from(decoded!.body).equals(input.body)).toBe(true);
      expect(decoded!.topic).toBe('AliTopic');
    }

    // by key, across queues: both messages carrying "shared"
    const byKey = await byKeyRun;
    expect(byKey.code, byKey.stderr).toBe(0);
    const keyed = (JSON.parse(byKey.stdout) as { messages: { offsetMsgId: string }[] }).messages.map((m) => m.offsetMsgId).sort();
    expect(keyed).toEqual([results[1]!.msgId, results[3]!.msgId].sort());
    expect(recordsOf(undefined)).toEqual([]);
  });
});
