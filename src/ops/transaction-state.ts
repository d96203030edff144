/**
 * Transaction state for `topic describe` and `group describe`: each master's half messages still
 * pending for a topic or of a producer group, and the checks made for them (GET_TRANSACTION_STATE,
 * protocol/transaction-state.ts). A broker that does not know the request (not rmqd) is left out
 * rather than reported as a failure; one that cannot be asked is reported with its error.
 */
import type { BrokerApi } from '../client/broker-api.js';
import { ResponseCode } from '../remoting/codes.js';
import { ResponseError } from '../remoting/errors.js';
import type { GetTransactionStateRequest, PendingGroupState } from '../protocol/transaction-state.js';

export interface BrokerTransactions {
  brokerName: string;
  addr: string;
  /** Half messages pending here (for the topic or group asked about). */
  pending: number;
  /** Store time of the oldest of them (ms); null when none. */
  oldestStoreTimestamp: number | null;
  /** Checks sent for them so far. */
  checks: number;
  /** The most checks one of them has had (the broker gives up after transactionCheckMax). */
  maxChecks: number;
  transactionCheckMax: number;
  /** Per topic and producer group. */
  groups: PendingGroupState[];
  error?: string;
}

/** The masters' pending half messages narrowed by `filter`; brokers that are not rmqd are left out. */
export async function transactionsOn(brokers: BrokerApi, masters: readonly { brokerName: string; addr: string }[], filter: GetTransactionStateRequest): Promise<BrokerTransactions[]> {
  const out = await Promise.all(
    masters.map(async (m): Promise<BrokerTransactions | undefined> => {
      const none = { ...m, pending: 0, oldestStoreTimestamp: null, checks: 0, maxChecks: 0, transactionCheckMax: 0, groups: [] };
      try {
        const s = await brokers.transactionState(m.addr, filter);
        const oldest = s.groups.reduce<number | null>((o, g) => (o === null ? g.oldestStoreTimestamp : Math.min(o, g.oldestStoreTimestamp)), null);
        return {
          ...m,
          pending: s.groups.reduce((n, g) => n + g.pending, 0),
          oldestStoreTimestamp: oldest,
          checks: s.groups.reduce((n, g) => n + g.checks, 0),
          maxChecks: s.groups.reduce((n, g) => Math.max(n, g.maxChecks), 0),
          transactionCheckMax: s.transactionCheckMax,
          groups: s.groups,
        };
      } catch (e) {
        if (e instanceof ResponseError && e.responseCode === ResponseCode.REQUEST_CODE_NOT_SUPPORTED) return undefined;
        return { ...none, error: (e as Error).message };
      }
    }),
  );
  return out.filter((b): b is BrokerTransactions => b !== undefined).sort((a, b) => a.brokerName.localeCompare(b.brokerName));
}
