/**
 * The POP consumption engine's interface (#15): what the v5 MessagingService (broker/grpc) and the
 * remoting POP codes (POP_MESSAGE 200050, ACK_MESSAGE 200051, CHANGE_MESSAGE_INVISIBLETIME 200053,
 * BATCH_ACK_MESSAGE 200151) call. The engine lives in the broker (`ctx.pop`, a PopService);
 * master only — on a slave every call throws PopError('NOT_MASTER').
 *
 * Design (docs/design/pop.md; details in engine.ts / journal.ts):
 * - No copies: a popped message stays where it is. Per (group, topic, queue) the engine keeps the
 *   group's pop offset (everything below it was handed out or filtered away) and the in-flight
 *   entries below it: offset -> (delivery nonce, popTime, invisible time, attempts so far). An
 *   entry leaves on ack, change-invisible replaces its nonce, expiry (visibleAt <= now) makes it
 *   visible again: the next receive delivers it again with attempt + 1, or, past the group's max
 *   attempts (retryMaxTimes + 1, default 17), forwards a copy to `%DLQ%<group>` and drops it.
 * - The group's consumer offset is the lowest offset still in flight (or the pop offset), committed
 *   to the broker's consumer offsets, so `group describe` lag counts unacked messages.
 * - Durable: every state change is a record in the POP journal, a system topic of the broker's own
 *   commit log (`rmq_sys_POP_JOURNAL`, queue 0; flushed per the broker's flush mode, replicated to
 *   slaves like any message), plus a periodic snapshot; a restart (kill -9 included) loads the
 *   snapshot and replays the journal after it. Receive and ack answer only once their journal
 *   record is stored (written for ASYNC_FLUSH, fsynced for SYNC_FLUSH), so an acked message is
 *   never delivered again after a restart; window: an ack whose answer the client never got.
 * - Receipt handle: RocketMQ's extraInfo layout, so Java remoting clients parse it unchanged:
 *   `queueOffset popTime invisibleTime nonce 0 brokerName queueId queueOffset commitLogOffset`
 *   (handle.ts). The nonce (31 random bits, in RocketMQ's reviveQid slot) is kept in the entry: a
 *   handle is valid only while its entry is in flight with that nonce, pop time and invisible time,
 *   and before it expires — forged, replaced (changed or redelivered), acked, expired and other
 *   groups' handles all fail without changing any state.
 * - FIFO (fifo: true): within a queue, a message of a message group (property __SHARDINGKEY) is
 *   delivered only when no earlier message of the same group is in flight (strictly one in flight
 *   per message group); messages without a group are not ordered. A receive repeated with the same
 *   attemptId while that batch is in flight gets the same messages again (new handles, same attempt).
 * - Long polling: a receive that finds nothing waits up to pollMs for a message arrival, an
 *   in-flight message becoming visible, a nack or (FIFO) an ack; waiters are bounded
 *   (maxPollers): past it a receive answers { status: 'busy' } (gRPC TOO_MANY_REQUESTS, remoting
 *   POLLING_FULL).
 */
import type { MessageRecord } from '../../protocol/message/record.js';

/** A receive's filter. SQL92 needs enablePropertyFilter=true on the broker (else PopError 'UNSUPPORTED_FILTER'); a bad expression is PopError 'BAD_FILTER'. Messages a filter does not take are done for the group (auto-acked, as RocketMQ does). */
export type PopFilter =
  | { type: 'TAG'; /** `*`, '' or `TagA || TagB` */ expression: string }
  | { type: 'SQL92'; expression: string };

/** Where a group that never consumed a queue starts: its first message, or (RocketMQ's MAX) its end — except a queue whose first message (offset 0) is still there, which starts at 0 as RocketMQ's initPopOffsetByCheckMsgInMem does. */
export type PopInitMode = 'first' | 'last';

export interface ReceiveRequest {
  group: string;
  topic: string;
  /** One queue of this broker; absent (or -1): any queue of the topic here (v5 clients). */
  queueId?: number;
  filter: PopFilter;
  /** 1..32 (more is clamped to 32). */
  maxMessages: number;
  /** How long received messages stay invisible to the group (ms, 0 < x <= 12 h). */
  invisibleMs: number;
  /** Deliver in order per message group (the group's consumeMessageOrderly, or the client's `fifo`). */
  fifo: boolean;
  /** FIFO: the client's attempt id; a receive retried with the same id gets the same in-flight batch again. */
  attemptId?: string;
  /** Long poll: wait up to this long (ms) when nothing is visible; 0 answers at once. */
  pollMs: number;
  /** Aborted when the client went away: the receive ends at once with nothing (no delivery is made after). */
  signal?: AbortSignal;
  /** Default 'last' (what the Proxy asks for v5 clients). */
  initMode?: PopInitMode;
  /** Max deliveries before the dead-letter queue; default: the subscription group's retryMaxTimes + 1. */
  maxAttempts?: number;
  /** Who asked (logs only). */
  clientId?: string;
}

/** One delivered message. */
export interface PoppedMessage {
  /** The stored message, as stored except `reconsumeTimes` = stored value + (deliveryAttempt − 1). */
  record: MessageRecord;
  /** `record.properties` decoded. */
  properties: ReadonlyMap<string, string>;
  /** Property TAGS, if any. */
  tags: string | undefined;
  /** Property KEYS split on spaces. */
  keys: string[];
  /** The client's message id (UNIQ_KEY), else the stored offset msgId. */
  msgId: string;
  /** The message group (__SHARDINGKEY) of a FIFO message. */
  messageGroup: string | undefined;
  /** Opaque; identifies this delivery (see the module comment). */
  receiptHandle: string;
  /** 1 on the first delivery, +1 at each redelivery. */
  deliveryAttempt: number;
  /** When it becomes visible again unless acked or changed (epoch ms). */
  invisibleUntil: number;
  /** The first delivery's time (RocketMQ's 1ST_POP_TIME). */
  firstPopTime: number;
}

