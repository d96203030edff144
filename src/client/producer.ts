/**
 * The producer (Java `DefaultMQProducer`): routes from the NameServers (fetched on first use,
 * refreshed every 30 s and after a failure), round robin over the writable queues, and retries on
 * another broker group when a send fails, staying away from a broker that just failed.
 *
 *   const p = new Producer({ namesrvAddrs: ['127.0.0.1:9876'], producerGroup: 'PG' });
 *   const r = await p.send({ topic: 'T', body: 'hello', tags: 'TagA', keys: ['order-1'] }); // "sync"
 *   p.send(m).then(onResult, onError);  // "async": as many in flight as you like
 *   await p.sendOneway(m);              // no answer awaited, no retry
 *   await p.sendBatch([m1, m2]);        // one request, consecutive offsets in one queue
 *   const t = await p.send({ topic: 'T', body: 'later', deliverTimeMs: Date.now() + 90_000 }); // timer message
 *   await p.recallMessage('T', t.recallHandle!);                    // it is never delivered
 *   p.shutdown();
 *
 * `autoBatch` (RocketMQ 5's producer autoBatch): while `whenInFlight` sends of a topic wait for
 * their answer, further sends of it are gathered for one event-loop turn and go out as one
 * SEND_BATCH_MESSAGE (one request, one store append, one answer for up to `maxMessages`); each
 * send still resolves with its own result (its msgId, offset msgId and queue offset). A batch
 * lands in one queue and stands or fails as a whole. Messages a batch cannot carry (delayed,
 * compressed, waitStoreMsgOK false, retry topics) and the first sends of a topic go alone.
 *
 * A send's timeout (sendTimeoutMillis) covers every attempt. Retried: transport failures and the
 * codes RocketMQ retries (TOPIC_NOT_EXIST, SERVICE_NOT_AVAILABLE, SYSTEM_ERROR, SYSTEM_BUSY,
 * NO_PERMISSION, NO_BUYER_ID, NOT_IN_CURRENT_UNIT); other codes (e.g. MESSAGE_ILLEGAL) fail at once.
 * FLUSH_DISK_TIMEOUT / FLUSH_SLAVE_TIMEOUT / SLAVE_NOT_AVAILABLE are results: the message is stored.
 */
import zlib from 'node:zlib';
import { RmqError } from '../errors.js';
import { RequestCode, ResponseCode } from '../remoting/codes.js';
import { encodeHeader } from '../protocol/header-spec.js';
import { RecallMessageRequestHeader } from '../protocol/headers/recall.js';
import { decodeRecallHandle } from '../protocol/message/recall-handle.js';
import { masterAddr } from '../protocol/route.js';
import { createRequest } from '../remoting/command.js';
import { encodeBatchBody } from '../protocol/message/batch.js';
import { CompressionType, SysFlag } from '../protocol/message/constants.js';
import { ipToBytes } from '../protocol/message/host.js';
import { UniqKeyGenerator } from '../protocol/message/msg-id.js';
import { isRetryTopic, TBW102 } from '../protocol/topic-names.js';
import type { RemotingCommand } from '../remoting/command.js';
import { ConnectionClosedError, RemotingConnectError, RemotingTimeoutError } from '../remoting/errors.js';
import { guessLocalAddress } from '../util/local-address.js';
import { silentLogger, type Logger } from '../util/log.js';
import { AdminClient } from './admin.js';
import { bodyBytes, checkMessage, InvalidMessageError, messagePropertyString, type Message } from './message.js';
import { BrokerFaults, TopicPublishInfo, type MessageQueue } from './publish-info.js';
import { ownConnectionOptions, RemotingClient, type ClientConnectOptions } from '../remoting/client.js';
import { sendRequest } from './send-request.js';

