/**
 * SendMessage in the broker (the Proxy's `SendMessageActivity` in local mode): each message of
 * the request is checked (grpc/message.ts), placed and stored like a remoting send, and gets its
 * own result entry.
 *
 *   - the topic must exist (v5 clients are not given auto-created topics) and be writable here;
 *     this broker must be a writable master;
 *   - the message's type must be one the topic accepts (its `message.type` attribute, NORMAL by
 *     default): else MESSAGE_PROPERTY_CONFLICT_WITH_TYPE, as the Proxy's type check answers;
 *   - placement: a FIFO message goes to the queue its message group hashes to (Guava's
 *     consistentHash of the group's Java hashCode over the write queues, as the Proxy does; the
 *     group is stored as __SHARDINGKEY), others round-robin over the write queues — the client's
 *     queue id is ignored (the Node client only ever names queue 0);
 *   - a DELAY message (delivery_timestamp) is parked with the delay levels (schedule.ts): at the
 *     longest level not past its time and parked again until due, so never delivered early;
 *     TIMER_DELIVER_MS stays on it. #16's timer store replaces this;
 *   - a TRANSACTION message is stored as a half message (transaction/service.ts) of the producer
 *     group named after its topic (the group v5 producers are registered in), answered with its
 *     transaction id (= its message id); EndTransaction (transaction.ts) ends it.
 * The answer waits for what a remoting send waits for (flush for SYNC_FLUSH, the slave for a
 * SYNC_MASTER).
 */
import { status, V2Error, type CodeName } from '../../grpc/codes.js';
import { fromV2Message, type InboundMessage, type MessageLimits } from '../../grpc/message.js';
import type { SendMessageRequest__Output } from '../../grpc/generated/apache/rocketmq/v2/SendMessageRequest.js';
import type { SendMessageResponse } from '../../grpc/generated/apache/rocketmq/v2/SendMessageResponse.js';
import type { SendResultEntry } from '../../grpc/generated/apache/rocketmq/v2/SendResultEntry.js';
import { PropertyKey, SysFlag } from '../../protocol/message/constants.js';
import { parseHostAddress, type HostAddress } from '../../protocol/message/host.js';
import { javaStringHashCode } from '../../protocol/message/tags.js';
import { isWriteable } from '../../protocol/perm.js';
import { isNotAllowedSendTopic } from '../../protocol/topic-names.js';
import type { TopicConfig } from '../../protocol/topic-config.js';
import type { BrokerContext } from '../context.js';
import type { PutMessage, PutMessageResult, PutMessageStatus } from '../store/index.js';
import { Perm } from './auth.js';
import type { CallContext } from './call.js';
import { acceptedMessageTypes } from './route.js';

const MULTIPLIER = 2862933555777941757n;
const MASK64 = (1n << 64n) - 1n;

/** Guava `Hashing.consistentHash(long input, int buckets)` (LinearCongruentialGenerator), exactly. */
export function consistentHash(input: number, buckets: number): number {
  if (buckets <= 0) throw new RangeError(`buckets must be positive: ${buckets}`);
  let state = BigInt.asUintN(64, BigInt(input));
  let candidate = 0;
  for (;;) {
    state = (MULTIPLIER * state + 1n) & MASK64;
    const next = Math.trunc((candidate + 1) / ((Number(BigInt.asIntN(32, state >> 33n)) + 1) / 2 ** 31));
    if (next >= 0 && next < buckets) candidate = next;
    else return candidate;
  }
}

/** The queue a FIFO message group is stored in. */
export function queueOfMessageGroup(group: string, writeQueues: number): number {
  return consistentHash(javaStringHashCode(group), writeQueues);
}

const STORE_CODES: Partial<Record<PutMessageStatus, CodeName>> = {
  FLUSH_DISK_TIMEOUT: 'MASTER_PERSISTENCE_TIMEOUT',
  FLUSH_SLAVE_TIMEOUT: 'SLAVE_PERSISTENCE_TIMEOUT',
  SLAVE_NOT_AVAILABLE: 'HA_NOT_AVAILABLE',
  MESSAGE_ILLEGAL: 'BAD_REQUEST',
  PROPERTIES_SIZE_EXCEEDED: 'MESSAGE_PROPERTIES_TOO_LARGE',
  SERVICE_NOT_AVAILABLE: 'INTERNAL_SERVER_ERROR',
  OS_PAGE_CACHE_BUSY: 'TOO_MANY_REQUESTS',
  CREATE_MAPPED_FILE_FAILED: 'INTERNAL_SERVER_ERROR',
  UNKNOWN_ERROR: 'INTERNAL_ERROR',
};

/** The request-level status of several results: the one result's, OK when all are, else MULTIPLE_RESULTS (as the Proxy's ResponseBuilder). */
export function overallStatus(entries: readonly { status?: { code?: unknown; message?: string } | null }[]): { code: CodeName; message: string } {
  if (entries.length === 1) {
    const s = entries[0]?.status;
    return { code: (s?.code as CodeName) ?? 'OK', message: s?.message ?? 'OK' };
  }
  return entries.every((e) => e.status?.code === 'OK') ? status('OK') : status('MULTIPLE_RESULTS', 'some entries failed: see each entry');
}

