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
/** What an ali-ons consumer hands its subscription handler. */
export interface AliReceived {
  topic: string;
  tags: string;
  /** The KEYS property as received (space-separated). */
  keys: string;
  body: Buffer;
  msgId: string;
  reconsumeTimes: number;
  properties: Record<string, string>;
}
export interface AliConsumer {
  ready(): Promise<void>;
  subscribe(topic: string, expression: string, handler: (msg: AliReceived) => Promise<unknown>): void;
  on(event: 'error', fn: (e: Error) => void): void;
  close(): Promise<void>;
  /** The queues it holds after its last rebalance. */
  processQueueTable: Map<string, { messageQueue: { topic: string; brokerName: string; queueId: number } }>;
}

const ons = require('ali-ons') as {
  Producer: new (opts: Record<string, unknown>) => AliProducer;
  Consumer: new (opts: Record<string, unknown>) => AliConsumer;
  Message: new (topic: string, tags: string | null, body: string | Buffer) => AliMessage;
};
const aliRequire = createRequire(require.resolve('ali-ons'));
const decoder = aliRequire('./message/message_decoder') as { decodes(buf: unknown): AliDecoded[] };
const ByteBuffer = aliRequire('byte') as { wrap(b: Buffer): unknown };

const silent = { info() {}, debug() {}, warn() {}, error() {} };

/** `nameSrv`: NameServer addresses, `;`-separated as in NAMESRV_ADDR (ali-ons takes them as a list). */
export function aliProducer(nameSrv: string, producerGroup: string, opts: Record<string, unknown> = {}): AliProducer {
  return new ons.Producer({ nameSrv: nameSrv.split(';'), httpclient: {}, producerGroup, logger: silent, ...opts });
}

/**
 * An ali-ons push consumer of `consumerGroup` reading from the first offset, with its periods
 * shortened (rebalance, offset commits, route polling: defaults of 20-30 s) so a test sees it work
 * within seconds. Subscribe before ready() resolves its first rebalance; errors are collected.
 */
export function aliConsumer(nameSrv: string, consumerGroup: string, opts: Record<string, unknown> = {}): { consumer: AliConsumer; errors: Error[] } {
  const consumer = new ons.Consumer({
    nameSrv: nameSrv.split(';'),
    httpclient: {},
    consumerGroup,
    logger: silent,
    consumeFromWhere: 'CONSUME_FROM_FIRST_OFFSET',
    rebalanceInterval: 1_000,
    persistConsumerOffsetInterval: 1_000,
    pollNameServerInteval: 1_000,
    brokerSuspendMaxTimeMillis: 2_000,
    ...opts,
  });
  const errors: Error[] = [];
  consumer.on('error', (e) => errors.push(e));
  return { consumer, errors };
}

export function aliMessage(topic: string, tags: string | null, body: string | Buffer): AliMessage {
  return new ons.Message(topic, tags, body);
}

/** ali-ons' own decoding of a pull body (stored records end to end). */
export function aliDecode(body: Buffer): AliDecoded[] {
  return decoder.decodes(ByteBuffer.wrap(body));
}
