/**
 * END_TRANSACTION (37; Java EndTransactionProcessor) and GET_TRANSACTION_STATE (rmqd's extension,
 * protocol/transaction-state.ts). The half message itself comes in as a send (handlers/send.ts
 * hands it to TransactionService.prepare).
 *
 * END_TRANSACTION is oneway from Java clients (their answer is dropped) and a request from ours:
 *   - a slave answers SLAVE_NOT_AVAILABLE, as Java does;
 *   - commitOrRollback 0 (the producer does not know yet) changes nothing and is answered SUCCESS
 *     (Java logs it and sends no answer; a request would then wait for its timeout);
 *   - commit / rollback: SUCCESS once stored as the flush mode and replication ask (the commit's
 *     FLUSH_*_TIMEOUT / SLAVE_NOT_AVAILABLE are SUCCESS with the status as remark, as Java);
 *     a repeated one is answered SUCCESS again without storing anything;
 *   - no such pending half, or one of another group / at another offset: SYSTEM_ERROR with
 *     Java's remark ("Find prepared transaction message failed", "The producer group wrong", …);
 *     a commit of a rolled-back (or given up) transaction, or the reverse: TRANSACTION_FAILED.
 */
import { decodeHeader } from '../../protocol/header-spec.js';
import { EndTransactionRequestHeader } from '../../protocol/headers/broker.js';
import { SysFlag } from '../../protocol/message/constants.js';
import { encodeTransactionState, GetTransactionStateRequestHeader } from '../../protocol/transaction-state.js';
import { RequestCode, ResponseCode, RmqExtensionCode } from '../../remoting/codes.js';
import { createResponse } from '../../remoting/command.js';
import type { HandlerTable } from '../../remoting/dispatcher.js';
import type { BrokerContext } from '../context.js';
import type { EndOutcome } from './service.js';

const STORE_CODES: Record<string, number> = {
  SERVICE_NOT_AVAILABLE: ResponseCode.SERVICE_NOT_AVAILABLE,
  MESSAGE_ILLEGAL: ResponseCode.MESSAGE_ILLEGAL,
  PROPERTIES_SIZE_EXCEEDED: ResponseCode.MESSAGE_ILLEGAL,
};

/** The response code an EndOutcome is answered with. */
export function endResponseCode(o: EndOutcome): number {
  if (o.ok) return ResponseCode.SUCCESS;
  switch (o.why) {
    case 'not-master':
      return ResponseCode.SLAVE_NOT_AVAILABLE;
    case 'conflict':
      return ResponseCode.TRANSACTION_FAILED;
    case 'store':
      return STORE_CODES[o.status ?? ''] ?? ResponseCode.SYSTEM_ERROR;
    default:
      return ResponseCode.SYSTEM_ERROR;
  }
}

export function registerTransactionHandlers(table: HandlerTable, ctx: BrokerContext): void {
  const { transactions, log } = ctx;

  table.on(RequestCode.END_TRANSACTION, async (req, conn) => {
    const h = decodeHeader(EndTransactionRequestHeader, req.extFields);
    if (ctx.config.brokerRole === 'SLAVE') return createResponse(req, ResponseCode.SLAVE_NOT_AVAILABLE, { remark: 'Message store is slave mode, so end transaction is forbidden.' });
    const resolution = h.commitOrRollback === SysFlag.TRANSACTION_COMMIT_TYPE ? 'commit' : h.commitOrRollback === SysFlag.TRANSACTION_ROLLBACK_TYPE ? 'rollback' : undefined;
    if (resolution === undefined) {
      if (h.commitOrRollback !== SysFlag.TRANSACTION_NOT_TYPE) return createResponse(req, ResponseCode.INVALID_PARAMETER, { remark: `commitOrRollback ${h.commitOrRollback} is none of 0 (unknown), 8 (commit), 12 (rollback)` });
      log.debug('end transaction: the producer does not know the state yet; the broker will check back', { msgId: h.msgId, group: h.producerGroup, fromCheck: h.fromTransactionCheck, peer: conn.remoteAddress });
      return createResponse(req, ResponseCode.SUCCESS, { remark: 'state unknown: the broker checks back later' });
    }
    const o = await transactions.end({
      resolution,
      commitLogOffset: h.commitLogOffset,
      tranStateTableOffset: h.tranStateTableOffset,
      producerGroup: h.producerGroup,
      fromCheck: h.fromTransactionCheck,
      peer: conn.remoteAddress,
    });
    if (!o.ok) log.warn('end transaction refused', { msgId: h.msgId, group: h.producerGroup, resolution, fromCheck: h.fromTransactionCheck, peer: conn.remoteAddress, why: o.why, remark: o.remark });
    return createResponse(req, endResponseCode(o), o.remark === undefined ? {} : { remark: o.remark });
  });

  table.on(RmqExtensionCode.GET_TRANSACTION_STATE, (req) => {
    const h = decodeHeader(GetTransactionStateRequestHeader, req.extFields);
    const state = transactions.state({
      ...(h.topic !== undefined ? { topic: h.topic } : {}),
      ...(h.producerGroup !== undefined ? { producerGroup: h.producerGroup } : {}),
      ...(h.maxHalves !== undefined ? { maxHalves: h.maxHalves } : {}),
    });
    return createResponse(req, ResponseCode.SUCCESS, { body: encodeTransactionState(state) });
  });
}
