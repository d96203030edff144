/**
 * SEND_MESSAGE (10), SEND_MESSAGE_V2 (310), SEND_BATCH_MESSAGE (320): Java's SendMessageProcessor
 * and AbstractSendMessageProcessor.msgCheck (apache/rocketmq HEAD), docs/design/protocol.md#send.
 *
 * Order of checks: role (a SLAVE answers 2 [REJECTREQUEST]), broker write permission, topic name,
 * topics no client may write, the topic (created from TBW102 when allowed), topic write
 * permission, queue id; then the store, whose status maps to the response code.
 */
import { RequestCode, ResponseCode } from '../../remoting/codes.js';
import { decodeHeader } from '../../protocol/header-spec.js';
import { SendMessageRequestHeader, SendMessageRequestHeaderV2, type SendMessageRequest } from '../../protocol/headers/broker.js';
import { decodeBatchBody, BatchFormatError } from '../../protocol/message/batch.js';
import { NAME_VALUE_SEPARATOR, PropertyKey, PROPERTY_SEPARATOR, SysFlag, transactionType } from '../../protocol/message/constants.js';
import { parseHostAddress, type HostAddress } from '../../protocol/message/host.js';
import { UniqKeyGenerator } from '../../protocol/message/msg-id.js';
import { findProperty } from '../../protocol/message/properties.js';
import { isWriteable } from '../../protocol/perm.js';
import { TopicSysFlag } from '../../protocol/perm.js';
import type { TopicConfig } from '../../protocol/topic-config.js';
import { createResponse, type ExtFields, type RemotingCommand } from '../../remoting/command.js';
import type { Connection } from '../../remoting/connection.js';
import type { HandlerTable } from '../../remoting/dispatcher.js';
import { JsonHeaderTemplate } from '../../remoting/header-template.js';
import type { BrokerContext } from '../context.js';
import type { PutMessage, PutMessageResult, PutMessageStatus } from '../store/index.js';
import { isNotAllowedSendTopic, isRetryTopic, topicNameProblem } from '../../protocol/topic-names.js';
import { topicConfig } from '../../protocol/topic-config.js';
import { PERM_RW } from '../../protocol/perm.js';
import { deadLetterTarget, withoutDelay } from './send-back.js';
import { rateLimitedLogger } from '../../util/log-rate-limit.js';
import { messageTypeOf } from '../metrics/message-type.js';
import { isHalfSend } from '../transaction/records.js';
import type { MessageTypeIndex } from '../stats.js';
import { TimerRefusal } from '../timer/timer-service.js';

/** What Java's broker answers while it refuses requests (a SLAVE refusing sends). */
export const REJECT_REQUEST_REMARK = '[REJECTREQUEST]system busy, start flow control for a while';

/** Refused sends are logged once per status in this window, then counted (`… (repeated) suppressed=N`). */
export const REFUSAL_LOG_WINDOW_MILLIS = 10_000;

/** Java `BrokerConfig.regionId` default; sent back in every send reply (the Java client reads it unchecked). */
const REGION_ID = 'DefaultRegion';

const STATUS_CODES: Record<PutMessageStatus, number> = {
  PUT_OK: ResponseCode.SUCCESS,
  FLUSH_DISK_TIMEOUT: ResponseCode.FLUSH_DISK_TIMEOUT,
  FLUSH_SLAVE_TIMEOUT: ResponseCode.FLUSH_SLAVE_TIMEOUT,
  SLAVE_NOT_AVAILABLE: ResponseCode.SLAVE_NOT_AVAILABLE,
  MESSAGE_ILLEGAL: ResponseCode.MESSAGE_ILLEGAL,
  PROPERTIES_SIZE_EXCEEDED: ResponseCode.MESSAGE_ILLEGAL,
  SERVICE_NOT_AVAILABLE: ResponseCode.SERVICE_NOT_AVAILABLE,
  OS_PAGE_CACHE_BUSY: ResponseCode.SYSTEM_BUSY,
  CREATE_MAPPED_FILE_FAILED: ResponseCode.SYSTEM_ERROR,
  UNKNOWN_ERROR: ResponseCode.SYSTEM_ERROR,
};

/** The reply to every stored message has this shape (reply() below): its JSON header is written from a template. */
const STORED_REPLY_HEADER = new JsonHeaderTemplate(['msgId', 'queueId', 'queueOffset', 'MSG_REGION', 'TRACE_ON']);

/** Store statuses whose message was appended (the reply carries msgId, queueId, queueOffset). */
const APPENDED: ReadonlySet<PutMessageStatus> = new Set(['PUT_OK', 'FLUSH_DISK_TIMEOUT', 'FLUSH_SLAVE_TIMEOUT', 'SLAVE_NOT_AVAILABLE']);

