/** The rates section of `rmqctl status --watch` (ops/rates). */
import type { RateReport } from '../../ops/rates/rates.js';
import { table } from './table.js';

const rate = (n: number) => n.toFixed(1);

export function formatRates(r: RateReport | undefined): string {
  if (r === undefined) return 'rates (msg/s): from the next refresh on';
  const lines = [`rates (msg/s over the last ${r.intervalSeconds.toFixed(1)} s, from the brokers' metrics)`];
  if (r.brokerGroups.length > 0) lines.push(...table([['broker group', 'in', 'out'], ...r.brokerGroups.map((g) => [g.brokerName, rate(g.inPerSec), rate(g.outPerSec)])]));
  if (r.consumerGroups.length > 0) lines.push(...table([['consumer group', 'out', 'topics'], ...r.consumerGroups.map((g) => [g.group, rate(g.outPerSec), g.topics.join(', ')])]));
  for (const u of r.unavailable) lines.push(`  ${u.node}: no rates (${u.reason})`);
  return lines.join('\n');
}
