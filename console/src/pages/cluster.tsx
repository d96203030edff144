import type { ClusterResponse } from '../../../src/ops/console/api-types.js';
import type { BrokerNodeStatus, NodeReplication } from '../../../src/ops/health/report.js';
import { Chart } from '../components/chart.js';
import { ErrorNote } from '../components/notes.js';
import { age, bytes, num } from '../format.js';
import { usePolled } from '../hooks.js';
import { seriesOf, useSamples } from '../samples.js';

function replication(r: NodeReplication | undefined, role: 'master' | 'slave'): string {
  if (r === undefined) return '—';
  if (r.error) return `unknown (${r.error})`;
  if (role === 'master') {
    if (r.slavesConnected === undefined) return r.haState ?? '—';
    const acks = r.brokerRole === 'SYNC_MASTER' && r.acksNeeded ? `, sends wait for ${r.acksNeeded}` : '';
    return `${r.slavesConnected} slave${r.slavesConnected === 1 ? '' : 's'} connected, ${r.slavesInSync ?? 0} in sync${acks}`;
  }
  const lag = r.lagBytes === undefined ? '' : `, behind ${bytes(r.lagBytes)}${r.lagMillis ? ` (${age(r.lagMillis)})` : ''}`;
  return `${r.haState ?? '—'}${lag}${r.inSync === undefined ? '' : r.inSync ? ', in sync' : ', not in sync'}${r.reason ? ` — ${r.reason}` : ''}`;
}

const stateClass = (s: BrokerNodeStatus['state']) => (s === 'up' ? 'state ok' : 'state bad');

export function ClusterPage() {
  const cluster = usePolled<ClusterResponse>('/api/cluster', 5_000);
  const samples = useSamples();
  const times = samples.map((s) => s.at);
  const rates = seriesOf(samples, (s) => s.brokerGroups?.flatMap((g) => [[`${g.brokerName} in`, g.inPerSec], [`${g.brokerName} out`, g.outPerSec]] as [string, number][]) ?? null);
  const fromRuntime = samples.at(-1)?.brokerGroups?.filter((g) => g.source === 'runtime-info').map((g) => g.brokerName) ?? [];
  const r = cluster.data?.report;
  return (
    <section aria-labelledby="cluster-title">
      <h1 id="cluster-title">Cluster</h1>
      <ErrorNote error={cluster.error} />
      {r === undefined ? (
        <p role="status">{cluster.error ? '' : 'Asking the NameServers and brokers…'}</p>
      ) : (
        <>
          <div class={r.healthy ? 'verdict ok' : 'verdict bad'} role="status">
            <strong>{r.healthy ? 'Healthy' : 'UNHEALTHY'}</strong>
            {r.healthy ? ' — every node runs, answers, is registered and writable; replicas in sync.' : ` — ${r.problems.length} problem${r.problems.length === 1 ? '' : 's'}`}
          </div>
          {r.problems.length > 0 && (
            <>
              <h2>Problems</h2>
              <ul class="problems">
                {r.problems.map((p) => (
                  <li key={p}>{p}</li>
                ))}
              </ul>
            </>
          )}
          {r.warnings.length > 0 && (
            <>
              <h2>Warnings</h2>
              <ul class="warnings">
                {r.warnings.map((p) => (
                  <li key={p}>{p}</li>
                ))}
              </ul>
            </>
          )}
          <table>
            <caption>NameServers</caption>
            <thead>
              <tr>
                <th scope="col">Address</th>
                <th scope="col">State</th>
                <th scope="col">Brokers registered</th>
                <th scope="col">Answer time</th>
              </tr>
            </thead>
            <tbody>
              {r.nameservers.map((n) => (
                <tr key={n.addr}>
                  <th scope="row">{n.id ? `${n.id} (${n.addr})` : n.addr}</th>
                  <td class={n.healthy ? 'state ok' : 'state bad'}>{n.reachable ? (n.healthy ? 'up' : 'UNHEALTHY') : 'DOWN'}</td>
                  <td>{num(n.brokerCount)}</td>
                  <td>{n.latencyMillis === undefined ? '—' : `${n.latencyMillis} ms`}</td>
                </tr>
              ))}
            </tbody>
          </table>
          {r.clusters.map((c) => (
            <section key={c.name} aria-labelledby={`cl-${c.name}`}>
              <h2 id={`cl-${c.name}`}>Cluster {c.name}</h2>
              {c.groups.map((g) => (
                <table key={g.brokerName}>
                  <caption>Broker group {g.brokerName}</caption>
                  <thead>
                    <tr>
                      <th scope="col">Node</th>
                      <th scope="col">Role</th>
                      <th scope="col">Address</th>
                      <th scope="col">State</th>
                      <th scope="col">Writable</th>
                      <th scope="col">Commit log end</th>
                      <th scope="col">Replication</th>
                      <th scope="col">Last heartbeat</th>
                    </tr>
                  </thead>
                  <tbody>
                    {g.nodes.map((n) => (
                      <tr key={n.id}>
                        <th scope="row">{n.id}</th>
                        <td>{n.replication?.brokerRole ?? n.role}</td>
                        <td>
                          <code>{n.addr ?? n.expectedAddr ?? '—'}</code>
                        </td>
                        <td class={stateClass(n.state)}>
                          {n.state}
                          {n.problems.length > 0 && (
                            <ul class="node-problems">
                              {n.problems.map((p) => (
                                <li key={p.message}>
                                  {p.message}
                                  {p.fix ? <> — {p.fix}</> : null}
                                </li>
                              ))}
                            </ul>
                          )}
                        </td>
                        <td>{n.role === 'slave' ? '—' : n.writable === undefined ? '?' : n.writable ? 'yes' : 'NO'}</td>
                        <td>{bytes(n.replication?.commitLogMaxOffset)}</td>
                        <td>{replication(n.replication, n.role)}</td>
                        <td>{age(n.lastHeartbeatAgeMillis)}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              ))}
            </section>
          ))}
        </>
      )}
      <h2>Throughput</h2>
      <Chart id="broker-rates" title="Messages per second in and out, per broker group" unit="msg/s" times={times} series={rates} empty="The first figures arrive after two samples." />
      {fromRuntime.length > 0 && <p class="muted">Metrics are off for {fromRuntime.join(', ')}: figures from the brokers’ runtime info (10-second rates).</p>}
      {(samples.at(-1)?.unavailable.length ?? 0) > 0 && (
        <details>
          <summary>Metrics not read from {samples.at(-1)?.unavailable.length} node(s)</summary>
          <ul>
            {samples.at(-1)?.unavailable.map((u) => (
              <li key={u.node}>
                {u.node}: {u.reason}
              </li>
            ))}
          </ul>
        </details>
      )}
    </section>
  );
}
