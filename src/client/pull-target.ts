/**
 * Which broker of a group a consumer pulls a queue from — RocketMQ's
 * `MQClientInstance.findBrokerAddressInSubscribe(brokerName, brokerId, onlyThisBroker=false)`, the
 * one rule for every reader here (push/pull consumers, `message tail`): the broker id the last
 * pull answer suggested when the group has it; for a slave id that is gone, the next id; otherwise
 * the lowest id the group has (the master when it is there, as Java's HashMap iteration of small
 * Long keys gives). So reads continue from a slave while the master is gone and return to the
 * master when the route has it again.
 */
import { MASTER_ID, type BrokerData, type TopicRouteData } from '../protocol/route.js';

export interface PullTarget {
  addr: string;
  brokerId: number;
}

/** The rule over one group's broker id → address table. */
export function subscribeTarget(addrs: ReadonlyMap<number, string>, suggestedBrokerId = MASTER_ID): PullTarget | undefined {
  const at = (id: number): PullTarget | undefined => {
    const addr = addrs.get(id);
    return addr === undefined ? undefined : { addr, brokerId: id };
  };
  const wanted = at(suggestedBrokerId) ?? (suggestedBrokerId !== MASTER_ID ? at(suggestedBrokerId + 1) : undefined);
  if (wanted !== undefined) return wanted;
  const ids = [...addrs.keys()].filter((n) => Number.isSafeInteger(n) && n >= 0).sort((x, y) => x - y);
  return ids.length === 0 ? undefined : at(ids[0] as number);
}

/**
 * A broker group's id → address table. Built afresh on each call: caching it per route object (a
 * WeakMap, c58f701) cost the client far more in mark-compacts than it saved (benchmarks.md, Soak).
 */
export function brokerIdTable(b: BrokerData): Map<number, string> {
  const ids = new Map<number, string>();
  for (const [id, addr] of Object.entries(b.brokerAddrs)) ids.set(Number(id), addr);
  return ids;
}

/** The rule applied to a broker group of a topic route. */
export function pullTarget(route: TopicRouteData, brokerName: string, suggestedBrokerId = MASTER_ID): PullTarget | undefined {
  const b = route.brokerDatas.find((x) => x.brokerName === brokerName);
  if (b === undefined) return undefined;
  return subscribeTarget(brokerIdTable(b), suggestedBrokerId);
}
