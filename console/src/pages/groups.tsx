import { useState } from 'preact/hooks';
import type { GroupPage, GroupsResponse, ResetResponse } from '../../../src/ops/console/api-types.js';
import type { QueueProgress } from '../../../src/ops/group-admin.js';
import { api, enc } from '../api.js';
import { Chart, type ChartSeries } from '../components/chart.js';
import { ConfirmDialog } from '../components/confirm.js';
import { ErrorNote, Status } from '../components/notes.js';
import { fromLocalInput, num, rate, time, toLocalInput } from '../format.js';
import { usePolled } from '../hooks.js';
import { seriesOf, useSamples } from '../samples.js';

const queueLabel = (q: Pick<QueueProgress, 'topic' | 'brokerName' | 'queueId'>) => `${q.topic} ${q.brokerName} ${q.queueId}`;
const totalLag = (qs: QueueProgress[]): number | null => (qs.some((q) => q.lag === null) ? null : qs.reduce((n, q) => n + (q.lag as number), 0));

function ResetOffset(props: { group: string; topics: string[]; onDone: () => void }) {
  const [topic, setTopic] = useState('');
  const [to, setTo] = useState<'time' | 'beginning' | 'end'>('time');
  const [at, setAt] = useState(() => toLocalInput(Date.now() - 3_600_000));
  const [confirming, setConfirming] = useState(false);
  const [busy, setBusy] = useState(false);
  const [outcome, setOutcome] = useState<{ text: string; kind: 'ok' | 'error' } | undefined>(undefined);
  const chosen = topic || props.topics[0] || '';
  const timestamp = to === 'end' ? -1 : to === 'beginning' ? 0 : (fromLocalInput(at) ?? Date.now());
  const run = async () => {
    setBusy(true);
    try {
      const r = await api.post<ResetResponse>(`/api/groups/${enc(props.group)}/reset-offset`, { topic: chosen, timestamp, force: true, confirm: props.group });
      setOutcome(
        r.problems.length === 0
          ? { text: `Offsets of ${chosen} moved: ${r.queues.map((q) => `${q.brokerName}/${q.queueId} → ${q.offset}`).join(', ')}`, kind: 'ok' }
          : { text: `Not reset on ${r.problems.map((p) => `${p.brokerName}: ${p.error}`).join('; ')}`, kind: 'error' },
      );
      props.onDone();
    } catch (err) {
      setOutcome({ text: (err as Error).message, kind: 'error' });
    } finally {
      setBusy(false);
      setConfirming(false);
    }
  };
  return (
    <form
      class="panel"
      aria-labelledby="reset-title"
      onSubmit={(e) => {
        e.preventDefault();
        setConfirming(true);
      }}
    >
      <h3 id="reset-title">Reset offsets</h3>
      <div class="fields">
        <label>
          Topic
          <select name="topic" value={chosen} onChange={(e) => setTopic((e.target as HTMLSelectElement).value)}>
            {props.topics.map((t) => (
              <option key={t} value={t}>
                {t}
              </option>
            ))}
          </select>
        </label>
        <fieldset>
          <legend>Move to</legend>
          <label class="check">
            <input type="radio" name="to" checked={to === 'time'} onChange={() => setTo('time')} /> the first message stored at or after
          </label>
          <label class="visually-hidden" for="reset-at">
            Time
          </label>
          <input id="reset-at" type="datetime-local" value={at} disabled={to !== 'time'} onInput={(e) => setAt((e.target as HTMLInputElement).value)} />
          <label class="check">
            <input type="radio" name="to" checked={to === 'beginning'} onChange={() => setTo('beginning')} /> the beginning (consume everything again)
          </label>
          <label class="check">
            <input type="radio" name="to" checked={to === 'end'} onChange={() => setTo('end')} /> the end (skip the backlog)
          </label>
        </fieldset>
      </div>
      <button type="submit" disabled={chosen === '' || busy}>
        Reset offsets…
      </button>
      <Status text={outcome?.text} kind={outcome?.kind} />
      <ConfirmDialog open={confirming} title={`Reset the offsets of ${props.group}?`} confirmText={props.group} actionLabel="Reset offsets" busy={busy} onConfirm={() => void run()} onCancel={() => setConfirming(false)}>
        <p>
          Every queue of <code>{chosen}</code> moves to {to === 'end' ? 'its end: waiting messages are skipped' : to === 'beginning' ? 'its first message: messages are consumed again' : `the first message stored at or after ${at.replace('T', ' ')}`}. Running
          consumers follow on their next pull.
        </p>
      </ConfirmDialog>
    </form>
  );
}

