/**
 * Receipt handles in RocketMQ's extraInfo layout (ExtraInfoUtil.buildExtraInfo plus the commit-log
 * offset the Proxy appends, ReceiptHandle.encode), space separated:
 *
 *   ckOffset popTime invisibleTime reviveQid topicType brokerName queueId queueOffset [commitLogOffset]
 *
 * so a Java remoting client that gets it as a message's POP_CK property parses it unchanged, acks
 * with it (ACK_MESSAGE, or BATCH_ACK_MESSAGE, which merges handles by ckOffset and popTime) and
 * rebuilds it after CHANGE_MESSAGE_INVISIBLETIME from the response's popTime, invisibleTime and
 * reviveQid (then without the commit-log offset, and with ckOffset = the message's offset).
 *
 * Our values: ckOffset = the message's queue offset (one "checkpoint" per message, so batch acks
 * never merge two deliveries); reviveQid = the delivery's nonce, 31 random bits (the only slot
 * that survives the client's rebuild besides the times); topicType 0 (we redeliver from the
 * original queue, never from a retry topic). A delivery is identified by queue, offset, popTime,
 * invisibleTime and nonce together: forging one means guessing 31 random bits and the pop time.
 */
import crypto from 'node:crypto';
import type { ReceiptHandleFields } from './types.js';

/** RocketMQ's KeyBuilder.POP_ORDER_REVIVE_QUEUE (ExtraInfoUtil.isOrder): never used as a nonce. */
const ORDER_REVIVE_QID = 999;

const DIGITS = /^\d{1,16}$/;
/** Broker names are RocketMQ names: no spaces (a space would shift every later field). */
const BROKER_NAME = /^[^\s]{1,255}$/;

/** Random bytes drawn 4 KiB at a time (one getrandom per 1,024 nonces, not one per delivery). */
const pool = Buffer.allocUnsafe(4096);
let poolAt = pool.length;

/** A random nonce in [1, 2^31): never 0 (an entry with no delivery in flight) nor 999. */
export function newNonce(): number {
  for (;;) {
    if (poolAt + 4 > pool.length) {
      crypto.randomFillSync(pool);
      poolAt = 0;
    }
    const n = pool.readUInt32BE(poolAt) & 0x7fffffff;
    poolAt += 4;
    if (n !== 0 && n !== ORDER_REVIVE_QID) return n;
  }
}

export function encodeHandle(f: ReceiptHandleFields): string {
  return `${f.queueOffset} ${f.popTime} ${f.invisibleMs} ${f.nonce} 0 ${f.brokerName} ${f.queueId} ${f.queueOffset} ${f.commitLogOffset}`;
}

/** The fields of a handle, or undefined when it is not one of ours in form (never throws). */
export function decodeHandle(handle: string): ReceiptHandleFields | undefined {
  if (typeof handle !== 'string' || handle.length > 512) return undefined;
  const p = handle.split(' ');
  if (p.length !== 8 && p.length !== 9) return undefined;
  const [ck, popTime, invisible, nonce, topicType, brokerName, queueId, queueOffset, phys] = p as [string, string, string, string, string, string, string, string, string | undefined];
  if (topicType !== '0' || !BROKER_NAME.test(brokerName)) return undefined;
  for (const s of [ck, popTime, invisible, nonce, queueId, queueOffset, phys ?? '0']) if (!DIGITS.test(s)) return undefined;
  const f: ReceiptHandleFields = {
    nonce: Number(nonce),
    popTime: Number(popTime),
    invisibleMs: Number(invisible),
    brokerName,
    queueId: Number(queueId),
    queueOffset: Number(queueOffset),
    commitLogOffset: phys === undefined ? -1 : Number(phys),
  };
  if (f.nonce === 0 || f.nonce > 0x7fffffff || f.queueId > 0x7fffffff || Number(ck) !== f.queueOffset) return undefined;
  if (!Number.isSafeInteger(f.popTime + f.invisibleMs) || !Number.isSafeInteger(f.queueOffset) || !Number.isSafeInteger(f.commitLogOffset)) return undefined;
  return f;
}
