/** The transaction rows of `topic describe` and `group describe`: pending half messages per broker, topic and producer group. */
import type { BrokerTransactions } from '../../ops/transaction-state.js';
import { table } from './table.js';

const time = (ms: number) => new Date(ms).toISOString();

export function transactionTable(brokers: readonly BrokerTransactions[]): string[] {
  const rows = [['BROKER', 'TOPIC', 'PRODUCER GROUP', 'PENDING', 'OLDEST', 'CHECKS', 'MOST CHECKS']];
  for (const b of brokers) {
    if (b.error !== undefined) rows.push([b.brokerName, '-', '-', '-', '-', '-', `ERROR: ${b.error}`]);
    for (const g of b.groups) rows.push([b.brokerName, g.topic, g.producerGroup, String(g.pending), time(g.oldestStoreTimestamp), String(g.checks), `${g.maxChecks} of ${b.transactionCheckMax}`]);
  }
  return table(rows);
}
