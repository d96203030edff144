/**
 * A queue of a topic on one broker group (Java `MessageQueue`), the unit consumers are assigned and
 * offsets are kept for; JSON as fastjson writes it (fields in alphabetical order).
 */
import type { JsonCheck } from './json-check.js';

export interface MessageQueue {
  topic: string;
  brokerName: string;
  queueId: number;
}

/** Java's MessageQueue.compareTo: topic, then brokerName, then queueId. */
export function compareMessageQueues(a: MessageQueue, b: MessageQueue): number {
  if (a.topic !== b.topic) return a.topic < b.topic ? -1 : 1;
  if (a.brokerName !== b.brokerName) return a.brokerName < b.brokerName ? -1 : 1;
  return a.queueId - b.queueId;
}

/** A map/set key for a queue. */
export function messageQueueKey(q: MessageQueue): string {
  return `${q.topic}\u0000${q.brokerName}\u0000${q.queueId}`;
}

/** `topic@brokerName#queueId`, for logs and messages. */
export function formatMessageQueue(q: MessageQueue): string {
  return `${q.topic}@${q.brokerName}#${q.queueId}`;
}

/** The queue as a fastjson object (only its three fields, alphabetical). */
export function messageQueueJson(q: MessageQueue): { brokerName: string; queueId: number; topic: string } {
  return { brokerName: q.brokerName, queueId: q.queueId, topic: q.topic };
}

export function decodeMessageQueue(v: unknown, path: string, check: JsonCheck): MessageQueue {
  const o = check.object(v, path);
  return { topic: check.string(o.topic, `${path}.topic`), brokerName: check.string(o.brokerName, `${path}.brokerName`), queueId: check.integer(o.queueId, `${path}.queueId`) };
}
