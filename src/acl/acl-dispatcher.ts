/**
 * The ACL in front of a node's handler table: one check per request before any handler runs
 * (the broker and the NameServer install it around their dispatchers, so handlers added later
 * are covered without knowing about it). A refused request is answered NO_PERMISSION (16, as
 * RocketMQ 4.x) with RocketMQ's remark, and logged (rate-limited) without any secret.
 */
import { ResponseCode, requestCodeLabel } from '../remoting/codes.js';
import { createResponse, type RemotingCommand } from '../remoting/command.js';
import type { Connection } from '../remoting/connection.js';
import type { HandlerResult, RequestDispatcher } from '../remoting/dispatcher.js';
import type { Logger } from '../util/log.js';
import { rateLimitedLogger } from '../util/log-rate-limit.js';
import { checkRequest, isRefusal } from './access-control.js';
import type { AclSource } from './acl-source.js';
import { normaliseRemoteIp } from './remote-address.js';

/** The IP part of a Connection's `ip:port` / `[v6]:port` remote address. */
export function remoteIpOf(remoteAddress: string): string {
  const i = remoteAddress.lastIndexOf(':');
  return normaliseRemoteIp(i < 0 ? remoteAddress : remoteAddress.slice(0, i));
}

export class AclDispatcher implements RequestDispatcher {
  private readonly log: Logger;

  constructor(
    private readonly inner: RequestDispatcher,
    private readonly source: AclSource,
    log: Logger,
  ) {
    this.log = rateLimitedLogger(log);
  }

  dispatch(request: RemotingCommand, connection: Connection): HandlerResult | Promise<HandlerResult> {
    const verdict = checkRequest(this.source.policy, request, remoteIpOf(connection.remoteAddress));
    if (!isRefusal(verdict)) return this.inner.dispatch(request, connection);
    this.log.warn('request refused by ACL', {
      peer: connection.remoteAddress,
      code: requestCodeLabel(request.code),
      accessKey: verdict.accessKey,
      reason: verdict.reason,
      remark: verdict.remark,
    });
    return createResponse(request, ResponseCode.NO_PERMISSION, { remark: verdict.remark });
  }
}