/** The producer's WAIT property: false means "answer once stored, do not wait for flush or slaves". */
function waitStoreMsgOK(properties: string): boolean {
  return findProperty(properties, PropertyKey.WAIT_STORE_MSG_OK) !== 'false';
}

/** A canonical decimal integer string as a number (what clients send); undefined for anything else. */
function plainInt(raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  const n = Number(raw);
  return Number.isSafeInteger(n) && String(n) === raw ? n : undefined;
}

/**
 * SEND_MESSAGE_V2's one-letter header as the V1 field names. The hot path reads the fields
 * directly; anything unusual (a missing field, a non-canonical number) goes through the generic
 * decoder, which accepts what Java accepts and names the bad field.
 */
function decodeSendHeader(req: RemotingCommand): SendMessageRequest {
  if (req.code === RequestCode.SEND_MESSAGE) return decodeHeader(SendMessageRequestHeader, req.extFields);
  const x = req.extFields;
  if (x !== undefined) {
    const d = plainInt(x.d);
    const e = plainInt(x.e);
    const f = plainInt(x.f);
    const g = plainInt(x.g);
    const hh = plainInt(x.h);
    const j = x.j === undefined ? 0 : plainInt(x.j);
    if (typeof x.a === 'string' && typeof x.b === 'string' && typeof x.c === 'string' && d !== undefined && e !== undefined && f !== undefined && g !== undefined && hh !== undefined && j !== undefined && (x.l === undefined || plainInt(x.l) !== undefined)) {
      if (d >= -0x80000000 && d <= 0x7fffffff && e >= -0x80000000 && e <= 0x7fffffff && f >= -0x80000000 && f <= 0x7fffffff && hh >= -0x80000000 && hh <= 0x7fffffff) {
        const h: SendMessageRequest = { producerGroup: x.a, topic: x.b, defaultTopic: x.c, defaultTopicQueueNums: d, queueId: e, sysFlag: f, bornTimestamp: g, flag: hh, reconsumeTimes: j };
        if (x.i !== undefined) h.properties = x.i;
        if (x.k !== undefined) h.unitMode = x.k.toLowerCase() === 'true';
        if (x.l !== undefined) h.maxReconsumeTimes = Number(x.l);
        if (x.m !== undefined) h.batch = x.m.toLowerCase() === 'true';
        return h;
      }
    }
  }
  const v = decodeHeader(SendMessageRequestHeaderV2, x);
  const h: SendMessageRequest = {
    producerGroup: v.a,
    topic: v.b,
    defaultTopic: v.c,
    defaultTopicQueueNums: v.d,
    queueId: v.e,
    sysFlag: v.f,
    bornTimestamp: v.g,
    flag: v.h,
  };
  if (v.i !== undefined) h.properties = v.i;
  if (v.j !== undefined) h.reconsumeTimes = v.j;
  if (v.k !== undefined) h.unitMode = v.k;
  if (v.l !== undefined) h.maxReconsumeTimes = v.l;
  if (v.m !== undefined) h.batch = v.m;
  return h;
}

class SendRefusal extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

