/**
 * ali-ons (the pure-JS RocketMQ client from npm) as the third-party client of end-to-end tests:
 * its Producer, its Message, and its own decoder of stored records (what its consumer runs on
 * every pulled body), typed as far as the tests use them.
 */
import { createRequire } from 'node:module';

export interface AliMessage {
  keys: string[];
  properties: Record<string, string>;
}
export interface AliSendResult {
  sendStatus: string;
  msgId: string;
  messageQueue: { topic: string; brokerName: string; queueId: string | number };
  queueOffset: number;
}
export interface AliProducer {
  ready(): Promise<void>;
  send(msg: AliMessage): Promise<AliSendResult>;
  close(): Promise<void>;
}
export interface AliDecoded {
  msgId: string;
  body: Buffer;
  tags: string;
  keys: string;
  topic: string;
  queueOffset: number;
}

const require = createRequire(import.meta.url);
const ons = require('ali-ons') as { Producer: new (opts: Record<string, unknown>) => AliProducer; Message: new (topic: string, tags: string | null, body: string | Buffer) => AliMessage };
const aliRequire = createRequire(require.resolve('ali-ons'));
const decoder = aliRequire('./message/message_decoder') as { decodes(buf: unknown): AliDecoded[] };
const ByteBuffer = aliRequire('byte') as { wrap(b: Buffer): unknown };

const silent = { info() {}, debug() {}, warn() {}, error() {} };

/** `nameSrv`: NameServer addresses, `;`-separated as in NAMESRV_ADDR (ali-ons takes them as a list). */
export function aliProducer(nameSrv: string, producerGroup: string): AliProducer {
  return new ons.Producer({ nameSrv: nameSrv.split(';'), httpclient: {}, producerGroup, logger: silent });
}

export function aliMessage(topic: string, tags: string | null, body: string | Buffer): AliMessage {
  return new ons.Message(topic, tags, body);
}

/** ali-ons' own decoding of a pull body (stored records end to end). */
export function aliDecode(body: Buffer): AliDecoded[] {
  return decoder.decodes(ByteBuffer.wrap(body));
}
