/**
 * Queue offset queries (docs/design/protocol.md#offsets): GET_MAX_OFFSET (30), GET_MIN_OFFSET (31),
 * SEARCH_OFFSET_BY_TIMESTAMP (29), GET_EARLIEST_MSG_STORETIME (32). Like Java they answer for any
 * topic and queue (0 for one the store has never seen).
 */
import { RequestCode, ResponseCode } from '../../remoting/codes.js';
import { decodeHeader } from '../../protocol/header-spec.js';
import { GetEarliestMsgStoretimeRequestHeader, GetMaxOffsetRequestHeader, GetMinOffsetRequestHeader, SearchOffsetRequestHeader } from '../../protocol/headers/broker.js';
import { createResponse } from '../../remoting/command.js';
import type { HandlerTable } from '../../remoting/dispatcher.js';
import { ResponseError } from '../../remoting/errors.js';
import type { BrokerContext } from '../context.js';

export function registerOffsetHandlers(table: HandlerTable, ctx: BrokerContext): void {
  const { store } = ctx;
  table
    .on(RequestCode.GET_MAX_OFFSET, (req) => {
      const h = decodeHeader(GetMaxOffsetRequestHeader, req.extFields);
      return createResponse(req, ResponseCode.SUCCESS, { extFields: { offset: String(store.getMaxOffsetInQueue(h.topic, h.queueId)) } });
    })
    .on(RequestCode.GET_MIN_OFFSET, (req) => {
      const h = decodeHeader(GetMinOffsetRequestHeader, req.extFields);
      return createResponse(req, ResponseCode.SUCCESS, { extFields: { offset: String(store.getMinOffsetInQueue(h.topic, h.queueId)) } });
    })
    .on(RequestCode.SEARCH_OFFSET_BY_TIMESTAMP, async (req) => {
      const h = decodeHeader(SearchOffsetRequestHeader, req.extFields);
      const boundary = (h.boundaryType ?? 'lower').toLowerCase();
      if (boundary !== 'lower' && boundary !== 'upper') throw new ResponseError(ResponseCode.INVALID_PARAMETER, `boundaryType must be lower or upper, got ${JSON.stringify(h.boundaryType)}`);
      const offset = await store.getOffsetInQueueByTime(h.topic, h.queueId, h.timestamp, boundary);
      return createResponse(req, ResponseCode.SUCCESS, { extFields: { offset: String(offset) } });
    })
    .on(RequestCode.GET_EARLIEST_MSG_STORETIME, async (req) => {
      const h = decodeHeader(GetEarliestMsgStoretimeRequestHeader, req.extFields);
      const timestamp = await store.getEarliestMessageTime(h.topic, h.queueId);
      return createResponse(req, ResponseCode.SUCCESS, { extFields: { timestamp: String(timestamp) } });
    });
}
