/**
 * How a CLUSTERING group shares a topic's queues (Java `AllocateMessageQueueAveragely`, which
 * ali-ons copies): queues sorted by topic, broker, queue id and consumer ids sorted, every member
 * computes the same split — consecutive runs of ⌊queues/consumers⌋ queues, the first
 * `queues mod consumers` members one more. A consumer the broker does not list gets nothing.
 */
import { compareMessageQueues, type MessageQueue } from '../../protocol/message-queue.js';

export type AllocateStrategy = (consumerGroup: string, currentCid: string, queues: readonly MessageQueue[], cids: readonly string[]) => MessageQueue[];

export const allocateAveragely: AllocateStrategy = (_group, currentCid, queues, cids) => {
  const mqAll = [...queues].sort(compareMessageQueues);
  const cidAll = [...cids].sort();
  const index = cidAll.indexOf(currentCid);
  if (index < 0 || mqAll.length === 0) return [];
  const mod = mqAll.length % cidAll.length;
  const base = Math.floor(mqAll.length / cidAll.length);
  const averageSize = mqAll.length <= cidAll.length ? 1 : mod > 0 && index < mod ? base + 1 : base;
  const startIndex = mod > 0 && index < mod ? index * averageSize : index * averageSize + mod;
  const range = Math.min(averageSize, mqAll.length - startIndex);
  const out: MessageQueue[] = [];
  for (let i = 0; i < range; i++) out.push(mqAll[(startIndex + i) % mqAll.length] as MessageQueue);
  return out;
};
