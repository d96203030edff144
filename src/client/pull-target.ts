/**
 * Which broker of a group a consumer pulls a queue from (Java
 * `MQClientInstance.findBrokerAddressInSubscribe(brokerName, brokerId, onlyThisBroker=false)`):
 * the broker id the last pull answer suggested when the route has it (a slave id that is gone
 * falls to the next id, as Java does), otherwise the master, otherwise the slave with the lowest
 * id — so reads continue from a slave while the master is gone and return to the master when the
 * route has it again.
 */
import { MASTER_ID, type TopicRouteData } from '../protocol/route.js';

export interface PullTarget {
  addr: string;
  brokerId: number;
}

export function pullTarget(route: TopicRouteData, brokerName: string, suggestedBrokerId = MASTER_ID): PullTarget | undefined {
  const b = route.brokerDatas.find((x) => x.brokerName === brokerName);
  if (b === undefined) return undefined;
  const at = (id: number): PullTarget | undefined => {
    const addr = b.brokerAddrs[String(id)];
    return addr === undefined ? undefined : { addr, brokerId: id };
  };
  const wanted = at(suggestedBrokerId) ?? (suggestedBrokerId !== MASTER_ID ? at(suggestedBrokerId + 1) : undefined);
  if (wanted !== undefined) return wanted;
  const ids = Object.keys(b.brokerAddrs)
    .map(Number)
    .filter((n) => Number.isSafeInteger(n) && n >= 0)
    .sort((x, y) => x - y);
  return ids.length === 0 ? undefined : at(ids[0] as number);
}