export function createSendHandler(ctx: BrokerContext, limits: MessageLimits) {
  const { config, topics, store, stats, log } = ctx;
  let roundRobin = 0;
  const bornHosts = new Map<string, HostAddress>();
  const bornHostOf = (peer: string): HostAddress => {
    let h = bornHosts.get(peer);
    if (h === undefined) {
      try {
        h = parseHostAddress(peer.replace(/^::ffff:/, ''));
      } catch {
        h = { ip: Buffer.alloc(4), port: 0 };
      }
      if (bornHosts.size > 10_000) bornHosts.clear();
      bornHosts.set(peer, h);
    }
    return h;
  };

  const topicFor = (m: InboundMessage): TopicConfig => {
    if (isNotAllowedSendTopic(m.topic)) throw new V2Error('FORBIDDEN', `Sending message to topic[${m.topic}] is forbidden.`);
    const tc = topics.get(m.topic);
    if (tc === undefined) throw new V2Error('TOPIC_NOT_FOUND', `topic ${m.topic} does not exist on broker ${config.brokerName}`);
    if (!isWriteable(tc.perm) || tc.writeQueueNums <= 0) throw new V2Error('FORBIDDEN', `the topic[${m.topic}] sending message is forbidden`);
    const accepted = acceptedMessageTypes(tc);
    if (!(accepted as string[]).includes(m.messageType)) {
      throw new V2Error('MESSAGE_PROPERTY_CONFLICT_WITH_TYPE', `topic ${m.topic} accepts ${accepted.join(', ')} messages (message.type), not ${m.messageType}`);
    }
    return tc;
  };

  const putOf = (m: InboundMessage, tc: TopicConfig, bornHost: HostAddress): PutMessage => {
    let queueId: number;
    if (m.messageGroup !== undefined) queueId = queueOfMessageGroup(m.messageGroup, tc.writeQueueNums);
    else queueId = (roundRobin = (roundRobin + 1) % 0x7fffffff) % tc.writeQueueNums;
    let properties = m.properties;
    if (m.deliverAtMillis !== undefined) {
      const remaining = m.deliverAtMillis - Date.now();
      if (remaining > 0) properties += `${PropertyKey.DELAY_TIME_LEVEL}\u0001${ctx.schedule.levelFor(remaining)}\u0002`;
    }
    return {
      topic: tc.topicName,
      queueId,
      flag: 0,
      body: m.body,
      properties,
      sysFlag: tc.topicFilterType === 'MULTI_TAG' ? SysFlag.MULTI_TAGS : 0,
      bornTimestamp: m.bornTimestamp,
      bornHost,
      storeHost: ctx.storeHost,
      reconsumeTimes: 0,
      preparedTransactionOffset: 0,
    };
  };

  const entryOf = (m: InboundMessage, r: PutMessageResult): SendResultEntry => {
    const a = r.appended;
    const transactionId = m.messageType === 'TRANSACTION' ? m.messageId : '';
    if (r.status === 'PUT_OK' && a !== undefined) {
      stats.recordPut(m.topic, a.count, a.wroteBytes);
      return { status: status('OK'), messageId: m.messageId, transactionId, offset: a.queueOffset, recallHandle: '' };
    }
    stats.recordPutFailure();
    if (r.status !== 'MESSAGE_ILLEGAL' && r.status !== 'PROPERTIES_SIZE_EXCEEDED') log.warn('v5 send failed in the store', { topic: m.topic, status: r.status, remark: r.remark });
    const code = STORE_CODES[r.status] ?? 'INTERNAL_ERROR';
    return { status: status(code, r.remark ?? r.status), messageId: m.messageId, transactionId, ...(a !== undefined ? { offset: a.queueOffset } : {}), recallHandle: '' };
  };

  return async (req: SendMessageRequest__Output, c: CallContext): Promise<SendMessageResponse> => {
    const list = req.messages ?? [];
    if (list.length === 0) throw new V2Error('BAD_REQUEST', 'no message to send');
    if (config.brokerRole === 'SLAVE') throw new V2Error('FORBIDDEN', `broker ${config.brokerName} is a slave: send to its master`);
    if (!isWriteable(config.brokerPermission)) throw new V2Error('FORBIDDEN', `the broker[${config.brokerName}] sending message is forbidden`);
    const topic = list[0]?.topic?.name ?? '';
    if (list.some((m) => (m.topic?.name ?? '') !== topic)) throw new V2Error('BAD_REQUEST', 'every message of one SendMessage must have the same topic');
    // the whole request is refused when any message is bad (nothing stored), as the Proxy does
    const inbound = list.map((m) => fromV2Message(m, limits));
    c.authorize([{ topic, topicPerm: Perm.PUB }]);
    const tc = topicFor(inbound[0]!);
    for (const m of inbound.slice(1)) topicFor(m);
    const bornHost = bornHostOf(c.peer);
    // appended in request order (the store appends synchronously); answered once durable
    const results = inbound.map((m) => {
      const put = putOf(m, tc, bornHost);
      // a transactional message is a half message of the producer group named after its topic
      const stored = m.messageType === 'TRANSACTION' ? ctx.transactions.prepare(put, tc.topicName) : store.put(ctx.schedule.transform(put));
      // the role is read per send: it can change while the broker runs (failover)
      return (config.brokerRole === 'SYNC_MASTER' ? stored.then((r) => ctx.replication.afterPut(r, true)) : stored).then((r) => entryOf(m, r));
    });
    const entries = await Promise.all(results);
    return { status: overallStatus(entries), entries };
  };
}
