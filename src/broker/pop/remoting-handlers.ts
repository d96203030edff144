/**
 * RocketMQ 5's POP remoting codes on the engine (what Java remoting clients in pop mode send, and
 * our PopApi): POP_MESSAGE (200050), ACK_MESSAGE (200051), CHANGE_MESSAGE_INVISIBLETIME (200053),
 * BATCH_ACK_MESSAGE (200151).
 *
 * POP_MESSAGE answers like a pull: the stored records, concatenated — each re-encoded with its
 * receipt handle as property POP_CK (and 1ST_POP_TIME) and its reconsumeTimes counted up, so a
 * client acks each message with its own handle. The header's startOffsetInfo is always sent: with
 * it, Java's MQClientAPIImpl.processPopResponse keeps a POP_CK the broker set instead of building
 * one from the header. Nothing found: POLLING_TIMEOUT; too many waiting: POLLING_FULL.
 *
 * ACK / CHANGE / BATCH_ACK refuse a handle that is not in flight (forged, expired, acked, changed,
 * another group's) with NO_MESSAGE and a remark saying why; nothing changes then.
 */
import { setMaxListeners } from 'node:events';
import { RequestCode, ResponseCode } from '../../remoting/codes.js';
import { decodeHeader, encodeHeader } from '../../protocol/header-spec.js';
import { AckMessageRequestHeader, ChangeInvisibleTimeRequestHeader, ChangeInvisibleTimeResponseHeader, ConsumeInitMode, decodeBatchAckBody, PopMessageRequestHeader, PopMessageResponseHeader } from '../../protocol/headers/pop.js';
import { MAX_PROPERTIES_BYTES, NAME_VALUE_SEPARATOR, PROPERTY_SEPARATOR, PropertyKey, SysFlag } from '../../protocol/message/constants.js';
import { encodeProperties } from '../../protocol/message/properties.js';
import { encodeRecord, storeHostPosition } from '../../protocol/message/record.js';
import { createResponse, type RemotingCommand } from '../../remoting/command.js';
import type { Connection } from '../../remoting/connection.js';
import type { HandlerTable } from '../../remoting/dispatcher.js';
import type { Logger } from '../../util/log.js';
import type { PopEngine } from './engine.js';
import { PopError, type PoppedMessage, type PopErrorKind } from './types.js';

/** PopError kinds as remoting response codes. */
export const POP_ERROR_CODES: Readonly<Record<PopErrorKind, number>> = {
  BAD_REQUEST: ResponseCode.INVALID_PARAMETER,
  TOPIC_NOT_FOUND: ResponseCode.TOPIC_NOT_EXIST,
  GROUP_NOT_FOUND: ResponseCode.SUBSCRIPTION_GROUP_NOT_EXIST,
  FORBIDDEN: ResponseCode.NO_PERMISSION,
  NOT_MASTER: ResponseCode.SYSTEM_ERROR,
  UNSUPPORTED_FILTER: ResponseCode.SYSTEM_ERROR,
  BAD_FILTER: ResponseCode.SUBSCRIPTION_PARSE_FAILED,
  STORE_FAILED: ResponseCode.SYSTEM_ERROR,
  SHUTTING_DOWN: ResponseCode.SERVICE_NOT_AVAILABLE,
};

/** One AbortSignal per connection, aborted when it closes (Connection has no listener removal). */
const closeSignals = new WeakMap<Connection, AbortSignal>();
function closeSignal(conn: Connection): AbortSignal {
  let s = closeSignals.get(conn);
  if (s === undefined) {
    const ac = new AbortController();
    // every receive of the connection that waits listens on it: no listener limit (the receives are bounded by maxPopPollingSize)
    setMaxListeners(0, ac.signal);
    conn.onClose(() => ac.abort());
    closeSignals.set(conn, (s = ac.signal));
  }
  return s;
}

/**
 * A delivered message as a remoting client reads it: the stored record with POP_CK (its receipt
 * handle) and 1ST_POP_TIME appended to its properties — the last field of a record, so the stored
 * bytes are copied once and three header fields patched (TOTALSIZE, RECONSUMETIMES, the
 * properties length) — and its reconsumeTimes counted up.
 */
