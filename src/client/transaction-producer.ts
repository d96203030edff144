/**
 * The transactional producer (Java `TransactionMQProducer`; docs/design/transactions.md): a send
 * in two phases, with the broker checking back when the second phase does not arrive.
 *
 *   const p = new TransactionProducer({
 *     namesrvAddrs, producerGroup: 'PG_ORDERS', topics: ['Orders'],
 *     executeLocalTransaction: async (msg) => (await db.placeOrder(msg.keys) ? 'COMMIT_MESSAGE' : 'ROLLBACK_MESSAGE'),
 *     checkLocalTransaction: async (msg) => ((await db.orderExists(msg.keys[0])) ? 'COMMIT_MESSAGE' : 'UNKNOW'),
 *   });
 *   await p.start();                       // routes of `topics`, heartbeats: the brokers can ask it
 *   const r = await p.sendMessageInTransaction({ topic: 'Orders', body, keys: ['order-1'] });
 *   r.localTransactionState                // what the executer said; r.endTransactionError if ending failed
 *   p.shutdown();
 *
 * 1. The message goes out as a half message (TRAN_MSG=true, PGROUP, sysFlag TRANSACTION_PREPARED):
 *    stored by the broker, invisible to consumers. A send that fails throws; the local transaction
 *    is not run.
 * 2. The local transaction runs (an executer that throws counts as UNKNOW). A half stored with a
 *    FLUSH_*_TIMEOUT / SLAVE_NOT_AVAILABLE status is rolled back without running it, as Java does.
 * 3. COMMIT_MESSAGE / ROLLBACK_MESSAGE go to the broker as END_TRANSACTION (a request here, oneway
 *    in Java, so a failure is reported in the result instead of lost); UNKNOW sends nothing.
 * 4. A half left unresolved is checked back by its broker after transactionTimeOut, every
 *    transactionCheckInterval, at most transactionCheckMax times: CHECK_TRANSACTION_STATE arrives
 *    on this producer's connection (it heartbeats its producer group to every broker it knows, so
 *    it is asked even before its first send), `checkLocalTransaction` answers, and the answer goes
 *    back as END_TRANSACTION with fromTransactionCheck=true. UNKNOW (or a checker that throws)
 *    answers nothing: the broker asks again later.
 *
 * Delayed, batched and retry-topic messages cannot be transactional. The producer group must be
 * this producer's alone: a check goes to any connected producer of the group.
 */
import { RmqError } from '../errors.js';
import { decodeHeader, encodeHeader } from '../protocol/header-spec.js';
import { CheckTransactionStateRequestHeader, EndTransactionRequestHeader } from '../protocol/headers/broker.js';
import { NAME_VALUE_SEPARATOR, PropertyKey, PROPERTY_SEPARATOR, SysFlag } from '../protocol/message/constants.js';
import { parseOffsetMsgId } from '../protocol/message/msg-id.js';
import { decodeRecord } from '../protocol/message/record.js';
import { isRetryTopic } from '../protocol/topic-names.js';
import { RequestCode } from '../remoting/codes.js';
import { createRequest, type RemotingCommand } from '../remoting/command.js';
import { HandlerTable } from '../remoting/dispatcher.js';
import { ownConnectionOptions, RemotingClient } from '../remoting/client.js';
import { guessLocalAddress } from '../util/local-address.js';
import { silentLogger, type Logger } from '../util/log.js';
import { toConsumedMessage, type ConsumedMessage } from './consumer/consumed-message.js';
import { GroupApi } from './group-api.js';
import { InvalidMessageError, type Message } from './message.js';
import { Producer, type Prepared, type ProducerOptions, type SendResult } from './producer.js';

/** Java's `LocalTransactionState` (UNKNOW spelt as Java spells it). */
export type LocalTransactionState = 'COMMIT_MESSAGE' | 'ROLLBACK_MESSAGE' | 'UNKNOW';

/** The message a local transaction runs for: as sent, with the ids the broker gave it. */
export type TransactionMessage = Message & { msgId: string; transactionId: string };

export type LocalTransactionExecuter = (msg: TransactionMessage, arg: unknown) => LocalTransactionState | Promise<LocalTransactionState>;
/** Answers a broker's check: the message as stored (its properties, keys, body), transactionId = msgId. */
export type LocalTransactionChecker = (msg: ConsumedMessage & { transactionId: string }) => LocalTransactionState | Promise<LocalTransactionState>;