export function registerSendHandlers(table: HandlerTable, ctx: BrokerContext): void {
  const { config, topics, store, stats, log } = ctx;
  // a refusing store (full disk) answers every send: one line per status and interval, with a count
  const refusals = rateLimitedLogger(log, { perWindow: 1, windowMillis: REFUSAL_LOG_WINDOW_MILLIS });
  const uniqKeys = new UniqKeyGenerator(ctx.storeHost.ip);
  const bornHosts = new WeakMap<Connection, HostAddress>();
  const bornHostOf = (conn: Connection): HostAddress => {
    let h = bornHosts.get(conn);
    if (h === undefined) {
      try {
        h = parseHostAddress(conn.remoteAddress);
      } catch {
        h = { ip: Buffer.alloc(4), port: 0 };
      }
      bornHosts.set(conn, h);
    }
    return h;
  };
  /** Topic names already checked: the name check is a regex, the lookup a hash. */
  const validNames = new Set<string>();

  const reply = (req: RemotingCommand, code: number, remark: string | undefined, ext: ExtFields = {}): RemotingCommand => {
    ext.MSG_REGION = REGION_ID;
    ext.TRACE_ON = 'true';
    return createResponse(req, code, remark === undefined ? { extFields: ext } : { extFields: ext, remark });
  };

  /** The topic to store into, created on first send when the default topic allows it. */
  /** RocketMQ's topic name rules, and the internal topics no client may write (throws SendRefusal). */
  const checkName = (topic: string): void => {
    if (!validNames.has(topic)) {
      const problem = topicNameProblem(topic);
      if (problem !== undefined) throw new SendRefusal(ResponseCode.INVALID_PARAMETER, problem);
      if (validNames.size > 100_000) validNames.clear();
      validNames.add(topic);
    }
    if (isNotAllowedSendTopic(topic)) throw new SendRefusal(ResponseCode.NO_PERMISSION, `Sending message to topic[${topic}] is forbidden.`);
  };

  const topicFor = async (h: SendMessageRequest, conn: Connection): Promise<TopicConfig> => {
    const topic = h.topic;
    checkName(topic);
    let tc = topics.get(topic);
    if (tc !== undefined) {
      const pending = topics.durable(topic);
      if (pending !== undefined) await pending;
      return tc;
    }
    const unit = h.unitMode === true ? (isRetryTopic(topic) ? TopicSysFlag.UNIT_SUB : TopicSysFlag.UNIT) : 0;
    tc = await topics.createOnSend(topic, h.defaultTopic, h.defaultTopicQueueNums, unit, conn.remoteAddress);
    // A consumer's retry topic exists even where automatic creation is off (createTopicInSendMessageBackMethod).
    if (tc === undefined && isRetryTopic(topic)) tc = await topics.createIfAbsent(topicConfig(topic, { readQueueNums: 1, writeQueueNums: 1, perm: PERM_RW, topicSysFlag: unit }));
    if (tc === undefined) throw new SendRefusal(ResponseCode.TOPIC_NOT_EXIST, `topic[${topic}] not exist, apply first please!`);
    return tc;
  };

  /** Properties as stored: the client's, plus a UNIQ_KEY when it sent none (as a 5.x broker adds). */
  const storedProperties = (props: string | undefined): string => {
    const p = props ?? '';
    if (findProperty(p, PropertyKey.UNIQ_CLIENT_MESSAGE_ID_KEYIDX) !== undefined) return p;
    const sep = p === '' || p.endsWith(PROPERTY_SEPARATOR) ? '' : PROPERTY_SEPARATOR;
    return `${p}${sep}${PropertyKey.UNIQ_CLIENT_MESSAGE_ID_KEYIDX}${NAME_VALUE_SEPARATOR}${uniqKeys.next()}${PROPERTY_SEPARATOR}`;
  };

  /** A SYNC_MASTER answers a stored message once its slaves hold it (ha/replication.ts); the role is read per send (it can change: failover). */
  const replicated = (stored: Promise<PutMessageResult>, properties: string): Promise<PutMessageResult> =>
    config.brokerRole === 'SYNC_MASTER' ? stored.then((r) => ctx.replication.afterPut(r, waitStoreMsgOK(properties))) : stored;

  /** Where a message waits before delivery: a delay level's SCHEDULE_TOPIC_XXXX, or the timer topic for a delivery time. */
  const delayed = (m: PutMessage): PutMessage => {
    try {
      return ctx.timer.transform(ctx.schedule.transform(m));
    } catch (e) {
      if (e instanceof TimerRefusal) throw new SendRefusal(ResponseCode.MESSAGE_ILLEGAL, e.message);
      throw e;
    }
  };

  const answerStore = (req: RemotingCommand, topic: string, queueId: number, r: PutMessageResult, type: MessageTypeIndex = 0, recallHandle?: string): RemotingCommand => {
    const code = STATUS_CODES[r.status];
    const a = r.appended;
    if (a === undefined || !APPENDED.has(r.status)) {
      stats.recordPutFailure();
      if (r.status !== 'MESSAGE_ILLEGAL' && r.status !== 'PROPERTIES_SIZE_EXCEEDED') refusals.warn(`send refused by the store: ${r.status}`, { topic, remark: r.remark });
      return reply(req, code, r.remark ?? r.status);
    }
    stats.recordPut(topic, a.count, a.wroteBytes, type);
    const ext: ExtFields = {
      msgId: a.msgIds.length === 1 ? (a.msgIds[0] as string) : a.msgIds.join(','),
      queueId: String(queueId),
      queueOffset: String(a.queueOffset),
    };
    // a timer message: the handle that recalls it (RocketMQ 5.3 SendMessageResponseHeader.recallHandle)
    if (recallHandle !== undefined) ext.recallHandle = recallHandle;
    const res = reply(req, code, code === ResponseCode.SUCCESS ? undefined : (r.remark ?? r.status), ext);
    // the template declines (falls back to the general encoder) when extFields differ from its keys
    res.jsonTemplate = STORED_REPLY_HEADER;
    return res;
  };

  /** A half message's answer names its transaction: the UNIQ_KEY, as Java's broker does. */
  const withTransactionId = (res: RemotingCommand, properties: string): RemotingCommand => {
    const id = findProperty(properties, PropertyKey.UNIQ_CLIENT_MESSAGE_ID_KEYIDX);
    if (id !== undefined && res.extFields !== undefined && res.extFields.msgId !== undefined) res.extFields.transactionId = id;
    return res;
  };

  const refused = (req: RemotingCommand, e: unknown): RemotingCommand => {
    if (!(e instanceof SendRefusal)) throw e;
    stats.recordPutFailure();
    return reply(req, e.code, e.message);
  };

  /**
   * A consumer's own send to `%RETRY%<group>` (ali-ons' fallback when CONSUMER_SEND_MSG_BACK
   * fails): past the group's max reconsume times it goes to the dead-letter queue instead.
   */
  const sendToRetryTopic = async (req: RemotingCommand, m: PutMessage, maxReconsumeTimes: number | undefined): Promise<RemotingCommand> => {
    const dead = await deadLetterTarget(ctx, m.topic, m.reconsumeTimes, maxReconsumeTimes, req.version);
    if ('code' in dead) throw new SendRefusal(dead.code, dead.remark);
    const target: PutMessage = dead.dlq === undefined ? m : { ...m, topic: dead.dlq, queueId: dead.queueId, properties: withoutDelay(m.properties) };
    return answerStore(req, target.topic, target.queueId, await replicated(store.put(delayed(target)), target.properties));
  };

  /** Everything after the topic is known: checks, then the store. Throws SendRefusal. */
  const storeInto = (req: RemotingCommand, conn: Connection, h: SendMessageRequest, tc: TopicConfig, batch: boolean): Promise<RemotingCommand> => {
    if (!isWriteable(tc.perm)) throw new SendRefusal(ResponseCode.NO_PERMISSION, `the topic[${tc.topicName}] sending message is forbidden`);
    let queueId = h.queueId;
    const queues = Math.max(tc.writeQueueNums, tc.readQueueNums);
    if (queueId >= queues) throw new SendRefusal(ResponseCode.INVALID_PARAMETER, `request queueId[${queueId}] is illegal, topic ${tc.topicName} has ${tc.writeQueueNums} write queues; producer ${conn.remoteAddress}`);
    if (queueId < 0) {
      if (tc.writeQueueNums <= 0) throw new SendRefusal(ResponseCode.NO_PERMISSION, `the topic[${tc.topicName}] has no write queues`);
      queueId = Math.floor(Math.random() * tc.writeQueueNums);
    }
    const tx = transactionType(h.sysFlag);
    if (tx === SysFlag.TRANSACTION_COMMIT_TYPE || tx === SysFlag.TRANSACTION_ROLLBACK_TYPE) {
      throw new SendRefusal(ResponseCode.MESSAGE_ILLEGAL, 'a send cannot carry a commit or rollback (sysFlag): end a transaction with END_TRANSACTION');
    }
    // the first phase of a transaction (transaction/service.ts); a consumer's retry keeps TRAN_MSG and is no half message
    const half = !isRetryTopic(tc.topicName) && isHalfSend(h.properties ?? '', h.sysFlag);
    if (half) {
      if (batch) throw new SendRefusal(ResponseCode.MESSAGE_ILLEGAL, 'a batch cannot be transactional: send each half message on its own');
      if (config.rejectTransactionMessage) throw new SendRefusal(ResponseCode.NO_PERMISSION, `the broker[${config.brokerIP1}] sending transaction message is forbidden`);
    }
    const sysFlag = tc.topicFilterType === 'MULTI_TAG' ? h.sysFlag | SysFlag.MULTI_TAGS : h.sysFlag;
    const body = req.body ?? Buffer.alloc(0);
    const bornHost = bornHostOf(conn);
    const reconsumeTimes = h.reconsumeTimes ?? 0;
    const topic = tc.topicName;
    const message = (flag: number, payload: Buffer, properties: string | undefined): PutMessage => ({
      topic,
      queueId,
      flag,
      body: payload,
      properties: storedProperties(properties),
      sysFlag,
      bornTimestamp: h.bornTimestamp,
      bornHost,
      storeHost: ctx.storeHost,
      reconsumeTimes,
      preparedTransactionOffset: 0,
    });
    if (!batch) {
      const m = message(h.flag, body, h.properties);
      if (isRetryTopic(topic)) return sendToRetryTopic(req, m, h.maxReconsumeTimes).catch((e: unknown) => refused(req, e));
      if (half) return replicated(ctx.transactions.prepare(m, h.producerGroup), m.properties).then((r) => withTransactionId(answerStore(req, topic, queueId, r, messageTypeOf(h.properties)), m.properties));
      // a delayed message is parked in SCHEDULE_TOPIC_XXXX, a timer message in the timer topic (the answer names the queue it was sent to)
      const type = messageTypeOf(h.properties);
      const put = delayed(m);
      return replicated(store.put(put), m.properties).then((r) => answerStore(req, topic, queueId, r, type, ctx.timer.recallHandleOf(put)));
    }
    if (isRetryTopic(topic)) throw new SendRefusal(ResponseCode.MESSAGE_ILLEGAL, `batch request does not support retry group ${topic}`);
    if (topic.length > 127) throw new SendRefusal(ResponseCode.MESSAGE_ILLEGAL, `message topic length too long ${topic.length}`);
    if (body.length > config.maxMessageSize) throw new SendRefusal(ResponseCode.MESSAGE_ILLEGAL, `batch body of ${body.length} bytes exceeds maxMessageSize ${config.maxMessageSize}`);
    let items;
    try {
      items = decodeBatchBody(body);
    } catch (e) {
      if (e instanceof BatchFormatError) throw new SendRefusal(ResponseCode.MESSAGE_ILLEGAL, `malformed batch body: ${e.message}`);
      throw e;
    }
    if (items.length === 0) throw new SendRefusal(ResponseCode.MESSAGE_ILLEGAL, 'empty batch');
    const msgs = items.map((it) => message(it.flag, it.body, it.properties));
    const type = messageTypeOf(h.properties);
    return replicated(store.putBatch(msgs), msgs[0]?.properties ?? '').then((r) => answerStore(req, topic, queueId, r, type));
  };

  /**
   * Sends of one connection reach the store in the order they arrived: once one has to wait (its
   * topic is being created), later ones on that connection queue behind it until it is appended.
   */
  const waiting = new WeakMap<Connection, { tail: Promise<unknown>; count: number }>();
  /** `append` resolves once the message is appended, with the promise of its answer (boxed, so it is not awaited). */
  const inOrder = (conn: Connection, append: () => Promise<{ acked: Promise<RemotingCommand> }>): Promise<RemotingCommand> => {
    let w = waiting.get(conn);
    if (w === undefined) waiting.set(conn, (w = { tail: Promise.resolve(), count: 0 }));
    const queue = w;
    queue.count++;
    const appended = queue.tail.then(append);
    queue.tail = appended.then(
      () => undefined,
      () => undefined,
    );
    void queue.tail.then(() => {
      if (--queue.count === 0 && waiting.get(conn) === queue) waiting.delete(conn);
    });
    return appended.then((a) => a.acked);
  };

  /** A topic that must be created (or whose creation must reach the disk) before the store. */
  const sendSlow = (req: RemotingCommand, conn: Connection, h: SendMessageRequest, batch: boolean): Promise<RemotingCommand> =>
    inOrder(conn, async () => {
      try {
        const tc = await topicFor(h, conn);
        // the store appends synchronously inside storeInto; the answer follows when written
        return { acked: storeInto(req, conn, h, tc, batch).catch((e: unknown) => refused(req, e)) };
      } catch (e) {
        return { acked: Promise.resolve(refused(req, e)) };
      }
    });

  // Hot path without awaits: a known, durable topic goes straight to the store.
  const send = (req: RemotingCommand, conn: Connection): RemotingCommand | Promise<RemotingCommand> => {
    if (config.brokerRole === 'SLAVE') return createResponse(req, ResponseCode.SYSTEM_BUSY, { remark: REJECT_REQUEST_REMARK });
    const h = decodeSendHeader(req);
    const batch = req.code === RequestCode.SEND_BATCH_MESSAGE || h.batch === true;
    try {
      if (!isWriteable(config.brokerPermission)) throw new SendRefusal(ResponseCode.NO_PERMISSION, `the broker[${config.brokerIP1}] sending message is forbidden`);
      checkName(h.topic);
      const tc = topics.get(h.topic);
      if (tc === undefined || topics.durable(h.topic) !== undefined || waiting.has(conn)) return sendSlow(req, conn, h, batch);
      return storeInto(req, conn, h, tc, batch);
    } catch (e) {
      return refused(req, e);
    }
  };

  table.on(RequestCode.SEND_MESSAGE, send).on(RequestCode.SEND_MESSAGE_V2, send).on(RequestCode.SEND_BATCH_MESSAGE, send);
}
