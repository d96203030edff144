/**
 * Timer messages over remoting: RECALL_MESSAGE (370, RocketMQ 5.3's RecallMessageProcessor) —
 * recall a pending timer message by its recall handle — and GET_TIMER_CHECK_POINT (60), which a
 * slave asks of its master to learn how far the master has delivered (docs/design/timers.md).
 */
import { RequestCode, ResponseCode } from '../../remoting/codes.js';
import { decodeHeader } from '../../protocol/header-spec.js';
import { RecallMessageRequestHeader } from '../../protocol/headers/recall.js';
import { parseHostAddress, type HostAddress } from '../../protocol/message/host.js';
import { isWriteable } from '../../protocol/perm.js';
import { createResponse, type RemotingCommand } from '../../remoting/command.js';
import type { Connection } from '../../remoting/connection.js';
import type { HandlerTable } from '../../remoting/dispatcher.js';
import type { BrokerContext } from '../context.js';
import { RecallRefusal, type RecallRefusalKind } from '../timer/timer-service.js';

/** The remoting answer to each kind of refused recall. */
export const RECALL_REFUSAL_CODES: Record<RecallRefusalKind, number> = {
  ILLEGAL: ResponseCode.ILLEGAL_OPERATION,
  OTHER_BROKER: ResponseCode.ILLEGAL_OPERATION,
  NOT_FOUND: ResponseCode.QUERY_NOT_FOUND,
  SLAVE: ResponseCode.SLAVE_NOT_AVAILABLE,
  DISABLED: ResponseCode.SERVICE_NOT_AVAILABLE,
  STORE: ResponseCode.SYSTEM_ERROR,
};

function bornHostOf(conn: Connection): HostAddress {
  try {
    return parseHostAddress(conn.remoteAddress);
  } catch {
    return { ip: Buffer.alloc(4), port: 0 };
  }
}

export function registerTimerHandlers(table: HandlerTable, ctx: BrokerContext): void {
  const { config, topics, timer } = ctx;
  const recall = async (req: RemotingCommand, conn: Connection): Promise<RemotingCommand> => {
    const h = decodeHeader(RecallMessageRequestHeader, req.extFields);
    const answer = (code: number, remark: string) => createResponse(req, code, { remark });
    if (!isWriteable(config.brokerPermission)) return answer(ResponseCode.SERVICE_NOT_AVAILABLE, 'recall failed: this broker takes no writes now (brokerPermission)');
    if (topics.get(h.topic) === undefined) return answer(ResponseCode.TOPIC_NOT_EXIST, `recall failed: the topic[${h.topic}] does not exist`);
    try {
      const msgId = await timer.recall(
        { topic: h.topic, handle: h.recallHandle, bornHost: bornHostOf(conn), ...(h.producerGroup ? { producerGroup: h.producerGroup } : {}) },
        (r) => (config.brokerRole === 'SYNC_MASTER' ? ctx.replication.afterPut(r, true) : Promise.resolve(r)),
      );
      return createResponse(req, ResponseCode.SUCCESS, { extFields: { msgId } });
    } catch (e) {
      if (e instanceof RecallRefusal) return answer(RECALL_REFUSAL_CODES[e.kind], e.message);
      throw e;
    }
  };
  table
    .on(RequestCode.RECALL_MESSAGE, recall)
    .on(RequestCode.GET_TIMER_CHECK_POINT, (req) => createResponse(req, ResponseCode.SUCCESS, { body: Buffer.from(timer.encodeCheckpointInfo(), 'utf8') }));
}