export interface TransactionProducerOptions extends Omit<ProducerOptions, 'remoting'> {
  /** Answers the brokers' checks (Java TransactionListener.checkLocalTransaction). */
  checkLocalTransaction: LocalTransactionChecker;
  /** The local transaction of a send that names none (Java TransactionListener.executeLocalTransaction). */
  executeLocalTransaction?: LocalTransactionExecuter;
  /** Topics whose brokers are told about this producer at start (so checks reach it before its first send). */
  topics?: readonly string[];
  /** Heartbeat to the brokers this often (default 30 s, Java's heartbeatBrokerInterval). */
  heartbeatBrokerIntervalMillis?: number;
  /** The client id the brokers see (default `ip@pid#n`). */
  instanceName?: string;
  /** Told after each check answered: the message, the checker's answer, and why ending it failed. */
  onCheckAnswered?: (e: { msgId: string; state: LocalTransactionState; error?: string }) => void;
}

export interface TransactionSendResult extends SendResult {
  transactionId: string;
  localTransactionState: LocalTransactionState;
  /** Why END_TRANSACTION failed (the broker will check back, so the outcome still comes). */
  endTransactionError?: string;
  /**
   * The broker's remark on an end it accepted but could not store as far as asked:
   * FLUSH_SLAVE_TIMEOUT / SLAVE_NOT_AVAILABLE (on the master, not yet on a SYNC_MASTER's slave),
   * FLUSH_DISK_TIMEOUT (SYNC_FLUSH); or "already committed" for a transaction a check had ended.
   * Java's oneway END_TRANSACTION never learns this.
   */
  endTransactionRemark?: string;
}

/** Counters since start. */
export interface TransactionProducerStats {
  checks: number;
  checkAnswers: Record<LocalTransactionState, number>;
  checkFailures: number;
}

let instances = 0;

export class TransactionProducer extends Producer {
  readonly clientId: string;
  readonly stats: TransactionProducerStats = { checks: 0, checkAnswers: { COMMIT_MESSAGE: 0, ROLLBACK_MESSAGE: 0, UNKNOW: 0 }, checkFailures: 0 };
  private readonly own: RemotingClient;
  private readonly groups: GroupApi;
  private readonly tlog: Logger;
  /** Topics whose brokers hear this producer's heartbeats: the declared ones and every one sent to. */
  private readonly topics = new Set<string>();
  private readonly brokers = new Set<string>();
  private heartbeatTimer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(private readonly topts: TransactionProducerOptions) {
    if ((topts as ProducerOptions).remoting !== undefined) throw new RmqError('TransactionProducer opens its own connections (the brokers send their checks on them): do not pass `remoting`');
    const log = topts.logger ?? silentLogger;
    const dispatcher = new HandlerTable();
    const own = new RemotingClient({ dispatcher, logger: log.child('remoting'), ...ownConnectionOptions(topts, 'TransactionProducer') });
    const { credentials: _c, tls: _t, ...rest } = topts;
    super({ ...rest, remoting: own });
    this.own = own;
    this.tlog = log;
    this.groups = new GroupApi(own, 3_000);
    for (const t of topts.topics ?? []) this.topics.add(t);
    this.clientId = `${guessLocalAddress()}@${topts.instanceName ?? `${process.pid}#${++instances}`}`;
    dispatcher.on(RequestCode.CHECK_TRANSACTION_STATE, (req, conn) => {
      void this.onCheck(req, conn.remoteAddress);
      return null; // oneway
    });
  }

  /** Learns the brokers of `topics` and heartbeats to them (again every heartbeatBrokerIntervalMillis). */
  async start(): Promise<void> {
    for (const t of this.topics) await this.route(t); // fails on a topic without a route
    await this.heartbeatAll();
    this.heartbeatTimer ??= setInterval(() => void this.heartbeatAll(), this.topts.heartbeatBrokerIntervalMillis ?? 30_000);
    this.heartbeatTimer.unref();
  }

