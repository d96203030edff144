/**
 * The SEND_MESSAGE_V2 / SEND_BATCH_MESSAGE request a producer writes (docs/design/protocol.md#send): the
 * one-letter `SendMessageRequestHeaderV2` fields in the order Java's client puts them
 * (a producerGroup, b topic, c defaultTopic, d defaultTopicQueueNums, e queueId, f sysFlag,
 * g bornTimestamp, h flag, i properties, j reconsumeTimes, k unitMode, m batch) and the body.
 */
import { RequestCode } from '../remoting/codes.js';
import { TBW102 } from '../protocol/topic-names.js';
import { createRequest, type ExtFields, type RemotingCommand } from '../remoting/command.js';

export interface SendRequestFields {
  producerGroup: string;
  topic: string;
  /** As a decimal string (it is the same for every send of a producer). */
  defaultTopicQueueNums: string;
  queueId: number;
  sysFlag: number;
  bornTimestamp: number;
  flag: number;
  properties: string;
  batch: boolean;
  body: Buffer;
}

export function sendRequest(f: SendRequestFields): RemotingCommand {
  const extFields: ExtFields = {
    a: f.producerGroup,
    b: f.topic,
    c: TBW102,
    d: f.defaultTopicQueueNums,
    e: String(f.queueId),
    f: String(f.sysFlag),
    g: String(f.bornTimestamp),
    h: String(f.flag),
    i: f.properties,
    j: '0',
    k: 'false',
  };
  if (f.batch) extFields.m = 'true';
  return createRequest(f.batch ? RequestCode.SEND_BATCH_MESSAGE : RequestCode.SEND_MESSAGE_V2, { extFields, body: f.body });
}