/** `credentials`, `tls` and a shared `remoting` as for every client class (ClientConnectOptions). */
export interface ProducerOptions extends ClientConnectOptions {
  namesrvAddrs: readonly string[];
  /** default `DEFAULT_PRODUCER` */
  producerGroup?: string;
  /** One send, every attempt included (default DEFAULT_SEND_TIMEOUT_MILLIS, 10 s). */
  sendTimeoutMillis?: number;
  /** Further attempts after a failed one (default 2: three attempts, as Java). */
  retryTimesWhenSendFailed?: number;
  /** Route refresh period (default 30 s, Java's pollNameServerInterval). */
  routeRefreshMillis?: number;
  /**
   * A topic without a route is sent through the auto-create template (TBW102) and created by the
   * broker, as Java's producer does (default true). false: such a send fails instead — also while a
   * topic's only groups have no master, when the template would create it on another group.
   */
  autoCreateTopic?: boolean;
  /** Queues per broker a topic created on first send gets (header `defaultTopicQueueNums`, default 4). */
  defaultTopicQueueNums?: number;
  /** Largest body accepted (default 4 MiB, the broker's default). */
  maxMessageSize?: number;
  /** Bodies larger than this are zlib-compressed (default 4096, as Java and ali-ons). */
  compressMsgBodyOverHowmuch?: number;
  /** How long a broker that failed a send is avoided (default 10 s). */
  faultIsolationMillis?: number;
  /** Gather sends into SEND_BATCH_MESSAGE requests while many wait (see the class comment); default off. */
  autoBatch?: boolean | AutoBatchOptions;
  logger?: Logger;
}

export interface AutoBatchOptions {
  /** Sends of a topic waiting for their answer before further ones are gathered (default 8). */
  whenInFlight?: number;
  /** Most messages in one batch (default 32). */
  maxMessages?: number;
  /** Most bytes of bodies and properties in one batch (default 256 KiB). */
  maxBytes?: number;
}

/** A send waiting in a batch being gathered. */
interface Gathered {
  p: Prepared;
  resolve: (r: SendResult) => void;
  reject: (e: unknown) => void;
  deadline: number;
}

/**
 * A send's default timeout. Longer than the longest a broker deliberately waits before it answers
 * a stored message — syncFlushTimeout (5 s, SYNC_FLUSH) and then slaveTimeout (3 s, SYNC_MASTER) —
 * so that a message the broker stored but could not flush or replicate in time comes back as
 * FLUSH_DISK_TIMEOUT / FLUSH_SLAVE_TIMEOUT with its msgId, not as a client timeout that hides it
 * (and invites a duplicate). Java's 3 s equals slaveTimeout: its clients see exactly that race.
 */
export const DEFAULT_SEND_TIMEOUT_MILLIS = 10_000;

export type SendStatus = 'SEND_OK' | 'FLUSH_DISK_TIMEOUT' | 'FLUSH_SLAVE_TIMEOUT' | 'SLAVE_NOT_AVAILABLE';

export interface SendResult {
  sendStatus: SendStatus;
  /** The client message id (UNIQ_KEY); comma-joined for a batch. */
  msgId: string;
  /** The broker's offset msgId (store address + commit-log offset); comma-joined for a batch. */
  offsetMsgId: string;
  messageQueue: MessageQueue;
  /** Queue offset of the (first) message. */
  queueOffset: number;
  /** A timer message's recall handle (recallMessage takes it). */
  recallHandle?: string;
  /** A half (transactional) message: its transaction id, as the broker answered it (the UNIQ_KEY). */
  transactionId?: string;
}

/** A recall the broker refused (or that could not be sent). */
export class RecallError extends RmqError {
  override readonly name: string = 'RecallError';
  constructor(
    message: string,
    /** The broker's response code when it answered. */
    readonly responseCode?: number,
  ) {
    super(message);
  }
}

/** A send that did not succeed: every attempt's broker and error. */
export class SendError extends RmqError {
  override readonly name: string = 'SendError';
  constructor(
    message: string,
    readonly attempts: readonly { broker: string; error: string }[] = [],
    /** The broker's response code when the last attempt got an answer. */
    readonly responseCode?: number,
  ) {
    super(attempts.length > 0 ? `${message}: ${attempts.map((a) => `${a.broker}: ${a.error}`).join('; ')}` : message);
  }
}