  /**
   * Sends `m` as a half message, runs the local transaction (`executer`, else the producer's
   * executeLocalTransaction) and ends the transaction as it says. Throws when the half message
   * could not be sent (nothing is stored then, and the local transaction did not run).
   */
  async sendMessageInTransaction(m: Message, executer?: LocalTransactionExecuter, arg?: unknown): Promise<TransactionSendResult> {
    const run = executer ?? this.topts.executeLocalTransaction;
    if (run === undefined) throw new RmqError('sendMessageInTransaction needs a local transaction executer (argument, or executeLocalTransaction in the options)');
    if (isRetryTopic(m.topic)) throw new InvalidMessageError(`a transactional message cannot go to a retry topic (${m.topic})`);
    if ((m.delayTimeLevel ?? 0) > 0) throw new InvalidMessageError('a transactional message cannot be delayed (delayTimeLevel): RocketMQ does not support it');
    const sent = await this.sendPrepared(this.prepareHalf(m), this.sendTimeout());
    const addr = (await this.route(m.topic)).brokerAddrs.get(sent.messageQueue.brokerName);
    this.topics.add(m.topic);
    if (addr !== undefined && !this.brokers.has(addr)) {
      this.brokers.add(addr);
      void this.heartbeat(addr);
    }
    const transactionId = sent.transactionId ?? sent.msgId;
    let state: LocalTransactionState;
    if (sent.sendStatus !== 'SEND_OK') state = 'ROLLBACK_MESSAGE';
    else {
      try {
        state = await run({ ...m, msgId: sent.msgId, transactionId }, arg);
        if (state !== 'COMMIT_MESSAGE' && state !== 'ROLLBACK_MESSAGE' && state !== 'UNKNOW') state = 'UNKNOW';
      } catch (e) {
        this.tlog.warn('local transaction failed: state unknown, the broker will check back', { msgId: sent.msgId, err: e as Error });
        state = 'UNKNOW';
      }
    }
    const result: TransactionSendResult = { ...sent, transactionId, localTransactionState: state };
    if (state === 'UNKNOW') return result;
    try {
      // the master as the route names it now, as Java's endTransaction looks it up: one that took
      // over during the local transaction (a promoted slave has the half at the same offsets) gets the end
      const endAddr = (await this.route(m.topic)).brokerAddrs.get(sent.messageQueue.brokerName) ?? addr;
      if (endAddr === undefined) throw new RmqError(`broker ${sent.messageQueue.brokerName} is no longer in the route of ${m.topic}`);
      const commitLogOffset = parseOffsetMsgId(sent.offsetMsgId).commitLogOffset;
      const remark = await this.endTransaction(endAddr, { topic: m.topic, commitLogOffset, tranStateTableOffset: sent.queueOffset, msgId: sent.msgId, transactionId, state, fromCheck: false });
      if (remark !== undefined && remark !== '') result.endTransactionRemark = remark;
    } catch (e) {
      result.endTransactionError = (e as Error).message;
      this.tlog.warn('ending the transaction failed: the broker will check back', { msgId: sent.msgId, state, err: e as Error });
    }
    return result;
  }

  override shutdown(): void {
    if (this.stopped) return;
    this.stopped = true;
    if (this.heartbeatTimer !== undefined) clearInterval(this.heartbeatTimer);
    this.heartbeatTimer = undefined;
    const brokers = [...this.brokers];
    super.shutdown();
    // leave the group on every broker (Java unregisterProducer), then close
    void Promise.allSettled(brokers.map((addr) => this.groups.unregisterClient(addr, this.clientId, { producerGroup: this.producerGroup }))).finally(() => this.own.shutdown());
  }

  private sendTimeout(): number {
    return this.topts.sendTimeoutMillis ?? 10_000;
  }

  /** The half message: TRAN_MSG=true and PGROUP added, sysFlag TRANSACTION_PREPARED (DefaultMQProducerImpl.sendMessageInTransaction). */
  private prepareHalf(m: Message): Prepared {
    const p = this.prepare(m);
    const extra = `${PropertyKey.TRANSACTION_PREPARED}${NAME_VALUE_SEPARATOR}true${PROPERTY_SEPARATOR}${PropertyKey.PRODUCER_GROUP}${NAME_VALUE_SEPARATOR}${this.producerGroup}${PROPERTY_SEPARATOR}`;
    return { ...p, properties: p.properties + extra, sysFlag: p.sysFlag | SysFlag.TRANSACTION_PREPARED_TYPE };
  }

