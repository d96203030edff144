/**
 * A failed message goes back to the broker for a later retry (Java
 * DefaultMQPushConsumerImpl.sendMessageBack): CONSUMER_SEND_MSG_BACK to the master of the broker
 * group it came from; when that fails (the master is away), the consumer republishes it to
 * `%RETRY%<group>` itself with RETRY_TOPIC, ORIGIN_MESSAGE_ID, RECONSUME_TIME, MAX_RECONSUME_TIMES
 * and delay level 3 + reconsumeTimes, through any master that serves the retry topic. False when
 * both failed (the caller retries the message locally later).
 */
import { RequestCode, ResponseCode } from '../../remoting/codes.js';
import { PropertyKey } from '../../protocol/message/constants.js';
import { encodeProperties } from '../../protocol/message/properties.js';
import { isWriteable } from '../../protocol/perm.js';
import { RETRY_GROUP_TOPIC_PREFIX, TBW102 } from '../../protocol/topic-names.js';
import { createRequest } from '../../remoting/command.js';
import type { Logger } from '../../util/log.js';
import type { GroupApi } from '../group-api.js';
import type { RemotingClient } from '../../remoting/client.js';
import type { ConsumedMessage } from './consumed-message.js';
import type { TopicRoutes } from './routes.js';

export interface SendBackDeps {
  group: string;
  api: GroupApi;
  remoting: RemotingClient;
  routes: TopicRoutes;
  log: Logger;
  timeoutMillis: number;
}

/**
 * Sends `msg` back. `delayLevel` 0 lets the broker choose (3 + reconsumeTimes); < 0 sends it to
 * the dead-letter queue. Resolves with how it went back, or undefined when it could not.
 */
export async function sendMessageBack(d: SendBackDeps, msg: ConsumedMessage, delayLevel: number, maxReconsumeTimes: number): Promise<'sent-back' | 'republished' | undefined> {
  const master = d.routes.masterAddr(msg.queue.brokerName);
  if (master !== undefined) {
    try {
      await d.api.sendBack(master, {
        commitLogOffset: msg.commitLogOffset,
        group: d.group,
        delayLevel,
        originMsgId: msg.properties.get(PropertyKey.ORIGIN_MESSAGE_ID) ?? msg.msgId,
        originTopic: msg.topic,
        maxReconsumeTimes,
      });
      return 'sent-back';
    } catch (e) {
      d.log.warn('sending a failed message back failed; republishing it to the retry topic', { msgId: msg.msgId, broker: master, err: e as Error });
    }
  }
  try {
    await republish(d, msg, delayLevel, maxReconsumeTimes);
    return 'republished';
  } catch (e) {
    d.log.warn('republishing a failed message failed; it will be retried here', { msgId: msg.msgId, err: e as Error });
    return undefined;
  }
}

async function republish(d: SendBackDeps, msg: ConsumedMessage, delayLevel: number, maxReconsumeTimes: number): Promise<void> {
  const retryTopic = `${RETRY_GROUP_TOPIC_PREFIX}${d.group}`;
  const route = (await d.routes.route(retryTopic)) ?? (await d.routes.fetch(retryTopic));
  const targets = (route?.queueDatas ?? []).filter((q) => isWriteable(q.perm) && q.writeQueueNums > 0 && d.routes.masterAddr(q.brokerName) !== undefined);
  if (targets.length === 0) throw new Error(`no master serves ${retryTopic}`);
  const props = new Map(msg.properties);
  if (!props.has(PropertyKey.RETRY_TOPIC)) props.set(PropertyKey.RETRY_TOPIC, msg.topic);
  if (!props.has(PropertyKey.ORIGIN_MESSAGE_ID)) props.set(PropertyKey.ORIGIN_MESSAGE_ID, msg.msgId);
  const reconsumeTimes = msg.reconsumeTimes + 1;
  props.set(PropertyKey.RECONSUME_TIME, String(reconsumeTimes));
  props.set(PropertyKey.MAX_RECONSUME_TIMES, String(maxReconsumeTimes));
  // delayLevel < 0 asks for the DLQ: a reconsume count past the maximum gets it there
  props.set(PropertyKey.DELAY_TIME_LEVEL, String(delayLevel > 0 ? delayLevel : 3 + msg.reconsumeTimes));
  const sendReconsumeTimes = delayLevel < 0 ? maxReconsumeTimes + 1 : reconsumeTimes;
  let lastError: unknown;
  for (const q of targets) {
    const addr = d.routes.masterAddr(q.brokerName) as string;
    const req = createRequest(RequestCode.SEND_MESSAGE_V2, {
      extFields: {
        a: d.group,
        b: retryTopic,
        c: TBW102,
        d: '1',
        e: String(Math.floor(Math.random() * q.writeQueueNums)),
        f: String(msg.sysFlag & ~0x30),
        g: String(msg.bornTimestamp),
        h: String(msg.flag),
        i: encodeProperties(props),
        j: String(sendReconsumeTimes),
        k: 'false',
        l: String(maxReconsumeTimes),
      },
      body: msg.record.body,
    });
    try {
      const res = await d.remoting.request(addr, req, d.timeoutMillis);
      if (res.code === ResponseCode.SUCCESS || res.code === ResponseCode.FLUSH_DISK_TIMEOUT || res.code === ResponseCode.FLUSH_SLAVE_TIMEOUT || res.code === ResponseCode.SLAVE_NOT_AVAILABLE) return;
      lastError = new Error(`${addr} answered ${res.code}: ${res.remark ?? ''}`);
    } catch (e) {
      lastError = e;
    }
  }
  throw lastError instanceof Error ? lastError : new Error(String(lastError));
}