const SEND_STATUS: Record<number, SendStatus> = {
  [ResponseCode.SUCCESS]: 'SEND_OK',
  [ResponseCode.FLUSH_DISK_TIMEOUT]: 'FLUSH_DISK_TIMEOUT',
  [ResponseCode.FLUSH_SLAVE_TIMEOUT]: 'FLUSH_SLAVE_TIMEOUT',
  [ResponseCode.SLAVE_NOT_AVAILABLE]: 'SLAVE_NOT_AVAILABLE',
};

/** `DefaultMQProducer.retryResponseCodes`, plus SYSTEM_BUSY (an overloaded broker: try another). */
const RETRY_CODES: ReadonlySet<number> = new Set([
  ResponseCode.TOPIC_NOT_EXIST,
  ResponseCode.SERVICE_NOT_AVAILABLE,
  ResponseCode.SYSTEM_ERROR,
  ResponseCode.SYSTEM_BUSY,
  ResponseCode.NO_PERMISSION,
  ResponseCode.NO_BUYER_ID,
  ResponseCode.NOT_IN_CURRENT_UNIT,
]);

const isTransportError = (e: unknown) => e instanceof RemotingConnectError || e instanceof RemotingTimeoutError || e instanceof ConnectionClosedError;

/** One encoded send, ready to go to whichever queue an attempt picks (TransactionProducer adds to it). */
export interface Prepared {
  topic: string;
  body: Buffer;
  properties: string;
  sysFlag: number;
  flag: number;
  batch: boolean;
  msgId: string;
}

export class Producer {
  readonly producerGroup: string;
  protected readonly remoting: RemotingClient;
  private readonly ownsRemoting: boolean;
  private readonly admin: AdminClient;
  private readonly routes = new Map<string, TopicPublishInfo>();
  private readonly fetching = new Map<string, Promise<TopicPublishInfo>>();
  private readonly faults: BrokerFaults;
  private readonly uniqKeys: UniqKeyGenerator;
  private readonly log: Logger;
  private readonly timeout: number;
  private readonly retries: number;
  private readonly autoCreateTopic: boolean;
  private readonly maxMessageSize: number;
  private readonly compressOver: number;
  private readonly defaultQueueNums: string;
  private refreshTimer: NodeJS.Timeout | undefined;
  private closed = false;
  /** Topic names already checked (the check is a regex; a producer repeats few names). */
  private readonly validTopics = new Set<string>();
  private readonly avoided = (brokerName: string) => this.faults.isAvoided(brokerName);
  private readonly batching: Required<AutoBatchOptions> | undefined;
  /** autoBatch: sends of each topic waiting for their answer, and the batch being gathered per topic. */
  private readonly inFlight = new Map<string, number>();
  private readonly gathering = new Map<string, { items: Gathered[]; bytes: number }>();
  /** Topics whose entry in `gathering` got its first item since the last end-of-turn flush (the entries stay; this is what to visit). */
  private gatheredTopics: string[] = [];
  private gatherFlushScheduled = false;