function GroupDetail(props: { group: string; intervalMillis: number }) {
  const g = usePolled<GroupPage>(`/api/groups/${enc(props.group)}`, props.intervalMillis);
  const p = g.data?.progress;
  const history = g.data?.history ?? [];
  const labels = [...new Set(history.flatMap((h) => Object.keys(h.lag)))].sort();
  const series: ChartSeries[] = labels.map((label) => ({ label, values: history.map((h) => h.lag[label] ?? null) }));
  const topics = [...new Set((p?.queues ?? []).map((q) => q.topic).filter((t) => !t.startsWith('%RETRY%')))].sort();
  const lag = p === undefined ? undefined : totalLag(p.queues);
  return (
    <section aria-labelledby="group-title" class="detail">
      <h2 id="group-title">Consumer group {props.group}</h2>
      <ErrorNote error={g.error} />
      {p !== undefined && (
        <>
          <p class="figures">
            Total lag: <output id="total-lag">{lag === null ? 'unknown' : String(lag)}</output> · clients: <output id="client-count">{p.clients.length}</output> · consume rate: {rate(p.consumeTps)}
            {p.messageModel ? ` · ${p.messageModel}` : ''}
            {p.consumeType ? ` · ${p.consumeType}` : ''}
          </p>
          {p.problems.length > 0 && (
            <ul class="problems">
              {p.problems.map((x) => (
                <li key={x.brokerName}>
                  {x.brokerName}: {x.error}
                </li>
              ))}
            </ul>
          )}
          <Chart id="queue-lag" title={`Lag per queue of ${props.group}`} unit="messages" times={history.map((h) => h.at)} series={series} empty="No queues yet." />
          <table>
            <caption>Queues</caption>
            <thead>
              <tr>
                <th scope="col">Queue</th>
                <th scope="col">Broker offset</th>
                <th scope="col">Consumer offset</th>
                <th scope="col">Lag</th>
                <th scope="col">Last consumed</th>
                <th scope="col">Client</th>
              </tr>
            </thead>
            <tbody>
              {p.queues.map((q) => (
                <tr key={queueLabel(q)}>
                  <th scope="row">{queueLabel(q)}</th>
                  <td>{num(q.brokerOffset)}</td>
                  <td>{num(q.consumerOffset)}</td>
                  <td>{num(q.lag)}</td>
                  <td>{time(q.lastConsumeTimestamp)}</td>
                  <td>{q.clients === undefined ? '—' : q.clients === null ? 'unknown' : q.clients.join(', ') || 'none'}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <table>
            <caption>Clients</caption>
            <thead>
              <tr>
                <th scope="col">Client id</th>
                <th scope="col">Address</th>
                <th scope="col">Language, version</th>
                <th scope="col">Connected to</th>
                <th scope="col">Queues held</th>
              </tr>
            </thead>
            <tbody>
              {p.clients.map((c) => (
                <tr key={c.clientId}>
                  <th scope="row">{c.clientId}</th>
                  <td>{c.clientAddr}</td>
                  <td>
                    {c.language} {c.version}
                  </td>
                  <td>{c.brokers.join(', ')}</td>
                  <td>{c.queuesHeld === null ? `unknown${c.runningInfoError ? ` (${c.runningInfoError})` : ''}` : num(c.queuesHeld)}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <ResetOffset group={props.group} topics={topics} onDone={g.reload} />
          <p>
            <a href={`#/dlq/${enc(props.group)}`}>Dead letters of {props.group}</a>
          </p>
        </>
      )}
    </section>
  );
}

export function GroupsPage(props: { selected: string | undefined }) {
  const list = usePolled<GroupsResponse>('/api/groups', 5_000);
  const samples = useSamples();
  const interval = samples.length > 1 ? Math.max(1_000, (samples.at(-1)?.at ?? 0) - (samples.at(-2)?.at ?? 0)) : 2_000;
  const lagSeries = seriesOf(samples, (s) => s.groups?.map((g) => [g.group, g.lag] as [string, number | null]) ?? null);
  return (
    <section aria-labelledby="groups-title">
      <h1 id="groups-title">Consumer groups</h1>
      <ErrorNote error={list.error} />
      {props.selected !== undefined && <GroupDetail group={props.selected} intervalMillis={interval} />}
      <table>
        <caption>{list.data ? `${list.data.groups.length} consumer group${list.data.groups.length === 1 ? '' : 's'}` : 'Consumer groups'}</caption>
        <thead>
          <tr>
            <th scope="col">Group</th>
            <th scope="col">Clients</th>
            <th scope="col">Topics</th>
            <th scope="col">Lag</th>
            <th scope="col">Consume rate</th>
            <th scope="col">Broker groups</th>
          </tr>
        </thead>
        <tbody>
          {list.data?.groups.map((g) => (
            <tr key={g.group}>
              <th scope="row">
                <a href={`#/groups/${enc(g.group)}`} aria-current={props.selected === g.group ? 'true' : undefined}>
                  {g.group}
                </a>
              </th>
              <td>{g.clients}</td>
              <td>{g.topics.join(', ') || '—'}</td>
              <td>{g.lag === null ? 'unknown' : num(g.lag)}</td>
              <td>{rate(g.consumeTps)}</td>
              <td>{g.brokers.join(', ')}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {(list.data?.problems.length ?? 0) > 0 && (
        <ul class="problems">
          {list.data?.problems.map((p) => (
            <li key={`${p.brokerName} ${p.error}`}>
              {p.brokerName}: {p.error}
            </li>
          ))}
        </ul>
      )}
      <Chart id="group-lag" title="Total lag per consumer group" unit="messages" times={samples.map((s) => s.at)} series={lagSeries} empty="No consumer groups sampled yet." />
    </section>
  );
}
