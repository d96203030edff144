/**
 * Typed POP calls to one broker (by address), RocketMQ 5's remoting pop mode: POP_MESSAGE,
 * ACK_MESSAGE, BATCH_ACK_MESSAGE, CHANGE_MESSAGE_INVISIBLETIME. A popped message carries its
 * receipt handle as property POP_CK (`extraInfo`), which ack and change send back.
 * Outcomes a caller must handle are results (not found, polling full, handle refused); other
 * non-success answers throw RemoteResponseError.
 */
import { RequestCode, ResponseCode } from '../remoting/codes.js';
import { decodeHeader, encodeHeader } from '../protocol/header-spec.js';
import { AckMessageRequestHeader, ChangeInvisibleTimeRequestHeader, ChangeInvisibleTimeResponseHeader, ConsumeInitMode, encodeBatchAckBody, PopMessageRequestHeader, PopMessageResponseHeader } from '../protocol/headers/pop.js';
import { PropertyKey } from '../protocol/message/constants.js';
import { decodeProperties } from '../protocol/message/properties.js';
import { decodeRecords, type MessageRecord } from '../protocol/message/record.js';
import { createRequest } from '../remoting/command.js';
import type { RemotingClient } from '../remoting/client.js';

export interface PopRequest {
  group: string;
  topic: string;
  /** Default −1: any queue of the topic on that broker. */
  queueId?: number;
  /** 1..32 (default 32). */
  maxMessages?: number;
  invisibleMillis: number;
  /** Long poll (default 0: answer at once). */
  pollMillis?: number;
  /** TAG expression (default '*'). */
  expression?: string;
  expressionType?: 'TAG' | 'SQL92';
  /** FIFO per message group. */
  order?: boolean;
  attemptId?: string;
  /** Where a group new to a queue starts (default 'last', RocketMQ's MAX). */
  initMode?: 'first' | 'last';
}

export interface PoppedRecord {
  record: MessageRecord;
  properties: Map<string, string>;
  /** The receipt handle (property POP_CK). */
  extraInfo: string;
  /** reconsumeTimes + 1 */
  deliveryAttempt: number;
}

export type PopResult =
  | { status: 'FOUND'; messages: PoppedRecord[]; popTime: number; invisibleTime: number; restNum: number }
  | { status: 'NOT_FOUND'; restNum: number }
  | { status: 'POLLING_FULL'; remark: string };

export type HandleOutcome = { ok: true } | { ok: false; remark: string };

export class PopApi {
  constructor(
    private readonly remoting: RemotingClient,
    private readonly timeoutMillis = 3_000,
  ) {}

  async pop(addr: string, r: PopRequest): Promise<PopResult> {
    const poll = r.pollMillis ?? 0;
    const req = createRequest(RequestCode.POP_MESSAGE, {
      extFields: encodeHeader(PopMessageRequestHeader, {
        consumerGroup: r.group,
        topic: r.topic,
        queueId: r.queueId ?? -1,
        maxMsgNums: r.maxMessages ?? 32,
        invisibleTime: r.invisibleMillis,
        pollTime: poll,
        bornTime: Date.now(),
        initMode: r.initMode === 'first' ? ConsumeInitMode.MIN : ConsumeInitMode.MAX,
        expType: r.expressionType ?? 'TAG',
        exp: r.expression ?? '*',
        order: r.order ?? false,
        attemptId: r.attemptId,
      }),
    });
    const res = await this.remoting.requestOk(addr, req, this.timeoutMillis + poll, [ResponseCode.POLLING_TIMEOUT, ResponseCode.POLLING_FULL, ResponseCode.PULL_NOT_FOUND]);
    if (res.code === ResponseCode.POLLING_FULL) return { status: 'POLLING_FULL', remark: res.remark ?? '' };
    const h = decodeHeader(PopMessageResponseHeader, res.extFields);
    if (res.code !== ResponseCode.SUCCESS) return { status: 'NOT_FOUND', restNum: h.restNum };
    const messages = (res.body === undefined ? [] : decodeRecords(res.body)).map((record) => {
      const properties = decodeProperties(record.properties);
      const extraInfo = properties.get(PropertyKey.POP_CK);
      if (extraInfo === undefined) throw new Error(`popped message ${record.topic}/${record.queueId}/${record.queueOffset} has no POP_CK property`);
      return { record, properties, extraInfo, deliveryAttempt: record.reconsumeTimes + 1 };
    });
    return { status: 'FOUND', messages, popTime: h.popTime, invisibleTime: h.invisibleTime, restNum: h.restNum };
  }