  /** END_TRANSACTION; resolves with the broker's remark (set when the end was not stored as far as asked). */
  private async endTransaction(addr: string, e: { topic: string; commitLogOffset: number; tranStateTableOffset: number; msgId: string; transactionId: string; state: Exclude<LocalTransactionState, 'UNKNOW'>; fromCheck: boolean }): Promise<string | undefined> {
    const extFields = encodeHeader(EndTransactionRequestHeader, {
      topic: e.topic,
      producerGroup: this.producerGroup,
      tranStateTableOffset: e.tranStateTableOffset,
      commitLogOffset: e.commitLogOffset,
      commitOrRollback: e.state === 'COMMIT_MESSAGE' ? SysFlag.TRANSACTION_COMMIT_TYPE : SysFlag.TRANSACTION_ROLLBACK_TYPE,
      fromTransactionCheck: e.fromCheck,
      msgId: e.msgId,
      transactionId: e.transactionId,
    });
    return (await this.own.requestOk(addr, createRequest(RequestCode.END_TRANSACTION, { extFields }), 3_000)).remark;
  }

  /** CHECK_TRANSACTION_STATE from a broker: ask the checker, answer with END_TRANSACTION(fromTransactionCheck). */
  private async onCheck(req: RemotingCommand, brokerAddr: string): Promise<void> {
    this.stats.checks++;
    let state: LocalTransactionState;
    let msg: ConsumedMessage;
    let h;
    try {
      h = decodeHeader(CheckTransactionStateRequestHeader, req.extFields);
      if (req.body === undefined) throw new RmqError('the check carries no message');
      const rec = decodeRecord(req.body);
      msg = toConsumedMessage(rec, { topic: rec.topic, brokerName: '', queueId: rec.queueId }, this.producerGroup);
      const group = msg.properties.get(PropertyKey.PRODUCER_GROUP);
      if (group !== undefined && group !== this.producerGroup) throw new RmqError(`the check is for producer group ${group}, this producer is ${this.producerGroup}`);
    } catch (e) {
      this.stats.checkFailures++;
      this.tlog.warn('transaction check from the broker could not be read', { broker: brokerAddr, err: e as Error });
      return;
    }
    try {
      state = await this.topts.checkLocalTransaction({ ...msg, transactionId: h.transactionId ?? msg.msgId });
      if (state !== 'COMMIT_MESSAGE' && state !== 'ROLLBACK_MESSAGE') state = 'UNKNOW';
    } catch (e) {
      this.tlog.warn('transaction checker failed: state unknown, the broker will check again', { msgId: msg.msgId, err: e as Error });
      state = 'UNKNOW';
    }
    this.stats.checkAnswers[state]++;
    let error: string | undefined;
    if (state !== 'UNKNOW' && !this.stopped) {
      try {
        await this.endTransaction(brokerAddr, { topic: msg.topic, commitLogOffset: h.commitLogOffset, tranStateTableOffset: h.tranStateTableOffset, msgId: h.msgId ?? msg.msgId, transactionId: h.transactionId ?? msg.msgId, state, fromCheck: true });
      } catch (e) {
        this.stats.checkFailures++;
        error = (e as Error).message;
        this.tlog.warn('answering a transaction check failed: the broker will check again', { msgId: msg.msgId, state, err: e as Error });
      }
    }
    this.topts.onCheckAnswered?.({ msgId: msg.msgId, state, ...(error !== undefined ? { error } : {}) });
  }

  /** Heartbeats to the masters of every topic this producer knows (routes change: a new master is told too). */
  private async heartbeatAll(): Promise<void> {
    for (const t of this.topics) {
      try {
        for (const addr of (await this.route(t)).brokerAddrs.values()) this.brokers.add(addr);
      } catch (e) {
        this.tlog.debug('no route for a topic of the transactional producer', { topic: t, err: e as Error });
      }
    }
    await Promise.all([...this.brokers].map((addr) => this.heartbeat(addr)));
  }

  private async heartbeat(addr: string): Promise<void> {
    if (this.stopped) return;
    try {
      await this.groups.heartbeat(addr, { clientID: this.clientId, producerDataSet: [{ groupName: this.producerGroup }], consumerDataSet: [], heartbeatFingerprint: 0, withoutSub: false });
    } catch (e) {
      this.tlog.debug('heartbeat to a broker failed', { broker: addr, err: e as Error });
    }
  }
}