export function encodePopped(m: PoppedMessage, raw?: Buffer): Buffer {
  const r = m.record;
  const propsBytes = Buffer.byteLength(r.properties, 'utf8');
  const sep = r.properties === '' || r.properties.endsWith(PROPERTY_SEPARATOR) ? '' : PROPERTY_SEPARATOR;
  let extra = `${sep}${PropertyKey.POP_CK}${NAME_VALUE_SEPARATOR}${m.receiptHandle}${PROPERTY_SEPARATOR}`;
  if (!m.properties.has(PropertyKey.FIRST_POP_TIME)) extra += `${PropertyKey.FIRST_POP_TIME}${NAME_VALUE_SEPARATOR}${m.firstPopTime}${PROPERTY_SEPARATOR}`;
  const extraBytes = Buffer.byteLength(extra, 'utf8');
  const size = raw !== undefined && raw.length >= 4 ? raw.readInt32BE(0) : -1;
  if (raw === undefined || size !== raw.length || propsBytes + extraBytes > MAX_PROPERTIES_BYTES) {
    // not a plain stored record, or no room in the properties: write it afresh
    const props = new Map(m.properties);
    props.set(PropertyKey.POP_CK, m.receiptHandle);
    if (!props.has(PropertyKey.FIRST_POP_TIME)) props.set(PropertyKey.FIRST_POP_TIME, String(m.firstPopTime));
    return encodeRecord({ ...r, properties: encodeProperties(props) });
  }
  const out = Buffer.allocUnsafe(size + extraBytes);
  raw.copy(out, 0);
  out.write(extra, size, 'utf8');
  out.writeInt32BE(size + extraBytes, 0);
  out.writeInt16BE(propsBytes + extraBytes, size - propsBytes - 2);
  const hostLen = (r.sysFlag & SysFlag.STOREHOST_V6) !== 0 ? 20 : 8;
  out.writeInt32BE(r.reconsumeTimes, storeHostPosition(r.sysFlag) + hostLen);
  return out;
}

