/**
 * POP consumption over gRPC: ReceiveMessage (server stream, long polling), AckMessage,
 * ChangeInvisibleDuration, ForwardMessageToDeadLetterQueue and QueryAssignment, on top of the
 * broker's POP engine (broker/pop, `PopService`), which owns visibility, receipt handles, attempts,
 * the dead-letter queue, FIFO blocking and the waiter limit. This layer checks and converts.
 *
 * ReceiveMessage writes what the Proxy writes (`ReceiveMessageResponseStreamWriter`): `status OK`,
 * one response per message, then `delivery_timestamp`, then the end; with nothing to deliver a
 * single `status MESSAGE_NOT_FOUND` (the clients treat it as empty); past the engine's waiter limit
 * TOO_MANY_REQUESTS. The long poll is the client's long_polling_timeout, cut so the answer still
 * beats the call's deadline; a client that goes away aborts it.
 *
 * auto_renew (PushConsumer): the broker chooses the invisible time (60 s, the Proxy's
 * defaultInvisibleTimeMills) and renews each delivery itself shortly before it expires, for at most
 * 3 h, until the client acks, nacks (change-invisible) or forwards it — the Proxy's
 * `DefaultReceiptHandleManager`. The client keeps using the handle it got; this layer maps it to the
 * current one. When the client ends (terminates or expires), its renewed deliveries are made
 * visible again after 1 s, so another consumer gets them soon.
 */
import type * as grpc from '@grpc/grpc-js';
import { status, V2Error, type CodeName } from '../../grpc/codes.js';
import { durationMillis, timestampOf, toV2Message } from '../../grpc/message.js';
import type { AckMessageRequest__Output } from '../../grpc/generated/apache/rocketmq/v2/AckMessageRequest.js';
import type { AckMessageResponse } from '../../grpc/generated/apache/rocketmq/v2/AckMessageResponse.js';
import type { AckMessageResultEntry } from '../../grpc/generated/apache/rocketmq/v2/AckMessageResultEntry.js';
import type { ChangeInvisibleDurationRequest__Output } from '../../grpc/generated/apache/rocketmq/v2/ChangeInvisibleDurationRequest.js';
import type { ChangeInvisibleDurationResponse } from '../../grpc/generated/apache/rocketmq/v2/ChangeInvisibleDurationResponse.js';
import type { ForwardMessageToDeadLetterQueueRequest__Output } from '../../grpc/generated/apache/rocketmq/v2/ForwardMessageToDeadLetterQueueRequest.js';
import type { ForwardMessageToDeadLetterQueueResponse } from '../../grpc/generated/apache/rocketmq/v2/ForwardMessageToDeadLetterQueueResponse.js';
import type { QueryAssignmentRequest__Output } from '../../grpc/generated/apache/rocketmq/v2/QueryAssignmentRequest.js';
import type { QueryAssignmentResponse } from '../../grpc/generated/apache/rocketmq/v2/QueryAssignmentResponse.js';
import type { ReceiveMessageRequest__Output } from '../../grpc/generated/apache/rocketmq/v2/ReceiveMessageRequest.js';
import type { ReceiveMessageResponse } from '../../grpc/generated/apache/rocketmq/v2/ReceiveMessageResponse.js';
import { groupNameProblem, topicNameProblem } from '../../protocol/topic-names.js';
import type { Logger } from '../../util/log.js';
import type { BrokerContext } from '../context.js';
import { PopError, type HandleProblem, type PopFilter, type PopService } from '../pop/types.js';
import type { CallContext } from './call.js';
import type { GrpcSession, GrpcSessions } from './sessions.js';
import { acceptedMessageTypes, type RouteService } from './route.js';

/** Proxy defaults (ProxyConfig): invisible time chosen for auto-renew, the renew lead and cap, and the release delay. */
export const AUTO_RENEW_INVISIBLE_MILLIS = 60_000;
const RENEW_AHEAD_MILLIS = 10_000;
const RENEW_SCAN_MILLIS = 2_000;
const RENEW_MAX_MILLIS = 3 * 3_600_000;
const RELEASE_INVISIBLE_MILLIS = 1_000;
/** Bounds on a client's invisible duration (ours: at least 1 s; the Proxy's most: 12 h). */
export const MIN_INVISIBLE_MILLIS = 1_000;
export const MAX_INVISIBLE_MILLIS = 12 * 3_600_000;
/** Longest long poll, and the time kept back from the call's deadline to answer in. */
export const MAX_POLL_MILLIS = 30_000;
const DEADLINE_MARGIN_MILLIS = 1_000;
export const MAX_BATCH = 32;

const HANDLE_CODE: Record<HandleProblem, Exclude<CodeName, 'OK'>> = { INVALID: 'INVALID_RECEIPT_HANDLE', EXPIRED: 'INVALID_RECEIPT_HANDLE', NOT_IN_FLIGHT: 'INVALID_RECEIPT_HANDLE' };