export type ReceiveResult =
  | { status: 'found'; messages: PoppedMessage[]; /** when they were popped (epoch ms) */ popTime: number }
  /** Nothing visible within pollMs (or the signal aborted). */
  | { status: 'empty' }
  /** Too many receives already waiting on this broker: retry later (TOO_MANY_REQUESTS / POLLING_FULL). */
  | { status: 'busy'; reason: string };

/** Why a handle was refused; every refusal leaves all state as it was. */
export type HandleProblem =
  /** Not a handle this broker made (syntax, wrong broker name, forged, or another group's / topic's). */
  | 'INVALID'
  /** Its invisible time has run out (popTime + invisibleTime <= now). */
  | 'EXPIRED'
  /** Well-formed and ours, but that delivery is no longer in flight: acked, dead-lettered, changed (replaced by a newer handle) or redelivered. */
  | 'NOT_IN_FLIGHT';

export type AckResult = { ok: true } | { ok: false; problem: HandleProblem; message: string };

export type ChangeInvisibleResult =
  | { ok: true; receiptHandle: string; invisibleUntil: number }
  | { ok: false; problem: HandleProblem; message: string };

export type ForwardResult = { ok: true; dlqTopic: string } | { ok: false; problem: HandleProblem; message: string };

/** What PopService calls throw (besides handle problems, which are results). */
export type PopErrorKind =
  | 'BAD_REQUEST'
  | 'TOPIC_NOT_FOUND'
  | 'GROUP_NOT_FOUND'
  | 'FORBIDDEN'
  | 'NOT_MASTER'
  | 'UNSUPPORTED_FILTER'
  /** The filter expression does not parse. */
  | 'BAD_FILTER'
  /** The journal record could not be stored (disk full, store closed, flush timeout...). */
  | 'STORE_FAILED'
  | 'SHUTTING_DOWN';

export class PopError extends Error {
  override readonly name = 'PopError';
  constructor(
    readonly kind: PopErrorKind,
    message: string,
  ) {
    super(message);
  }
}

/** In-flight counts (messages delivered and not yet acked / dead-lettered; expired ones included until redelivered). */
export interface InflightCount {
  group: string;
  topic: string;
  queueId: number;
  /** Messages in flight (invisible now). */
  invisible: number;
  /** Delivered, expired, waiting to be delivered again. */
  expired: number;
  /** FIFO: messages held back behind an in-flight message of their message group. */
  blocked: number;
  /** The group's pop offset: everything below was handed out or filtered out. */
  popOffset: number;
  /** The lowest offset not acked yet (= the consumer offset the engine commits). */
  ackOffset: number;
}

export interface PopStats {
  /** Receives waiting (long polls) now, and the limit. */
  pollers: number;
  maxPollers: number;
  /** In-flight entries held in memory over all groups. */
  inflight: number;
  journal: { records: number; appends: number; lastSnapshotAt: number; snapshotJournalOffset: number };
}

/**
 * The engine as the protocol layers see it. Handles are checked against `group` and `topic`: a
 * handle of another group or topic is INVALID. Every method throws PopError('NOT_MASTER') on a slave.
 */
export interface PopService {
  receive(req: ReceiveRequest): Promise<ReceiveResult>;
  /** Acks one delivery. */
  ack(group: string, topic: string, receiptHandle: string): Promise<AckResult>;
  /** Acks several deliveries with one journal record (gRPC AckMessage entries, remoting BATCH_ACK); results in order. */
  ackMany(group: string, topic: string, receiptHandles: readonly string[]): Promise<AckResult[]>;
  /**
   * The delivery stays in flight `invisibleMs` from now (0: visible at once — a nack); answers a new
   * handle, the old one is invalid from then on. Does not count an attempt (the next delivery does).
   * The PushConsumer's auto-renew is this call with the same duration.
   */
  changeInvisible(group: string, topic: string, receiptHandle: string, invisibleMs: number): Promise<ChangeInvisibleResult>;
  /**
   * Takes back deliveries that never reached their client (the stream broke after receive
   * answered): visible again at once and the attempt not counted, as if never delivered. Handle
   * problems as for ack.
   */
  release(group: string, topic: string, receiptHandles: readonly string[]): Promise<AckResult[]>;
  /** Copies the delivered message to `%DLQ%<group>` and removes it from flight (ForwardMessageToDeadLetterQueue). */
  forwardToDeadLetter(group: string, topic: string, receiptHandle: string): Promise<ForwardResult>;
  /** Decodes a handle without checking it (for logs / the gRPC layer's bookkeeping); undefined when malformed. */
  parseHandle(receiptHandle: string): ReceiptHandleFields | undefined;
  /** In-flight counts, optionally of one group and/or topic. */
  inflight(filter?: { group?: string; topic?: string }): InflightCount[];
  stats(): PopStats;
}

/** A receipt handle's fields (handle.ts has the layout). */
export interface ReceiptHandleFields {
  /** 31 random bits per delivery (RocketMQ's reviveQid slot). */
  nonce: number;
  popTime: number;
  invisibleMs: number;
  brokerName: string;
  queueId: number;
  queueOffset: number;
  /** -1 when the handle does not carry it (a Java client's handle rebuilt after a change). */
  commitLogOffset: number;
}