export function registerPopHandlers(table: HandlerTable, pop: PopEngine, log: Logger): void {
  const failed = (req: RemotingCommand, e: unknown): RemotingCommand => {
    if (e instanceof PopError) return createResponse(req, POP_ERROR_CODES[e.kind], { remark: e.message });
    throw e;
  };

  table.on(RequestCode.POP_MESSAGE, async (req, conn) => {
    const h = decodeHeader(PopMessageRequestHeader, req.extFields);
    if (h.maxMsgNums > 32 || h.maxMsgNums < 1) return createResponse(req, ResponseCode.INVALID_PARAMETER, { remark: `the broker pop message's num must be 1..32, got ${h.maxMsgNums}` });
    const expType = h.expType ?? 'TAG';
    const filter = expType === 'TAG' ? { type: 'TAG' as const, expression: h.exp ?? '*' } : expType === 'SQL92' ? { type: 'SQL92' as const, expression: h.exp ?? '' } : undefined;
    if (filter === undefined) return createResponse(req, ResponseCode.SUBSCRIPTION_PARSE_FAILED, { remark: `unknown expression type ${expType}: TAG or SQL92` });
    let r;
    try {
      r = await pop.receiveDeliveries({
        group: h.consumerGroup,
        topic: h.topic,
        queueId: h.queueId,
        filter,
        maxMessages: h.maxMsgNums,
        invisibleMs: h.invisibleTime,
        fifo: h.order,
        ...(h.attemptId === undefined ? {} : { attemptId: h.attemptId }),
        pollMs: h.pollTime,
        signal: closeSignal(conn),
        initMode: h.initMode === ConsumeInitMode.MIN ? 'first' : 'last',
        clientId: conn.remoteAddress,
      });
    } catch (e) {
      return failed(req, e);
    }
    if (conn.isClosed) return null;
    const result = r.result;
    const restNum = pop.restNum(h.consumerGroup, h.topic, h.queueId);
    if (result.status !== 'found') {
      const code = result.status === 'busy' ? ResponseCode.POLLING_FULL : ResponseCode.POLLING_TIMEOUT;
      return createResponse(req, code, {
        remark: result.status === 'busy' ? result.reason : 'NO_MESSAGE_IN_QUEUE',
        extFields: encodeHeader(PopMessageResponseHeader, { popTime: Date.now(), invisibleTime: h.invisibleTime, reviveQid: 0, restNum }),
      });
    }
    const byQueue = new Map<number, number[]>();
    for (const m of result.messages) {
      let l = byQueue.get(m.record.queueId);
      if (l === undefined) byQueue.set(m.record.queueId, (l = []));
      l.push(m.record.queueOffset);
    }
    const startOffsetInfo = [...byQueue].map(([q, offs]) => `0 ${q} ${Math.min(...offs)}`).join(';');
    const msgOffsetInfo = [...byQueue].map(([q, offs]) => `0 ${q} ${offs.join(',')}`).join(';');
    const orderCountInfo = h.order ? result.messages.map((m) => `0 qo${m.record.queueId}%${m.record.queueOffset} ${m.deliveryAttempt - 1}`).join(';') : undefined;
    const body = Buffer.concat(result.messages.map((m) => encodePopped(m, pop.rawOf(m))));
    return createResponse(req, ResponseCode.SUCCESS, {
      remark: 'FOUND',
      extFields: encodeHeader(PopMessageResponseHeader, { popTime: result.popTime, invisibleTime: h.invisibleTime, reviveQid: 0, restNum, startOffsetInfo, msgOffsetInfo, orderCountInfo }),
      body,
    });
  });

  table.on(RequestCode.ACK_MESSAGE, async (req, conn) => {
    const h = decodeHeader(AckMessageRequestHeader, req.extFields);
    try {
      const r = await pop.ack(h.consumerGroup, h.topic, h.extraInfo);
      if (r.ok) return createResponse(req, ResponseCode.SUCCESS);
      log.debug('POP ack refused', { group: h.consumerGroup, topic: h.topic, problem: r.problem, why: r.message, peer: conn.remoteAddress });
      return createResponse(req, ResponseCode.NO_MESSAGE, { remark: `${r.problem}: ${r.message}` });
    } catch (e) {
      return failed(req, e);
    }
  });

  table.on(RequestCode.BATCH_ACK_MESSAGE, async (req, conn) => {
    const body = decodeBatchAckBody(req.body);
    const brokerName = body.brokerName ?? pop.brokerName;
    // one handle per acked offset, grouped by group and topic
    const byGroupTopic = new Map<string, { group: string; topic: string; handles: string[] }>();
    for (const a of body.acks) {
      const k = `${a.consumerGroup}\u0000${a.topic}`;
      let g = byGroupTopic.get(k);
      if (g === undefined) byGroupTopic.set(k, (g = { group: a.consumerGroup, topic: a.topic, handles: [] }));
      for (const bit of a.bits) {
        const offset = a.startOffset + bit;
        g.handles.push(`${offset} ${a.popTime} ${a.invisibleTime} ${a.reviveQueueId} ${a.retry} ${brokerName} ${a.queueId} ${offset}`);
      }
    }
    try {
      const refused: string[] = [];
      let total = 0;
      for (const g of byGroupTopic.values()) {
        const rs = await pop.ackMany(g.group, g.topic, g.handles);
        total += rs.length;
        rs.forEach((r, i) => {
          if (!r.ok) refused.push(`${g.handles[i]}: ${r.problem}`);
        });
      }
      if (refused.length === 0) return createResponse(req, ResponseCode.SUCCESS);
      log.debug('POP batch ack partly refused', { refused: refused.length, total, peer: conn.remoteAddress });
      return createResponse(req, ResponseCode.NO_MESSAGE, { remark: `${refused.length} of ${total} not acked: ${refused.slice(0, 5).join('; ')}` });
    } catch (e) {
      return failed(req, e);
    }
  });

  table.on(RequestCode.CHANGE_MESSAGE_INVISIBLETIME, async (req) => {
    const h = decodeHeader(ChangeInvisibleTimeRequestHeader, req.extFields);
    try {
      const r = await pop.changeInvisible(h.consumerGroup, h.topic, h.extraInfo, h.invisibleTime);
      if (!r.ok) return createResponse(req, ResponseCode.NO_MESSAGE, { remark: `${r.problem}: ${r.message}` });
      const f = pop.parseHandle(r.receiptHandle);
      if (f === undefined) throw new Error('the engine made an unparsable handle');
      return createResponse(req, ResponseCode.SUCCESS, { extFields: encodeHeader(ChangeInvisibleTimeResponseHeader, { popTime: f.popTime, invisibleTime: f.invisibleMs, reviveQid: f.nonce }) });
    } catch (e) {
      return failed(req, e);
    }
  });
}