  constructor(opts: ProducerOptions) {
    if (opts.namesrvAddrs.length === 0) throw new RmqError('Producer needs at least one NameServer address');
    this.producerGroup = opts.producerGroup ?? 'DEFAULT_PRODUCER';
    this.log = opts.logger ?? silentLogger;
    this.ownsRemoting = opts.remoting === undefined;
    const own = ownConnectionOptions(opts, 'Producer');
    this.remoting = opts.remoting ?? new RemotingClient({ logger: this.log, ...own });
    this.admin = new AdminClient({ namesrvAddrs: opts.namesrvAddrs, remoting: this.remoting, logger: this.log, timeoutMillis: 3_000 });
    this.faults = new BrokerFaults(opts.faultIsolationMillis ?? 10_000);
    this.uniqKeys = new UniqKeyGenerator(ipToBytes(guessLocalAddress()));
    this.timeout = opts.sendTimeoutMillis ?? DEFAULT_SEND_TIMEOUT_MILLIS;
    this.retries = opts.retryTimesWhenSendFailed ?? 2;
    this.autoCreateTopic = opts.autoCreateTopic ?? true;
    this.maxMessageSize = opts.maxMessageSize ?? 4 * 1024 * 1024;
    this.compressOver = opts.compressMsgBodyOverHowmuch ?? 4096;
    this.defaultQueueNums = String(opts.defaultTopicQueueNums ?? 4);
    const ab = opts.autoBatch === true ? {} : opts.autoBatch === false ? undefined : opts.autoBatch;
    if (ab !== undefined) {
      this.batching = { whenInFlight: ab.whenInFlight ?? 8, maxMessages: ab.maxMessages ?? 32, maxBytes: ab.maxBytes ?? 256 * 1024 };
      for (const [k, v] of Object.entries(this.batching)) if (!Number.isSafeInteger(v) || v < (k === 'whenInFlight' ? 0 : 1)) throw new RmqError(`Producer autoBatch.${k} must be an integer >= ${k === 'whenInFlight' ? 0 : 1}, got ${v}`);
    }
    this.refreshTimer = setInterval(() => void this.refreshAll(), opts.routeRefreshMillis ?? 30_000);
    this.refreshTimer.unref();
  }

  /** Sends one message and resolves with the broker's answer (retrying on another broker per the class comment). */
  send(m: Message, timeoutMillis = this.timeout): Promise<SendResult> {
    if (this.batching === undefined) return this.prepared(() => this.prepare(m), timeoutMillis);
    let p: Prepared;
    try {
      p = this.prepare(m);
    } catch (e) {
      return Promise.reject(e);
    }
    const topic = p.topic;
    const waiting = this.inFlight.get(topic) ?? 0;
    this.inFlight.set(topic, waiting + 1);
    // a timer message (a delivery time, from our fields or set as a property) is never batched: a broker does not time batches
    const timed = m.deliverTimeMs !== undefined || m.delayMillis !== undefined || p.properties.includes('TIMER_') || p.properties.includes('__STARTDELIVERTIME');
    const batchable = waiting >= this.batching.whenInFlight && p.sysFlag === 0 && (m.delayTimeLevel ?? 0) <= 0 && !timed && m.waitStoreMsgOK !== false && !isRetryTopic(topic) && this.routes.get(topic)?.ok === true;
    const sent = batchable ? this.gather(p, timeoutMillis) : this.sendPrepared(p, timeoutMillis);
    // a topic's count stays at 0 rather than being deleted: an insert and a delete per send would churn the Map (see IntKeyTable)
    const done = () => this.inFlight.set(topic, (this.inFlight.get(topic) ?? 1) - 1);
    sent.then(done, done);
    return sent;
  }

  /** Adds a send to its topic's batch; the batch goes out at the end of this event-loop turn, or at once when full. */
  private gather(p: Prepared, timeoutMillis: number): Promise<SendResult> {
    const b = this.batching as Required<AutoBatchOptions>;
    return new Promise<SendResult>((resolve, reject) => {
      let g = this.gathering.get(p.topic);
      // a topic's entry stays once made (emptied when its batch goes): an insert and a delete per batch would churn the Map (see IntKeyTable)
      if (g === undefined) this.gathering.set(p.topic, (g = { items: [], bytes: 0 }));
      if (g.items.length === 0) this.gatheredTopics.push(p.topic);
      g.items.push({ p, resolve, reject, deadline: Date.now() + timeoutMillis });
      g.bytes += p.body.length + p.properties.length;
      if (g.items.length >= b.maxMessages || g.bytes >= b.maxBytes) this.flushGathered(p.topic);
      else if (!this.gatherFlushScheduled) {
        this.gatherFlushScheduled = true;
        setImmediate(this.flushAllGathered);
      }
    });
  }

  private readonly flushAllGathered = (): void => {
    this.gatherFlushScheduled = false;
    const topics = this.gatheredTopics;
    this.gatheredTopics = [];
    for (const topic of topics) this.flushGathered(topic);
  };