  async ack(addr: string, group: string, topic: string, extraInfo: string): Promise<HandleOutcome> {
    const f = extraInfo.split(' ');
    const req = createRequest(RequestCode.ACK_MESSAGE, {
      extFields: encodeHeader(AckMessageRequestHeader, { consumerGroup: group, topic, queueId: Number(f[6] ?? -1) | 0, extraInfo, offset: Number(f[7] ?? -1) || 0 }),
    });
    const res = await this.remoting.requestOk(addr, req, this.timeoutMillis, [ResponseCode.NO_MESSAGE]);
    return res.code === ResponseCode.SUCCESS ? { ok: true } : { ok: false, remark: res.remark ?? '' };
  }

  /** BATCH_ACK_MESSAGE as the Java client builds it from extraInfos (one BatchAck per checkpoint offset and pop time). */
  async batchAck(addr: string, group: string, topic: string, extraInfos: readonly string[]): Promise<HandleOutcome> {
    const acks = new Map<string, { consumerGroup: string; topic: string; retry: string; startOffset: number; queueId: number; reviveQueueId: number; popTime: number; invisibleTime: number; bits: number[] }>();
    let brokerName: string | undefined;
    for (const e of extraInfos) {
      const f = e.split(' ');
      brokerName ??= f[5];
      const key = `${f[4]}@${f[6]}@${f[0]}@${f[1]}`;
      let a = acks.get(key);
      if (a === undefined) {
        acks.set(key, (a = { consumerGroup: group, topic, retry: f[4] ?? '0', startOffset: Number(f[0]), queueId: Number(f[6]), reviveQueueId: Number(f[3]), popTime: Number(f[1]), invisibleTime: Number(f[2]), bits: [] }));
      }
      a.bits.push(Number(f[7]) - a.startOffset);
    }
    const req = createRequest(RequestCode.BATCH_ACK_MESSAGE, { body: encodeBatchAckBody({ acks: [...acks.values()], ...(brokerName === undefined ? {} : { brokerName }) }) });
    const res = await this.remoting.requestOk(addr, req, this.timeoutMillis, [ResponseCode.NO_MESSAGE]);
    return res.code === ResponseCode.SUCCESS ? { ok: true } : { ok: false, remark: res.remark ?? '' };
  }

  /** On success, the new extraInfo as the Java client rebuilds it from the answer (the old one is invalid). */
  async changeInvisibleTime(addr: string, group: string, topic: string, extraInfo: string, invisibleMillis: number): Promise<{ ok: true; extraInfo: string; popTime: number } | { ok: false; remark: string }> {
    const f = extraInfo.split(' ');
    const queueId = Number(f[6] ?? -1) | 0;
    const offset = Number(f[7] ?? -1) || 0;
    const req = createRequest(RequestCode.CHANGE_MESSAGE_INVISIBLETIME, {
      extFields: encodeHeader(ChangeInvisibleTimeRequestHeader, { consumerGroup: group, topic, queueId, extraInfo, offset, invisibleTime: invisibleMillis }),
    });
    const res = await this.remoting.requestOk(addr, req, this.timeoutMillis, [ResponseCode.NO_MESSAGE]);
    if (res.code !== ResponseCode.SUCCESS) return { ok: false, remark: res.remark ?? '' };
    const h = decodeHeader(ChangeInvisibleTimeResponseHeader, res.extFields);
    // MQClientAPIImpl.changeInvisibleTimeAsync: buildExtraInfo(offset, popTime, invisibleTime, reviveQid, topic, brokerName, queueId) + ' ' + offset
    return { ok: true, extraInfo: `${offset} ${h.popTime} ${h.invisibleTime} ${h.reviveQid} ${f[4] ?? '0'} ${f[5] ?? ''} ${queueId} ${offset}`, popTime: h.popTime };
  }
}
