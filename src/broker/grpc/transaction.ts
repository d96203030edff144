/**
 * Transactions for v5 clients (the Proxy's EndTransactionActivity and GrpcClientChannel, local
 * mode): EndTransaction ends a half message by its transaction id (= message id = UNIQ_KEY) and
 * topic; a check the broker sends a v5 producer (CHECK_TRANSACTION_STATE on its client-table link)
 * is written on the producer's Telemetry stream as a RecoverOrphanedTransactionCommand, which the
 * official clients answer by running their TransactionChecker and sending EndTransaction with
 * source SOURCE_SERVER_CHECK.
 */
import { status, V2Error, type CodeName } from '../../grpc/codes.js';
import { toV2Message } from '../../grpc/message.js';
import type { EndTransactionRequest__Output } from '../../grpc/generated/apache/rocketmq/v2/EndTransactionRequest.js';
import type { EndTransactionResponse } from '../../grpc/generated/apache/rocketmq/v2/EndTransactionResponse.js';
import type { TelemetryCommand } from '../../grpc/generated/apache/rocketmq/v2/TelemetryCommand.js';
import { decodeHeader } from '../../protocol/header-spec.js';
import { CheckTransactionStateRequestHeader } from '../../protocol/headers/broker.js';
import { decodeRecord } from '../../protocol/message/record.js';
import { topicNameProblem } from '../../protocol/topic-names.js';
import { RequestCode } from '../../remoting/codes.js';
import type { RemotingCommand } from '../../remoting/command.js';
import type { Logger } from '../../util/log.js';
import type { BrokerContext } from '../context.js';
import type { EndOutcome } from '../transaction/service.js';
import { Perm } from './auth.js';
import type { CallContext } from './call.js';
import type { GrpcSession } from './sessions.js';

const STORE_CODES: Partial<Record<string, CodeName>> = {
  MESSAGE_ILLEGAL: 'BAD_REQUEST',
  PROPERTIES_SIZE_EXCEEDED: 'MESSAGE_PROPERTIES_TOO_LARGE',
  FLUSH_DISK_TIMEOUT: 'MASTER_PERSISTENCE_TIMEOUT',
  FLUSH_SLAVE_TIMEOUT: 'SLAVE_PERSISTENCE_TIMEOUT',
  SLAVE_NOT_AVAILABLE: 'HA_NOT_AVAILABLE',
};

function codeOf(o: Exclude<EndOutcome, { ok: true }>): Exclude<CodeName, 'OK'> {
  switch (o.why) {
    case 'not-master':
      return 'FORBIDDEN';
    case 'not-pending':
    case 'mismatch':
      return 'INVALID_TRANSACTION_ID';
    case 'conflict':
      return 'PRECONDITION_FAILED';
    default:
      return (STORE_CODES[o.status ?? ''] as Exclude<CodeName, 'OK'> | undefined) ?? 'INTERNAL_SERVER_ERROR';
  }
}

export function createEndTransactionHandler(ctx: BrokerContext) {
  return async (req: EndTransactionRequest__Output, c: CallContext): Promise<EndTransactionResponse> => {
    const topic = req.topic?.name ?? '';
    const problem = topic === '' ? 'topic name is empty' : topicNameProblem(topic);
    if (problem !== undefined) throw new V2Error('ILLEGAL_TOPIC', problem);
    c.authorize([{ topic, topicPerm: Perm.PUB }]);
    const id = req.transactionId !== '' ? req.transactionId : req.messageId;
    if (id === '') throw new V2Error('INVALID_TRANSACTION_ID', 'transaction_id and message_id are empty');
    const resolution = req.resolution === 'COMMIT' ? 'commit' : req.resolution === 'ROLLBACK' ? 'rollback' : undefined;
    // the producer does not know yet: nothing changes, the broker checks back later
    if (resolution === undefined) return { status: status('OK', 'resolution unspecified: the broker checks back later') };
    const o = await ctx.transactions.end({ resolution, transactionId: id, topic, fromCheck: req.source === 'SOURCE_SERVER_CHECK', peer: c.peer });
    if (!o.ok) throw new V2Error(codeOf(o), o.remark);
    return { status: status('OK', o.repeated ? (o.remark ?? 'already ended') : 'OK') };
  };
}

/**
 * A request the broker pushes to a v5 client, in the client's terms: CHECK_TRANSACTION_STATE
 * becomes a RecoverOrphanedTransactionCommand on its Telemetry stream; others are dropped.
 */
export function pushToV5Client(s: GrpcSession, cmd: RemotingCommand, log: Logger): void {
  if (cmd.code !== RequestCode.CHECK_TRANSACTION_STATE) return;
  const stream = s.telemetry;
  if (stream === undefined || stream.writableEnded || stream.cancelled) {
    log.debug('transaction check for a v5 producer without a Telemetry stream dropped', { clientId: s.clientId });
    return;
  }
  try {
    const h = decodeHeader(CheckTransactionStateRequestHeader, cmd.extFields);
    if (cmd.body === undefined) return;
    const rec = decodeRecord(cmd.body);
    const message = toV2Message(rec, { receiptHandle: '', deliveryAttempt: 1, invisibleMillis: 0 });
    const command: TelemetryCommand = { status: status('OK'), recoverOrphanedTransactionCommand: { message, transactionId: h.transactionId ?? h.msgId ?? '' } };
    stream.write(command);
  } catch (e) {
    log.warn('transaction check could not be turned into a v5 recover command', { clientId: s.clientId, err: e as Error });
  }
}
