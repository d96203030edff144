/**
 * Looking messages up (Java QueryMessageProcessor): VIEW_MESSAGE_BY_ID (33) by commit-log offset
 * (the offset msgId carries it), QUERY_MESSAGE (12) by a KEYS entry or a UNIQ_KEY through the key
 * index. Bodies are stored records as they are, laid end to end.
 */
import { RequestCode, ResponseCode } from '../../remoting/codes.js';
import { decodeHeader } from '../../protocol/header-spec.js';
import { QueryMessageRequestHeader, ViewMessageRequestHeader } from '../../protocol/headers/broker.js';
import { createResponse } from '../../remoting/command.js';
import type { HandlerTable } from '../../remoting/dispatcher.js';
import type { BrokerContext } from '../context.js';

/** `MixAll.UNIQUE_MSG_QUERY_FLAG`: the key is a UNIQ_KEY (Java then caps the answer at defaultQueryMaxNum). */
export const UNIQUE_MSG_QUERY_FLAG = '_UNIQUE_KEY_QUERY';
/** MessageStoreConfig `defaultQueryMaxNum` / `maxMsgsNumBatch`. */
const DEFAULT_QUERY_MAX_NUM = 32;
const MAX_MSGS_NUM_BATCH = 64;

export function registerMessageHandlers(table: HandlerTable, ctx: BrokerContext): void {
  const { store } = ctx;
  table
    .on(RequestCode.VIEW_MESSAGE_BY_ID, async (req) => {
      const h = decodeHeader(ViewMessageRequestHeader, req.extFields);
      const rec = await store.lookMessageByOffset(h.offset);
      if (rec === undefined) return createResponse(req, ResponseCode.SYSTEM_ERROR, { remark: `can not find message by the offset, ${h.offset}` });
      return createResponse(req, ResponseCode.SUCCESS, { body: rec });
    })
    .on(RequestCode.QUERY_MESSAGE, async (req) => {
      const h = decodeHeader(QueryMessageRequestHeader, req.extFields);
      const unique = req.extFields?.[UNIQUE_MSG_QUERY_FLAG] === 'true';
      const maxNum = Math.max(1, Math.min(unique ? DEFAULT_QUERY_MAX_NUM : h.maxNum, MAX_MSGS_NUM_BATCH));
      const end = h.endTimestamp > 0 ? h.endTimestamp : Number.MAX_SAFE_INTEGER;
      const records = await store.queryMessage(h.topic, h.key, maxNum, Math.max(0, h.beginTimestamp), end);
      const extFields = { indexLastUpdateTimestamp: String(Date.now()), indexLastUpdatePhyoffset: String(store.maxPhysOffset) };
      if (records.length === 0) return createResponse(req, ResponseCode.QUERY_NOT_FOUND, { remark: 'can not find message, maybe time range not correct', extFields });
      return createResponse(req, ResponseCode.SUCCESS, { extFields, body: Buffer.concat(records) });
    });
}