  /** Sends a topic's gathered messages as one SEND_BATCH_MESSAGE and hands each its own result. */
  private flushGathered(topic: string): void {
    const g = this.gathering.get(topic);
    if (g === undefined || g.items.length === 0) return;
    const items = g.items;
    g.items = [];
    g.bytes = 0;
    const deadline = Math.min(...items.map((i) => i.deadline));
    const left = Math.max(1, deadline - Date.now());
    const body = items.length > 1 ? encodeBatchBody(items.map((i) => ({ flag: i.p.flag, body: i.p.body, properties: i.p.properties }))) : undefined;
    if (body === undefined || body.length > this.maxMessageSize) {
      for (const i of items) this.sendPrepared(i.p, Math.max(1, i.deadline - Date.now())).then(i.resolve, i.reject);
      return;
    }
    const batch: Prepared = { topic, body, properties: '', sysFlag: 0, flag: 0, batch: true, msgId: items.map((i) => i.p.msgId).join(',') };
    this.sendPrepared(batch, left).then(
      (r) => {
        const offsetIds = r.offsetMsgId.split(',');
        items.forEach((i, n) => i.resolve({ sendStatus: r.sendStatus, msgId: i.p.msgId, offsetMsgId: offsetIds[n] ?? '', messageQueue: r.messageQueue, queueOffset: r.queueOffset + n }));
      },
      (e: unknown) => {
        for (const i of items) i.reject(e);
      },
    );
  }

  /** Sends without waiting for an answer (no result, no retry); resolves once the request is written out. */
  async sendOneway(m: Message): Promise<void> {
    const p = this.prepare(m);
    const info = await this.publishInfo(p.topic);
    const q = info.select(this.avoided);
    await this.remoting.oneway(info.brokerAddrs.get(q.brokerName) as string, this.request(p, q));
  }

  /**
   * Sends messages of one topic as one SEND_BATCH_MESSAGE: stored in one queue with consecutive
   * offsets. Batches cannot go to retry topics and must agree on waitStoreMsgOK.
   */
  sendBatch(msgs: readonly Message[], timeoutMillis = this.timeout): Promise<SendResult> {
    return this.prepared(() => this.prepareBatch(msgs), timeoutMillis);
  }

  /** A rejected promise (not a throw) when the message is refused before sending. */
  private prepared(prepare: () => Prepared, timeoutMillis: number): Promise<SendResult> {
    let p: Prepared;
    try {
      p = prepare();
    } catch (e) {
      return Promise.reject(e);
    }
    return this.sendPrepared(p, timeoutMillis);
  }

  /**
   * Recalls a pending timer message by the handle its send returned (RECALL_MESSAGE to the master
   * of the broker the handle names). Resolves with the message id; rejects with RecallError (the
   * broker's refusal: already due, unknown, …) or InvalidMessageError (a malformed handle).
   */
  async recallMessage(topic: string, recallHandle: string, timeoutMillis = this.timeout): Promise<string> {
    let h;
    try {
      h = decodeRecallHandle(recallHandle);
    } catch (e) {
      throw new InvalidMessageError((e as Error).message);
    }
    if (h.topic !== topic) throw new InvalidMessageError(`the recall handle is for topic ${h.topic}, not ${topic}`);
    const route = await this.admin.topicRoute(topic);
    const bd = route?.brokerDatas.find((b) => b.brokerName === h.brokerName);
    const addr = bd === undefined ? undefined : masterAddr(bd);
    if (addr === undefined) throw new RecallError(`broker ${h.brokerName}, which holds the message, has no master serving topic ${topic} now`);
    const req = createRequest(RequestCode.RECALL_MESSAGE, { extFields: encodeHeader(RecallMessageRequestHeader, { producerGroup: this.producerGroup, topic, recallHandle, bname: h.brokerName }) });
    const res = await this.remoting.request(addr, req, timeoutMillis);
    if (res.code !== ResponseCode.SUCCESS) throw new RecallError(`recall refused by ${h.brokerName} (${addr}): ${res.remark ?? `code ${res.code}`}`, res.code);
    return res.extFields?.msgId ?? h.messageId;
  }