const POP_CODE: Record<PopError['kind'], Exclude<CodeName, 'OK'>> = {
  BAD_REQUEST: 'BAD_REQUEST',
  TOPIC_NOT_FOUND: 'TOPIC_NOT_FOUND',
  GROUP_NOT_FOUND: 'CONSUMER_GROUP_NOT_FOUND',
  FORBIDDEN: 'FORBIDDEN',
  NOT_MASTER: 'FORBIDDEN',
  UNSUPPORTED_FILTER: 'ILLEGAL_FILTER_EXPRESSION',
  BAD_FILTER: 'ILLEGAL_FILTER_EXPRESSION',
  STORE_FAILED: 'INTERNAL_SERVER_ERROR',
  SHUTTING_DOWN: 'INTERNAL_SERVER_ERROR',
};

/** A PopError as the V2Error the client gets. */
function v2Of(e: unknown): unknown {
  return e instanceof PopError ? new V2Error(POP_CODE[e.kind], e.message) : e;
}

interface Renewed {
  group: string;
  topic: string;
  clientId: string;
  current: string;
  invisibleUntil: number;
  since: number;
}

export interface ConsumeDeps {
  ctx: BrokerContext;
  pop: () => PopService | undefined;
  sessions: GrpcSessions;
  routes: RouteService;
  log: Logger;
}

function checkGroup(group: string): void {
  const p = group === '' ? 'group name is empty' : groupNameProblem(group);
  if (p !== undefined) throw new V2Error('ILLEGAL_CONSUMER_GROUP', p);
}

function checkTopic(topic: string): void {
  const p = topic === '' ? 'topic name is empty' : topicNameProblem(topic);
  if (p !== undefined) throw new V2Error('ILLEGAL_TOPIC', p);
}

export class ConsumeHandlers {
  /** auto_renew deliveries by the handle the client holds. */
  private readonly renewed = new Map<string, Renewed>();
  private timer: NodeJS.Timeout | undefined;
  private renewing = false;

  constructor(private readonly d: ConsumeDeps) {}

