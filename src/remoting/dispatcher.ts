/**
 * What a connection does with a request from its peer: a table of handlers by request code.
 * Both sides use it: the NameServer and broker for client requests, clients for the requests a
 * broker sends them (e.g. NOTIFY_CONSUMER_IDS_CHANGED).
 */
import { ResponseCode } from './codes.js';
import { createResponse, type RemotingCommand } from './command.js';
import type { Connection } from './connection.js';

/**
 * A handler answers with a response (usually made by createResponse), or null/undefined for no
 * answer. It may throw: a ResponseError becomes a response with its code and message, anything
 * else a SYSTEM_ERROR with the message. Oneway requests get no answer either way.
 */
export type HandlerResult = RemotingCommand | null | undefined;
export type RequestHandler = (request: RemotingCommand, connection: Connection) => HandlerResult | Promise<HandlerResult>;

export interface RequestDispatcher {
  dispatch(request: RemotingCommand, connection: Connection): HandlerResult | Promise<HandlerResult>;
}

export class HandlerTable implements RequestDispatcher {
  private readonly handlers = new Map<number, RequestHandler>();

  /** Registers the handler for `code` (replacing an earlier one). */
  on(code: number, handler: RequestHandler): this {
    this.handlers.set(code, handler);
    return this;
  }

  has(code: number): boolean {
    return this.handlers.has(code);
  }

  dispatch(request: RemotingCommand, connection: Connection): HandlerResult | Promise<HandlerResult> {
    const handler = this.handlers.get(request.code);
    if (handler === undefined) {
      // Java's NettyRemotingAbstract wording, leading space included.
      return createResponse(request, ResponseCode.REQUEST_CODE_NOT_SUPPORTED, { remark: ` request type ${request.code} not supported` });
    }
    return handler(request, connection);
  }
}
