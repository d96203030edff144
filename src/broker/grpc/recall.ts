/**
 * RecallMessage (the Proxy's RecallMessageActivity in local mode): recalls a pending timer
 * message by the handle its send returned. The handle names the broker holding the message
 * (protocol/message/recall-handle.ts); the Node client sends the call to its access point, so a
 * handle of another broker is forwarded to that broker's master as remoting RECALL_MESSAGE (370),
 * as the Proxy does. Answers OK with the message id, else a status that says why: BAD_REQUEST (a
 * malformed handle, another topic's handle, a message already due), NOT_FOUND (no such pending
 * message), FORBIDDEN (this broker is a slave).
 */
import { status, V2Error, type CodeName } from '../../grpc/codes.js';
import type { RecallMessageRequest__Output } from '../../grpc/generated/apache/rocketmq/v2/RecallMessageRequest.js';
import type { RecallMessageResponse } from '../../grpc/generated/apache/rocketmq/v2/RecallMessageResponse.js';
import { encodeHeader } from '../../protocol/header-spec.js';
import { RecallMessageRequestHeader } from '../../protocol/headers/recall.js';
import { parseHostAddress, type HostAddress } from '../../protocol/message/host.js';
import { decodeRecallHandle, RecallHandleError } from '../../protocol/message/recall-handle.js';
import { topicNameProblem } from '../../protocol/topic-names.js';
import type { RemotingClient } from '../../remoting/client.js';
import { RequestCode, ResponseCode } from '../../remoting/codes.js';
import { createRequest } from '../../remoting/command.js';
import type { BrokerContext } from '../context.js';
import { RecallRefusal, type RecallRefusalKind } from '../timer/timer-service.js';
import { Perm } from './auth.js';
import type { CallContext } from './call.js';
import type { RouteService } from './route.js';

const V2_CODES: Record<RecallRefusalKind, Exclude<CodeName, 'OK'>> = {
  ILLEGAL: 'BAD_REQUEST',
  OTHER_BROKER: 'BAD_REQUEST',
  NOT_FOUND: 'NOT_FOUND',
  SLAVE: 'FORBIDDEN',
  DISABLED: 'NOT_IMPLEMENTED',
  STORE: 'INTERNAL_SERVER_ERROR',
};

/** A forwarded recall's remoting answer as a v2 code. */
const FROM_REMOTING: Partial<Record<number, Exclude<CodeName, 'OK'>>> = {
  [ResponseCode.ILLEGAL_OPERATION]: 'BAD_REQUEST',
  [ResponseCode.QUERY_NOT_FOUND]: 'NOT_FOUND',
  [ResponseCode.TOPIC_NOT_EXIST]: 'TOPIC_NOT_FOUND',
  [ResponseCode.SLAVE_NOT_AVAILABLE]: 'FORBIDDEN',
  [ResponseCode.NO_PERMISSION]: 'FORBIDDEN',
};

const FORWARD_TIMEOUT_MILLIS = 3_000;

export interface RecallHandlerOptions {
  ctx: BrokerContext;
  routes: RouteService;
  remoting: RemotingClient;
}

export function createRecallHandler({ ctx, routes, remoting }: RecallHandlerOptions) {
  const { config } = ctx;
  const bornHostOf = (peer: string): HostAddress => {
    try {
      return parseHostAddress(peer.replace(/^::ffff:/, ''));
    } catch {
      return { ip: Buffer.alloc(4), port: 0 };
    }
  };

  const forward = async (topic: string, handle: string, brokerName: string): Promise<string> => {
    const addr = await routes.masterOf(topic, brokerName);
    if (addr === undefined) throw new V2Error('NOT_FOUND', `the recall handle names broker ${brokerName}, which has no master serving topic ${topic}`);
    const res = await remoting.request(addr, createRequest(RequestCode.RECALL_MESSAGE, { extFields: encodeHeader(RecallMessageRequestHeader, { topic, recallHandle: handle, bname: brokerName }) }), FORWARD_TIMEOUT_MILLIS);
    if (res.code === ResponseCode.SUCCESS) return res.extFields?.msgId ?? '';
    throw new V2Error(FROM_REMOTING[res.code] ?? 'INTERNAL_ERROR', `broker ${brokerName}: ${res.remark ?? `answered ${res.code}`}`);
  };

  return async (req: RecallMessageRequest__Output, c: CallContext): Promise<RecallMessageResponse> => {
    const topic = req.topic?.name ?? '';
    const problem = topic === '' ? 'topic name is empty' : topicNameProblem(topic);
    if (problem !== undefined) throw new V2Error('ILLEGAL_TOPIC', problem);
    c.authorize([{ topic, topicPerm: Perm.PUB }]);
    let brokerName: string;
    try {
      brokerName = decodeRecallHandle(req.recallHandle ?? '').brokerName;
    } catch (e) {
      if (e instanceof RecallHandleError) throw new V2Error('BAD_REQUEST', `recall handle is invalid: ${e.message}`);
      throw e;
    }
    if (brokerName !== config.brokerName) return { status: status('OK'), messageId: await forward(topic, req.recallHandle, brokerName) };
    if (ctx.topics.get(topic) === undefined) throw new V2Error('TOPIC_NOT_FOUND', `topic ${topic} does not exist on broker ${config.brokerName}`);
    try {
      const messageId = await ctx.timer.recall({ topic, handle: req.recallHandle, bornHost: bornHostOf(c.peer) }, (r) =>
        config.brokerRole === 'SYNC_MASTER' ? ctx.replication.afterPut(r, true) : Promise.resolve(r),
      );
      return { status: status('OK'), messageId };
    } catch (e) {
      if (e instanceof RecallRefusal) throw new V2Error(V2_CODES[e.kind], e.message);
      throw e;
    }
  };
}
