/**
 * `rmqctl message send --transactional`: one transactional message, both phases, to see them work.
 *
 *   commit     half message, local transaction says COMMIT_MESSAGE → END_TRANSACTION commit: visible
 *   rollback   half message, local transaction says ROLLBACK_MESSAGE → rollback: never visible
 *   check      half message, local transaction says UNKNOW → nothing is sent; the command stays
 *              connected as a producer of the group and waits for the broker to check back
 *              (after transactionTimeOut, every transactionCheckInterval), answering each check
 *              about its message with `checkAnswer` (UNKNOW leaves it to the next check), until the
 *              transaction has ended or `checkTimeoutMillis` passed.
 */
import type { Credentials } from '../remoting/acl-signature.js';
import type { ClientTls } from '../remoting/tls-config.js';
import type { Message } from '../client/message.js';
import { TransactionProducer, type LocalTransactionState, type TransactionSendResult } from '../client/transaction-producer.js';

export type TransactionalMode = 'commit' | 'rollback' | 'check';

export interface TransactionalSendOptions {
  namesrvAddrs: string[];
  producerGroup: string;
  credentials?: Credentials;
  tls?: ClientTls;
  sendTimeoutMillis: number;
  autoCreateTopic: boolean;
  mode: TransactionalMode;
  /** check mode: what the checker answers about this message. */
  checkAnswer: LocalTransactionState;
  /** check mode: give up waiting after this long (ms). */
  checkTimeoutMillis: number;
}

export type TransactionalEvent =
  | { kind: 'half'; result: TransactionSendResult }
  | { kind: 'waiting'; timeoutMillis: number }
  | { kind: 'check'; n: number; answer: LocalTransactionState; error?: string };

export interface TransactionalSendOutput extends TransactionSendResult {
  topic: string;
  /** How it ended: committed, rolled back, or still open (the broker keeps checking). */
  outcome: 'committed' | 'rolled back' | 'open';
  /** Checks the broker made about this message (check mode). */
  checks: number;
  /** Why the transaction did not end as asked. */
  error?: string;
}

export async function sendTransactional(m: Message, o: TransactionalSendOptions, onEvent: (e: TransactionalEvent) => void = () => undefined): Promise<TransactionalSendOutput> {
  let msgId: string | undefined;
  let checks = 0;
  let settle: ((r: { state: LocalTransactionState; error?: string }) => void) | undefined;
  const ended = new Promise<{ state: LocalTransactionState; error?: string }>((r) => (settle = r));
  const answerFor = (id: string): LocalTransactionState => (id === msgId ? o.checkAnswer : 'UNKNOW');
  const producer = new TransactionProducer({
    namesrvAddrs: o.namesrvAddrs,
    producerGroup: o.producerGroup,
    sendTimeoutMillis: o.sendTimeoutMillis,
    autoCreateTopic: o.autoCreateTopic,
    topics: [m.topic],
    ...(o.credentials ? { credentials: o.credentials } : {}),
    ...(o.tls ? { tls: o.tls } : {}),
    checkLocalTransaction: (msg) => answerFor(msg.msgId),
    onCheckAnswered: (e) => {
      if (e.msgId !== msgId) return;
      checks++;
      onEvent({ kind: 'check', n: checks, answer: e.state, ...(e.error !== undefined ? { error: e.error } : {}) });
      if (e.state !== 'UNKNOW') settle?.({ state: e.state, ...(e.error !== undefined ? { error: e.error } : {}) });
    },
  });
  try {
    if (o.mode === 'check') await producer.start(); // the broker must know this producer before it checks
    const state: LocalTransactionState = o.mode === 'commit' ? 'COMMIT_MESSAGE' : o.mode === 'rollback' ? 'ROLLBACK_MESSAGE' : 'UNKNOW';
    const r = await producer.sendMessageInTransaction(m, (sent) => {
      msgId = sent.msgId;
      return state;
    });
    onEvent({ kind: 'half', result: r });
    const out: TransactionalSendOutput = { ...r, topic: m.topic, outcome: 'open', checks: 0 };
    if (o.mode !== 'check') {
      if (r.endTransactionError !== undefined) return { ...out, error: r.endTransactionError };
      return { ...out, outcome: r.localTransactionState === 'COMMIT_MESSAGE' ? 'committed' : r.localTransactionState === 'ROLLBACK_MESSAGE' ? 'rolled back' : 'open' };
    }
    onEvent({ kind: 'waiting', timeoutMillis: o.checkTimeoutMillis });
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<undefined>((r) => (timer = setTimeout(() => r(undefined), o.checkTimeoutMillis)));
    const end = await Promise.race([ended, timedOut]);
    clearTimeout(timer);
    if (end === undefined) {
      return { ...out, checks, error: `no check answered ${o.checkAnswer} within ${o.checkTimeoutMillis} ms (${checks} check(s) came): the broker checks half messages older than transactionTimeOut every transactionCheckInterval; the transaction stays open and is checked again with producers of group ${o.producerGroup}` };
    }
    if (end.error !== undefined) return { ...out, checks, error: end.error };
    return { ...out, checks, outcome: end.state === 'COMMIT_MESSAGE' ? 'committed' : 'rolled back' };
  } finally {
    producer.shutdown();
  }
}
