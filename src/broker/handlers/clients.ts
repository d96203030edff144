/**
 * HEART_BEAT (34) and UNREGISTER_CLIENT (35), accepted so producers (ali-ons, Java) that announce
 * themselves work against this broker. Only acknowledged for now: client and consumer-group
 * bookkeeping (channels, subscriptions, rebalance notices) belongs to the consumer-group manager,
 * which replaces these handlers when it registers its own.
 */
import { RequestCode, ResponseCode } from '../../protocol/codes.js';
import { decodeHeader } from '../../protocol/header-spec.js';
import { UnregisterClientRequestHeader } from '../../protocol/headers/broker.js';
import { createResponse } from '../../remoting/command.js';
import type { HandlerTable } from '../../remoting/dispatcher.js';

export function registerClientHandlers(table: HandlerTable): void {
  table
    .on(RequestCode.HEART_BEAT, (req) => createResponse(req, ResponseCode.SUCCESS))
    .on(RequestCode.UNREGISTER_CLIENT, (req) => {
      decodeHeader(UnregisterClientRequestHeader, req.extFields);
      return createResponse(req, ResponseCode.SUCCESS);
    });
}