  /** The topic's route as this producer uses it (fetched if needed). */
  async route(topic: string): Promise<TopicPublishInfo> {
    return this.publishInfo(topic);
  }

  shutdown(): void {
    // gathered sends go out (and are answered, or fail as the connections close) like any sent before
    this.flushAllGathered();
    this.closed = true;
    if (this.refreshTimer !== undefined) clearInterval(this.refreshTimer);
    this.refreshTimer = undefined;
    if (this.ownsRemoting) this.remoting.shutdown();
  }

  protected prepare(m: Message): Prepared {
    if (this.closed) throw new RmqError('the producer is shut down');
    let body = bodyBytes(m.body);
    checkMessage(m, body, this.maxMessageSize, this.validTopics.has(m.topic));
    if (!this.validTopics.has(m.topic) && this.validTopics.size < 10_000) this.validTopics.add(m.topic);
    let sysFlag = 0;
    if (body.length > this.compressOver) {
      body = zlib.deflateSync(body, { level: 5 });
      sysFlag |= SysFlag.COMPRESSED | (CompressionType.ZLIB << 8);
    }
    const msgId = this.uniqKeys.next();
    return { topic: m.topic, body, properties: messagePropertyString(m, msgId), sysFlag, flag: m.flag ?? 0, batch: false, msgId };
  }

  private prepareBatch(msgs: readonly Message[]): Prepared {
    if (this.closed) throw new RmqError('the producer is shut down');
    const first = msgs[0];
    if (first === undefined) throw new InvalidMessageError('the batch is empty');
    if (isRetryTopic(first.topic)) throw new InvalidMessageError(`batches cannot be sent to a retry topic (${first.topic})`);
    const ids: string[] = [];
    const items = msgs.map((m, i) => {
      if (m.topic !== first.topic) throw new InvalidMessageError(`message ${i + 1} of the batch is for topic ${m.topic}, the batch is for ${first.topic}: a batch takes one topic`);
      if ((m.waitStoreMsgOK ?? true) !== (first.waitStoreMsgOK ?? true)) throw new InvalidMessageError(`message ${i + 1} of the batch has another waitStoreMsgOK than the first`);
      if ((m.delayTimeLevel ?? 0) > 0 || m.deliverTimeMs !== undefined || m.delayMillis !== undefined) throw new InvalidMessageError(`message ${i + 1} of the batch is delayed: batches cannot carry delayed or timer messages`);
      const body = bodyBytes(m.body);
      checkMessage(m, body, this.maxMessageSize);
      const id = this.uniqKeys.next();
      ids.push(id);
      return { flag: m.flag ?? 0, body, properties: messagePropertyString(m, id) };
    });
    const body = encodeBatchBody(items);
    if (body.length > this.maxMessageSize) throw new InvalidMessageError(`the batch is ${body.length} bytes, more than maxMessageSize ${this.maxMessageSize}: split it`);
    return { topic: first.topic, body, properties: '', sysFlag: 0, flag: 0, batch: true, msgId: ids.join(',') };
  }

  private request(p: Prepared, q: MessageQueue): RemotingCommand {
    return sendRequest({
      producerGroup: this.producerGroup,
      topic: p.topic,
      defaultTopicQueueNums: this.defaultQueueNums,
      queueId: q.queueId,
      sysFlag: p.sysFlag,
      bornTimestamp: Date.now(),
      flag: p.flag,
      properties: p.properties,
      batch: p.batch,
      body: p.body,
    });
  }

  protected sendPrepared(p: Prepared, timeoutMillis: number): Promise<SendResult> {
    const deadline = Date.now() + timeoutMillis;
    const info = this.routes.get(p.topic);
    if (info !== undefined && info.ok) return this.attempt(info, p, deadline, timeoutMillis);
    return this.publishInfo(p.topic).then((i) => this.attempt(i, p, deadline, timeoutMillis));
  }

