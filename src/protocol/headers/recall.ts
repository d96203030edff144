/**
 * RECALL_MESSAGE (370), RocketMQ 5.3: recall a pending timer message by the handle its send
 * returned. Field names, types and @CFNotNull from apache/rocketmq
 * remoting/src/main/java/org/apache/rocketmq/remoting/protocol/header/{RecallMessageRequestHeader,
 * RecallMessageResponseHeader}.java (HEAD only, absent from the 4.x schema fixture). The request
 * also carries RpcRequestHeader's `bname` (the broker the handle names) when a client routes it.
 */
import { defineHeader, optional, required, type HeaderValues } from '../header-spec.js';

export const RecallMessageRequestHeader = defineHeader('RecallMessageRequestHeader', {
  producerGroup: optional.string,
  topic: required.string,
  recallHandle: required.string,
  bname: optional.string,
});
export type RecallMessageRequest = HeaderValues<typeof RecallMessageRequestHeader>;

export const RecallMessageResponseHeader = defineHeader('RecallMessageResponseHeader', {
  /** The recalled message's id (its UNIQ_KEY). */
  msgId: required.string,
});
export type RecallMessageResponse = HeaderValues<typeof RecallMessageResponseHeader>;
