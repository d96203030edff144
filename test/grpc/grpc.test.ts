/**
 * The broker-agnostic v5 layer (src/grpc): the generated types match the pinned protos, the
 * signature is the official client's, and a v2 Message survives the trip into our stored model and
 * back with body, tag, keys and properties equal; bad fields are refused with their v2 code.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { V2Error } from '../../src/grpc/codes.js';
import { v2MessageType } from '../../src/grpc/descriptor.js';
import { fromV2Message, toV2Message } from '../../src/grpc/message.js';
import { authorizationHeader, parseAuthorization, verifyDateTimeSignature } from '../../src/grpc/signature.js';
import type { Message__Output } from '../../src/grpc/generated/apache/rocketmq/v2/Message.js';
import { decodeRecord, encodeRecord, hostAddress } from '../../src/protocol/message/index.js';
import { consistentHash } from '../../src/broker/grpc/send.js';
import { repoRoot } from '../support/cli.js';

const require = createRequire(import.meta.url);

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => (statSync(path.join(dir, f)).isDirectory() ? files(path.join(dir, f)).map((g) => `${f}/${g}`) : [f]));
}

const v2 = (over: Record<string, unknown> = {}, sp: Record<string, unknown> = {}): Message__Output =>
  v2MessageType('Message').deserialize(
    v2MessageType('Message').serialize({ topic: { name: 'T' }, body: Buffer.from('payload'), userProperties: { a: '1', b: 'two' }, systemProperties: { messageId: 'ID-1', tag: 'TagA', keys: ['k1', 'k2'], bornTimestamp: { seconds: 1_700_000_000, nanos: 5_000_000 }, bornHost: 'host-1', messageType: 'NORMAL', ...sp }, ...over }),
  ) as Message__Output;

describe('the v5 protocol layer', () => {
  it('the committed generated types are what proto-loader-gen-types makes of the pinned protos', () => {
    const out = mkdtempSync(path.join(os.tmpdir(), 'rmq-gen-'));
    try {
      const script = JSON.parse(readFileSync(path.join(repoRoot, 'package.json'), 'utf8')).scripts['gen:grpc-types'] as string;
      const args = script.split(' ').slice(1).map((a) => (a === 'src/grpc/generated' ? out : a));
      execFileSync(path.join(repoRoot, 'node_modules', '.bin', 'proto-loader-gen-types'), args, { cwd: repoRoot, stdio: 'pipe' });
      const committed = path.join(repoRoot, 'src', 'grpc', 'generated');
      expect(files(out).sort()).toEqual(files(committed).sort());
      for (const f of files(out)) expect(readFileSync(path.join(out, f), 'utf8'), f).toBe(readFileSync(path.join(committed, f), 'utf8'));
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });

  it('checks the signature the official Node client makes', () => {
    const { sign } = require('rocketmq-client-nodejs/dist/util') as { sign(secret: string, dateTime: string): string };
    const dateTime = '20261206T120000Z';
    const official = `MQv2-HMAC-SHA1 Credential=app-key, SignedHeaders=x-mq-date-time, Signature=${sign('s3cret-value', dateTime)}`;
    expect(authorizationHeader('app-key', 's3cret-value', dateTime)).toBe(official);
    const parsed = parseAuthorization(official);
    if (typeof parsed === 'string') throw new Error(parsed);
    expect(parsed.accessKey).toBe('app-key');
    expect(verifyDateTimeSignature('s3cret-value', dateTime, parsed.signature)).toBe(true);
    expect(verifyDateTimeSignature('s3cret-valuE', dateTime, parsed.signature)).toBe(false);
    expect(verifyDateTimeSignature('s3cret-value', '20261206T120001Z', parsed.signature)).toBe(false);
    expect(parseAuthorization('MQv2-HMAC-SHA1 Credential=ak/region/x, SignedHeaders=x-mq-date-time, Signature=' + 'AB'.repeat(20))).toMatchObject({ accessKey: 'ak' });
    expect(parseAuthorization('Basic abc')).toMatch(/MQv2-HMAC-SHA1/);
    expect(parseAuthorization('MQv2-HMAC-SHA1 Credential=ak, Signature=zz')).toMatch(/40 hex digits/);
  });

  it('a v2 message into the store and back: body, tag, keys, properties, id, born time equal', () => {
    const m = fromV2Message(v2());
    const rec = decodeRecord(
      encodeRecord({ topic: m.topic, queueId: 1, flag: 0, body: m.body, properties: m.properties, sysFlag: 0, bornTimestamp: m.bornTimestamp, bornHost: hostAddress('10.0.0.9', 5000), storeHost: hostAddress('10.0.0.1', 10911), reconsumeTimes: 0, preparedTransactionOffset: 0, queueOffset: 7, physicalOffset: 4096, storeTimestamp: 1_700_000_001_000 }),
    );
    const back = toV2Message(rec, { receiptHandle: 'RH', deliveryAttempt: 2, invisibleMillis: 30_000 });
    expect(Buffer.from(back.body as Buffer).toString()).toBe('payload');
    expect(back.userProperties).toEqual({ a: '1', b: 'two' });
    expect(back.systemProperties).toMatchObject({ tag: 'TagA', keys: ['k1', 'k2'], messageId: 'ID-1', bornHost: 'host-1', messageType: 'NORMAL', queueOffset: 7, deliveryAttempt: 2, receiptHandle: 'RH', bornTimestamp: { seconds: 1_700_000_000, nanos: 5_000_000 } });
    // the Node client checks this digest (MessageView): MD5, hex upper case
    expect(back.systemProperties?.bodyDigest).toEqual({ type: 'MD5', checksum: createHash('md5').update('payload').digest('hex').toUpperCase() });
    const fifo = toV2Message(decodeRecord(encodeRecord({ ...rec, properties: fromV2Message(v2({}, { messageType: 'FIFO', messageGroup: 'g1' })).properties, queueOffset: 0, physicalOffset: 0 })), { receiptHandle: 'x', deliveryAttempt: 1, invisibleMillis: 1 });
    expect(fifo.systemProperties).toMatchObject({ messageType: 'FIFO', messageGroup: 'g1' });
  });

  it('refuses bad fields with the v2 code that names them', () => {
    const code = (fn: () => unknown) => {
      try {
        fn();
      } catch (e) {
        if (e instanceof V2Error) return e.code;
        throw e;
      }
      return 'OK';
    };
    expect(code(() => fromV2Message(v2({ topic: { name: 'bad topic!' } })))).toBe('ILLEGAL_TOPIC');
    expect(code(() => fromV2Message(v2({}, { tag: 'a||b' })))).toBe('ILLEGAL_MESSAGE_TAG');
    expect(code(() => fromV2Message(v2({ userProperties: { TAGS: 'x' } })))).toBe('ILLEGAL_MESSAGE_PROPERTY_KEY');
    expect(code(() => fromV2Message(v2({ userProperties: { big: 'x'.repeat(17_000) } })))).toBe('MESSAGE_PROPERTIES_TOO_LARGE');
    expect(code(() => fromV2Message(v2({ body: Buffer.alloc(11) }), { maxBodyBytes: 10, maxUserPropertyBytes: 16384, maxUserProperties: 128, maxMessageGroupLength: 64 }))).toBe('MESSAGE_BODY_TOO_LARGE');
    expect(code(() => fromV2Message(v2({ body: Buffer.from('not gzip') }, { bodyEncoding: 'GZIP' })))).toBe('MESSAGE_CORRUPTED');
    expect(code(() => fromV2Message(v2({}, { messageType: 'FIFO' })))).toBe('MESSAGE_PROPERTY_CONFLICT_WITH_TYPE');
    expect(code(() => fromV2Message(v2({}, { messageType: 'DELAY' })))).toBe('MESSAGE_PROPERTY_CONFLICT_WITH_TYPE');
    expect(code(() => fromV2Message(v2()))).toBe('OK');
  });

  it("places message groups as Guava's consistentHash does: in range, stable, and moving only to a new bucket when buckets grow", () => {
    for (let input = -500; input < 500; input++) {
      let prev = consistentHash(input * 7919, 1);
      expect(prev).toBe(0);
      for (let buckets = 2; buckets <= 64; buckets++) {
        const b = consistentHash(input * 7919, buckets);
        expect(b).toBeGreaterThanOrEqual(0);
        expect(b).toBeLessThan(buckets);
        if (b !== prev) expect(b).toBe(buckets - 1);
        prev = b;
      }
    }
  });
});