  start(): void {
    this.timer ??= setInterval(() => void this.renewDue(), RENEW_SCAN_MILLIS);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Deliveries being renewed now (for tests and runtime info). */
  get renewedCount(): number {
    return this.renewed.size;
  }

  private engine(): PopService {
    const p = this.d.pop();
    if (p === undefined) throw new V2Error('NOT_IMPLEMENTED', 'POP consumption is not available on this broker');
    return p;
  }

  private groupConfig(group: string) {
    const g = this.d.ctx.subscriptionGroups.find(group);
    if (g === undefined) throw new V2Error('CONSUMER_GROUP_NOT_FOUND', `consumer group ${group} does not exist (autoCreateSubscriptionGroup is off)`);
    if (!g.consumeEnable) throw new V2Error('FORBIDDEN', `consumer group ${group} may not consume (consumeEnable=false)`);
    return g;
  }

  private topicExists(topic: string): void {
    if (this.d.ctx.topics.get(topic) === undefined) throw new V2Error('TOPIC_NOT_FOUND', `topic ${topic} does not exist on broker ${this.d.ctx.config.brokerName}`);
  }

  receive = async (req: ReceiveMessageRequest__Output, c: CallContext, call: grpc.ServerWritableStream<ReceiveMessageRequest__Output, ReceiveMessageResponse>): Promise<void> => {
    const group = req.group?.name ?? '';
    const topic = req.messageQueue?.topic?.name ?? '';
    checkGroup(group);
    checkTopic(topic);
    c.authorize([{ group, topic }]);
    const g = this.groupConfig(group);
    this.topicExists(topic);
    const fe = req.filterExpression;
    const filter: PopFilter = fe?.type === 'SQL' ? { type: 'SQL92', expression: fe.expression } : { type: 'TAG', expression: fe?.expression || '*' };
    if (req.batchSize <= 0) throw new V2Error('BAD_REQUEST', `batch_size must be positive, got ${req.batchSize}`);
    let invisibleMs = durationMillis(req.invisibleDuration) ?? 0;
    if (req.autoRenew) invisibleMs = AUTO_RENEW_INVISIBLE_MILLIS;
    else if (invisibleMs < MIN_INVISIBLE_MILLIS || invisibleMs > MAX_INVISIBLE_MILLIS) {
      throw new V2Error('ILLEGAL_INVISIBLE_TIME', `invisible_duration must be ${MIN_INVISIBLE_MILLIS} ms to ${MAX_INVISIBLE_MILLIS / 3_600_000} h, got ${invisibleMs} ms`);
    }
    const asked = durationMillis(req.longPollingTimeout) ?? 0;
    const deadline = call.getDeadline();
    const deadlineMs = deadline instanceof Date ? deadline.getTime() : typeof deadline === 'number' && Number.isFinite(deadline) ? deadline : Infinity;
    const left = deadlineMs - Date.now() - DEADLINE_MARGIN_MILLIS;
    if (asked > 0 && left <= 0) throw new V2Error('ILLEGAL_POLLING_TIME', `the call's deadline leaves no time to poll (${Math.round(left + DEADLINE_MARGIN_MILLIS)} ms left)`);
    const pollMs = Math.max(0, Math.min(asked, MAX_POLL_MILLIS, left));
    const session = this.d.sessions.of(c);
    const abort = new AbortController();
    const onGone = () => abort.abort();
    call.once('cancelled', onGone);
    let result;
    try {
      result = await this.engine().receive({
        group,
        topic,
        // any queue of this broker: the client's queue id is not a choice (Node only ever names queue 0; the Proxy pops with -1 too)
        filter,
        maxMessages: Math.min(req.batchSize, MAX_BATCH),
        invisibleMs,
        fifo: g.consumeMessageOrderly,
        ...(req.attemptId ? { attemptId: req.attemptId } : {}),
        pollMs,
        signal: abort.signal,
        initMode: 'last',
        maxAttempts: g.retryMaxTimes + 1,
        clientId: c.clientId,
      });
    } catch (e) {
      throw v2Of(e);
    } finally {
      call.off('cancelled', onGone);
    }
    if (result.status === 'busy') throw new V2Error('TOO_MANY_REQUESTS', `polling full: ${result.reason}`);
    if (result.status === 'empty' || result.messages.length === 0) {
      if (!call.cancelled) call.write({ status: status('MESSAGE_NOT_FOUND', 'no new message') });
      return;
    }
    if (call.cancelled) {
      // the client is gone before it got them: visible again at once, the attempt not counted
      void this.engine().release(group, topic, result.messages.map((m) => m.receiptHandle)).catch(() => undefined);
      return;
    }
    call.write({ status: status('OK') });
    for (const m of result.messages) {
      let message;
      try {
        message = toV2Message(m.record, { receiptHandle: m.receiptHandle, deliveryAttempt: m.deliveryAttempt, invisibleMillis: invisibleMs, topic });
      } catch (e) {
        // a body we cannot inflate (LZ4/ZSTD from a remoting producer): not deliverable over v5
        this.d.log.warn('message not deliverable to a v5 consumer; sent to the dead-letter queue', { group, topic, msgId: m.msgId, err: e as Error });
        void this.engine().forwardToDeadLetter(group, topic, m.receiptHandle).catch(() => undefined);
        continue;
      }
      call.write({ message });
      if (req.autoRenew) this.renewed.set(m.receiptHandle, { group, topic, clientId: session.clientId, current: m.receiptHandle, invisibleUntil: m.invisibleUntil, since: Date.now() });
    }
    call.write({ deliveryTimestamp: timestampOf(result.popTime) });
  };

  /** The handle to act on for one the client holds (the latest, if the broker renewed it); forgets it when `done`. */
  private current(handle: string, done: boolean): string {
    const r = this.renewed.get(handle);
    if (r === undefined) return handle;
    if (done) this.renewed.delete(handle);
    return r.current;
  }

  ack = async (req: AckMessageRequest__Output, c: CallContext): Promise<AckMessageResponse> => {
    const group = req.group?.name ?? '';
    const topic = req.topic?.name ?? '';
    checkGroup(group);
    checkTopic(topic);
    c.authorize([{ group, topic }]);
    const entries = req.entries ?? [];
    if (entries.length === 0) throw new V2Error('BAD_REQUEST', 'no entry to ack');
    let results;
    try {
      results = await this.engine().ackMany(group, topic, entries.map((e) => this.current(e.receiptHandle, true)));
    } catch (e) {
      throw v2Of(e);
    }
    const out: AckMessageResultEntry[] = entries.map((e, i) => {
      const r = results[i];
      if (r === undefined || r.ok) return { messageId: e.messageId, receiptHandle: e.receiptHandle, status: status('OK') };
      return { messageId: e.messageId, receiptHandle: e.receiptHandle, status: status(HANDLE_CODE[r.problem], r.message) };
    });
    const ok = out.every((e) => e.status?.code === 'OK');
    return { status: out.length === 1 ? out[0]!.status! : ok ? status('OK') : status('MULTIPLE_RESULTS', 'some entries failed: see each entry'), entries: out };
  };

  changeInvisible = async (req: ChangeInvisibleDurationRequest__Output, c: CallContext): Promise<ChangeInvisibleDurationResponse> => {
    const group = req.group?.name ?? '';
    const topic = req.topic?.name ?? '';
    checkGroup(group);
    checkTopic(topic);
    c.authorize([{ group, topic }]);
    const ms = durationMillis(req.invisibleDuration);
    if (ms === undefined || ms < 0 || ms > MAX_INVISIBLE_MILLIS) throw new V2Error('ILLEGAL_INVISIBLE_TIME', `invisible_duration must be 0 to ${MAX_INVISIBLE_MILLIS / 3_600_000} h`);
    if (req.receiptHandle === '') throw new V2Error('INVALID_RECEIPT_HANDLE', 'receipt_handle is empty');
    let r;
    try {
      // a nack ends the broker's renewing: the client decided when the message comes back
      r = await this.engine().changeInvisible(group, topic, this.current(req.receiptHandle, true), ms);
    } catch (e) {
      throw v2Of(e);
    }
    if (!r.ok) throw new V2Error(HANDLE_CODE[r.problem], r.message);
    return { status: status('OK'), receiptHandle: r.receiptHandle };
  };

  forwardToDlq = async (req: ForwardMessageToDeadLetterQueueRequest__Output, c: CallContext): Promise<ForwardMessageToDeadLetterQueueResponse> => {
    const group = req.group?.name ?? '';
    const topic = req.topic?.name ?? '';
    checkGroup(group);
    checkTopic(topic);
    c.authorize([{ group, topic }]);
    if (req.receiptHandle === '') throw new V2Error('INVALID_RECEIPT_HANDLE', 'receipt_handle is empty');
    let r;
    try {
      r = await this.engine().forwardToDeadLetter(group, topic, this.current(req.receiptHandle, true));
    } catch (e) {
      throw v2Of(e);
    }
    if (!r.ok) throw new V2Error(HANDLE_CODE[r.problem], r.message);
    return { status: status('OK', `forwarded to ${r.dlqTopic}`) };
  };

  /**
   * QueryAssignment (PushConsumer): one assignment per master broker with readable queues, queue
   * id −1 = "receive from any queue of that broker" (the Proxy's answer for every group; FIFO
   * order is kept per message group by the engine, so FIFO groups need no per-queue split).
   */
  queryAssignment = async (req: QueryAssignmentRequest__Output, c: CallContext): Promise<QueryAssignmentResponse> => {
    const group = req.group?.name ?? '';
    const topic = req.topic?.name ?? '';
    checkGroup(group);
    checkTopic(topic);
    c.authorize([{ group, topic }]);
    this.groupConfig(group);
    const brokers = await this.d.routes.brokers(topic);
    if (brokers === undefined) throw new V2Error('TOPIC_NOT_FOUND', `topic ${topic} does not exist`);
    const accept = acceptedMessageTypes(this.d.ctx.topics.get(topic));
    const assignments = brokers
      .filter((b) => b.queue.readQueueNums > 0 && (b.queue.perm & 4) !== 0)
      .map((b) => ({ messageQueue: { topic: { name: topic, resourceNamespace: '' }, id: -1, permission: 'READ_WRITE' as const, broker: { name: b.brokerName, id: 0, endpoints: b.endpoints }, acceptMessageTypes: accept } }));
    if (assignments.length === 0) throw new V2Error('FORBIDDEN', `no readable queue of topic ${topic}`);
    this.d.sessions.heartbeat(this.d.sessions.of(c));
    return { status: status('OK'), assignments };
  };

  /** A client ended: its renewed deliveries come back soon instead of after their invisible time. */
  releaseClient(s: GrpcSession): void {
    const pop = this.d.pop();
    for (const [held, r] of [...this.renewed]) {
      if (r.clientId !== s.clientId) continue;
      this.renewed.delete(held);
      if (pop !== undefined) void pop.changeInvisible(r.group, r.topic, r.current, RELEASE_INVISIBLE_MILLIS).catch(() => undefined);
    }
  }

  private async renewDue(): Promise<void> {
    const pop = this.d.pop();
    if (this.renewing || pop === undefined || this.renewed.size === 0) return;
    this.renewing = true;
    try {
      const now = Date.now();
      for (const [held, r] of [...this.renewed]) {
        if (r.invisibleUntil - now > RENEW_AHEAD_MILLIS) continue;
        if (now - r.since > RENEW_MAX_MILLIS) {
          this.renewed.delete(held);
          continue;
        }
        try {
          const res = await pop.changeInvisible(r.group, r.topic, r.current, AUTO_RENEW_INVISIBLE_MILLIS);
          if (res.ok) {
            r.current = res.receiptHandle;
            r.invisibleUntil = res.invisibleUntil;
          } else this.renewed.delete(held);
        } catch (e) {
          this.d.log.debug('auto-renew failed', { group: r.group, topic: r.topic, err: e as Error });
        }
      }
    } finally {
      this.renewing = false;
    }
  }
}
