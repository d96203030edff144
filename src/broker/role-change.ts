/**
 * rmqd's failover requests on the broker (RmqExtensionCode, headers in
 * protocol/headers/failover.ts), as a planned switchover (`rmqctl failover`) drives them:
 *  - BROKER_FENCE: the master stops taking puts (every path: sends, delayed delivery, retries) and
 *    answers with its log's end once everything appended is written — the offset the slave must
 *    reach before it may take over;
 *  - BROKER_CHANGE_ROLE: a slave becomes master of a new epoch (only if its log ends exactly where
 *    the fenced master's did), or a master becomes the slave of another — in place: the store,
 *    consume queues, offsets and client connections stay.
 */
import { InvalidInputError } from '../errors.js';
import { BROKER_ROLES, type BrokerRole } from '../node-config/broker-keys.js';
import { RmqExtensionCode, ResponseCode } from '../remoting/codes.js';
import { createResponse } from '../remoting/command.js';
import type { HandlerTable } from '../remoting/dispatcher.js';
import { decodeHeader, encodeHeader } from '../protocol/header-spec.js';
import { BrokerChangeRoleRequestHeader, BrokerChangeRoleResponseHeader, BrokerFenceRequestHeader, BrokerFenceResponseHeader } from '../protocol/headers/failover.js';

/** A role to take now. */
export interface RoleChange {
  brokerRole: BrokerRole;
  brokerId: number;
  /** A master: the epoch it begins (default: the log's epoch + 1). */
  epoch?: number;
  /** A master: haAllowedAddresses from now on (null: anyone; undefined: unchanged). */
  haAllowedAddresses?: string | null;
  /** A slave: its master's addresses (else learnt from the NameServers). */
  masterAddr?: string;
  haMasterAddress?: string;
  /** A master: refuse unless the log ends exactly here. */
  expectMaxOffset?: number;
  /** A master: its name in the epoch history. */
  nodeName?: string;
}

/** What the broker offers the handlers (Broker implements it). */
export interface RoleControl {
  fence(on: boolean, reason: string): Promise<{ maxOffset: number; epoch: number }>;
  changeRole(change: RoleChange): Promise<{ maxOffset: number; epoch: number }>;
}

export function registerRoleHandlers(table: HandlerTable, control: RoleControl, autoFailover = false): void {
  if (autoFailover) {
    // the group's etcd election decides who is master: a switchover from outside would race it
    const refuse = (req: Parameters<Parameters<HandlerTable['on']>[1]>[0]) =>
      createResponse(req, ResponseCode.NO_PERMISSION, { remark: 'this broker group elects its master through etcd (failoverMode=auto): the role is not changed from outside; stop the master to hand over (it returns its lease)' });
    table.on(RmqExtensionCode.BROKER_FENCE, refuse).on(RmqExtensionCode.BROKER_CHANGE_ROLE, refuse);
    return;
  }
  table.on(RmqExtensionCode.BROKER_FENCE, async (req) => {
    const h = decodeHeader(BrokerFenceRequestHeader, req.extFields);
    const r = await control.fence(h.fence, h.reason ?? 'a planned switchover (rmqctl failover) moves the master role: sends go to the other broker groups meanwhile');
    return createResponse(req, ResponseCode.SUCCESS, { extFields: encodeHeader(BrokerFenceResponseHeader, r) });
  });
  table.on(RmqExtensionCode.BROKER_CHANGE_ROLE, async (req) => {
    const h = decodeHeader(BrokerChangeRoleRequestHeader, req.extFields);
    if (!(BROKER_ROLES as readonly string[]).includes(h.brokerRole)) {
      return createResponse(req, ResponseCode.INVALID_PARAMETER, { remark: `brokerRole ${JSON.stringify(h.brokerRole)}: expected one of ${BROKER_ROLES.join(', ')}` });
    }
    try {
      const r = await control.changeRole({
        brokerRole: h.brokerRole as BrokerRole,
        brokerId: h.brokerId,
        ...(h.epoch !== undefined ? { epoch: h.epoch } : {}),
        ...(h.haAllowedAddresses !== undefined ? { haAllowedAddresses: h.haAllowedAddresses === '' ? null : h.haAllowedAddresses } : {}),
        ...(h.masterAddr ? { masterAddr: h.masterAddr } : {}),
        ...(h.haMasterAddress ? { haMasterAddress: h.haMasterAddress } : {}),
        ...(h.expectMaxOffset !== undefined ? { expectMaxOffset: h.expectMaxOffset } : {}),
        ...(h.nodeName ? { nodeName: h.nodeName } : {}),
      });
      return createResponse(req, ResponseCode.SUCCESS, { extFields: encodeHeader(BrokerChangeRoleResponseHeader, r) });
    } catch (e) {
      if (e instanceof InvalidInputError || e instanceof RangeError) return createResponse(req, ResponseCode.INVALID_PARAMETER, { remark: e.message });
      throw e;
    }
  });
}