  private async attempt(info: TopicPublishInfo, p: Prepared, deadline: number, timeoutMillis: number): Promise<SendResult> {
    const attempts: { broker: string; error: string }[] = [];
    let lastBroker: string | undefined;
    let lastCode: number | undefined;
    for (let attempt = 0; attempt <= this.retries; attempt++) {
      const left = deadline - Date.now();
      if (left <= 0) {
        attempts.push({ broker: lastBroker ?? '-', error: `send timeout of ${timeoutMillis} ms used up` });
        break;
      }
      const tried = lastBroker;
      const q = info.select(tried === undefined ? this.avoided : (b) => b === tried || this.faults.isAvoided(b));
      const addr = info.brokerAddrs.get(q.brokerName) as string;
      lastBroker = q.brokerName;
      const started = Date.now();
      let res: RemotingCommand;
      try {
        res = await this.remoting.request(addr, this.request(p, q), left);
      } catch (e) {
        if (!isTransportError(e)) throw e;
        this.brokerFailed(q.brokerName, p.topic);
        attempts.push({ broker: `${q.brokerName}(${addr})`, error: (e as Error).message });
        continue;
      }
      const status = SEND_STATUS[res.code];
      if (status !== undefined) {
        this.faults.latency(q.brokerName, Date.now() - started);
        const ext = res.extFields ?? {};
        const r: SendResult = { sendStatus: status, msgId: p.msgId, offsetMsgId: ext.msgId ?? '', messageQueue: q, queueOffset: Number(ext.queueOffset ?? -1), ...(ext.transactionId !== undefined ? { transactionId: ext.transactionId } : {}) };
        if (ext.recallHandle) r.recallHandle = ext.recallHandle;
        return r;
      }
      lastCode = res.code;
      attempts.push({ broker: `${q.brokerName}(${addr})`, error: `code ${res.code}${res.remark ? `: ${res.remark}` : ''}` });
      if (!RETRY_CODES.has(res.code)) break;
      this.brokerFailed(q.brokerName, p.topic);
    }
    throw new SendError(`send to topic ${p.topic} failed after ${attempts.length} attempt(s)`, attempts, lastCode);
  }

  private brokerFailed(brokerName: string, topic: string): void {
    this.faults.failed(brokerName);
    void this.fetchRoute(topic).catch(() => {});
  }

  private publishInfo(topic: string): Promise<TopicPublishInfo> {
    const info = this.routes.get(topic);
    if (info !== undefined && info.ok) return Promise.resolve(info);
    return this.fetchRoute(topic);
  }

  /** Fetches the topic's route (one fetch per topic at a time); falls back to TBW102's route for a topic not created yet. */
  private fetchRoute(topic: string): Promise<TopicPublishInfo> {
    let f = this.fetching.get(topic);
    if (f !== undefined) return f;
    f = (async () => {
      const route = await this.admin.topicRoute(topic);
      let info = route === undefined ? undefined : TopicPublishInfo.fromRoute(topic, route);
      if ((info === undefined || !info.ok) && this.autoCreateTopic) {
        // Java's tryToFindTopicPublishInfo: send through the auto-create template, the broker creates the topic
        const template = await this.admin.topicRoute(TBW102);
        const viaDefault = template === undefined ? undefined : TopicPublishInfo.fromRoute(topic, template, Number(this.defaultQueueNums));
        if (viaDefault !== undefined && viaDefault.ok) info = viaDefault;
      }
      if (info === undefined || !info.ok) {
        const why = route === undefined ? (this.autoCreateTopic ? 'no broker serves it and automatic topic creation is off' : 'it does not exist') : 'no writable queue on a broker with a master';
        throw new SendError(`No route info of this topic: ${topic} (${why}); create it with \`rmqctl topic create ${topic}\``);
      }
      this.routes.set(topic, info);
      return info;
    })().finally(() => this.fetching.delete(topic));
    return f;
  }

  private async refreshAll(): Promise<void> {
    for (const topic of [...this.routes.keys()]) {
      try {
        await this.fetchRoute(topic);
      } catch (e) {
        this.log.warn('route refresh failed; keeping the last route', { topic, err: e as Error });
      }
    }
  }
}
