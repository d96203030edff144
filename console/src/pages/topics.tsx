import { useState } from 'preact/hooks';
import type { ClusterResponse, CreateTopicResponse, DeleteTopicResponse, SendResponse, TopicResponse, TopicsResponse } from '../../../src/ops/console/api-types.js';
import { api, enc } from '../api.js';
import { Chart } from '../components/chart.js';
import { ConfirmDialog } from '../components/confirm.js';
import { ErrorNote, Status } from '../components/notes.js';
import { num, rate, time } from '../format.js';
import { usePolled } from '../hooks.js';
import { seriesOf, useSamples } from '../samples.js';
import type { Sample } from '../../../src/ops/console/sampler.js';

type Outcome = { text: string; kind: 'ok' | 'error' } | undefined;
const outcomeOf = (r: { brokers: { ok: boolean; brokerName: string; error?: string }[] }, verb: string): Outcome => {
  const failed = r.brokers.filter((b) => !b.ok);
  return failed.length === 0
    ? { text: `${verb} on ${r.brokers.map((b) => b.brokerName).join(', ') || 'no broker'}.`, kind: 'ok' }
    : { text: `Failed on ${failed.map((b) => `${b.brokerName}: ${b.error}`).join('; ')}`, kind: 'error' };
};

function CreateTopic(props: { onCreated: (topic: string) => void }) {
  const clusters = usePolled<ClusterResponse>('/api/cluster');
  const names = clusters.data?.report.clusters.map((c) => c.name) ?? [];
  const [topic, setTopic] = useState('');
  const [cluster, setCluster] = useState('');
  const [readQueues, setRead] = useState(8);
  const [writeQueues, setWrite] = useState(8);
  const [perm, setPerm] = useState(6);
  const [order, setOrder] = useState(false);
  const [busy, setBusy] = useState(false);
  const [outcome, setOutcome] = useState<Outcome>(undefined);
  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setOutcome(undefined);
    try {
      const r = await api.post<CreateTopicResponse>('/api/topics', { topic, target: { cluster: cluster || names[0] }, readQueues, writeQueues, perm, order });
      const o = outcomeOf(r, `Topic ${topic} created`);
      setOutcome(o);
      if (o?.kind === 'ok') props.onCreated(topic);
    } catch (err) {
      setOutcome({ text: (err as Error).message, kind: 'error' });
    } finally {
      setBusy(false);
    }
  };
  return (
    <form class="panel" onSubmit={submit} aria-labelledby="create-topic-title">
      <h2 id="create-topic-title">Create a topic</h2>
      <div class="fields">
        <label>
          Name
          <input name="topic" value={topic} required maxLength={127} pattern={'[a-zA-Z0-9_%\\|\\-]+'} onInput={(e) => setTopic((e.target as HTMLInputElement).value)} />
        </label>
        <label>
          Cluster
          <select name="cluster" value={cluster || names[0]} onChange={(e) => setCluster((e.target as HTMLSelectElement).value)}>
            {names.map((n) => (
              <option key={n} value={n}>
                {n}
              </option>
            ))}
          </select>
        </label>
        <label>
          Read queues
          <input name="readQueues" type="number" min={0} max={16384} value={readQueues} onInput={(e) => setRead(Number((e.target as HTMLInputElement).value))} />
        </label>
        <label>
          Write queues
          <input name="writeQueues" type="number" min={0} max={16384} value={writeQueues} onInput={(e) => setWrite(Number((e.target as HTMLInputElement).value))} />
        </label>
        <label>
          Permission
          <select name="perm" value={String(perm)} onChange={(e) => setPerm(Number((e.target as HTMLSelectElement).value))}>
            <option value="6">read and write</option>
            <option value="4">read only</option>
            <option value="2">write only</option>
          </select>
        </label>
        <label class="check">
          <input type="checkbox" name="order" checked={order} onChange={(e) => setOrder((e.target as HTMLInputElement).checked)} />
          Order (FIFO) topic
        </label>
      </div>
      <button type="submit" disabled={busy || topic === '' || names.length === 0}>
        Create topic
      </button>
      <Status text={outcome?.text} kind={outcome?.kind} />
    </form>
  );
}

function SendMessage(props: { topic: string }) {
  const [body, setBody] = useState('');
  const [tag, setTag] = useState('');
  const [keys, setKeys] = useState('');
  const [busy, setBusy] = useState(false);
  const [outcome, setOutcome] = useState<Outcome>(undefined);
  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    try {
      const k = keys.split(/[\s,]+/).filter((x) => x !== '');
      const r = await api.post<SendResponse>(`/api/topics/${enc(props.topic)}/messages`, { body, ...(tag ? { tag } : {}), ...(k.length ? { keys: k } : {}) });
      setOutcome({ text: `${r.sendStatus}: msgId ${r.msgId}, offsetMsgId ${r.offsetMsgId}, ${r.messageQueue.brokerName} queue ${r.messageQueue.queueId} offset ${r.queueOffset}`, kind: r.sendStatus === 'SEND_OK' ? 'ok' : 'error' });
    } catch (err) {
      setOutcome({ text: (err as Error).message, kind: 'error' });
    } finally {
      setBusy(false);
    }
  };
  return (
    <form class="panel" onSubmit={submit} aria-labelledby="send-title">
      <h3 id="send-title">Send a test message</h3>
      <div class="fields">
        <label class="wide">
          Body
          <textarea name="body" rows={3} required value={body} onInput={(e) => setBody((e.target as HTMLTextAreaElement).value)} />
        </label>
        <label>
          Tag
          <input name="tag" value={tag} onInput={(e) => setTag((e.target as HTMLInputElement).value)} />
        </label>
        <label>
          Keys (space or comma separated)
          <input name="keys" value={keys} onInput={(e) => setKeys((e.target as HTMLInputElement).value)} />
        </label>
      </div>
      <button type="submit" disabled={busy || body === ''}>
        Send
      </button>
      <Status text={outcome?.text} kind={outcome?.kind} />
    </form>
  );
}

function TopicDetail(props: { topic: string; samples: Sample[]; onDeleted: () => void }) {
  const d = usePolled<TopicResponse>(`/api/topics/${enc(props.topic)}`, 5_000);
  const [confirming, setConfirming] = useState(false);
  const [busy, setBusy] = useState(false);
  const [outcome, setOutcome] = useState<Outcome>(undefined);
  const series = seriesOf(props.samples, (s) => s.topics?.filter((t) => t.topic === props.topic).map((t) => ['messages in', t.inPerSec] as [string, number]) ?? null);
  const del = async () => {
    setBusy(true);
    try {
      const r = await api.del<DeleteTopicResponse>(`/api/topics/${enc(props.topic)}`, { confirm: props.topic });
      setConfirming(false);
      setOutcome(outcomeOf(r, `Topic ${props.topic} deleted`));
      props.onDeleted();
    } catch (err) {
      setConfirming(false);
      setOutcome({ text: (err as Error).message, kind: 'error' });
    } finally {
      setBusy(false);
    }
  };
  return (
    <section aria-labelledby="topic-title" class="detail">
      <h2 id="topic-title" tabIndex={-1}>
        Topic {props.topic}
      </h2>
      <ErrorNote error={d.error} />
      {d.data?.brokers.map((b) => (
        <table key={b.brokerName}>
          <caption>
            {b.brokerName} ({b.addr ?? 'no master'}): {b.readQueueNums} read / {b.writeQueueNums} write queues, perm {b.perm}
            {b.error ? ` — ${b.error}` : ''}
          </caption>
          <thead>
            <tr>
              <th scope="col">Queue</th>
              <th scope="col">Min offset</th>
              <th scope="col">Max offset</th>
              <th scope="col">Messages</th>
              <th scope="col">Last stored</th>
            </tr>
          </thead>
          <tbody>
            {b.queues.map((q) => (
              <tr key={q.queueId}>
                <th scope="row">{q.queueId}</th>
                <td>{num(q.minOffset)}</td>
                <td>{num(q.maxOffset)}</td>
                <td>{num(q.maxOffset - q.minOffset)}</td>
                <td>{time(q.lastUpdateTimestamp)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ))}
      <Chart id="topic-rate" title={`Messages per second into ${props.topic}`} unit="msg/s" times={props.samples.map((s) => s.at)} series={series} empty="Rates per topic come from the brokers’ metrics (metricsPort); none yet." />
      <SendMessage topic={props.topic} />
      <div class="panel">
        <h3>Delete</h3>
        <p>Deletes the topic from every master serving it and from every NameServer. Its messages can no longer be read.</p>
        <button type="button" class="danger" onClick={() => setConfirming(true)}>
          Delete topic {props.topic}…
        </button>
        <Status text={outcome?.text} kind={outcome?.kind} />
      </div>
      <ConfirmDialog open={confirming} title={`Delete topic ${props.topic}?`} confirmText={props.topic} actionLabel="Delete topic" busy={busy} onConfirm={() => void del()} onCancel={() => setConfirming(false)}>
        <p>This cannot be undone.</p>
      </ConfirmDialog>
    </section>
  );
}

export function TopicsPage(props: { selected: string | undefined }) {
  const list = usePolled<TopicsResponse>('/api/topics', 10_000);
  const samples = useSamples();
  const [filter, setFilter] = useState('');
  const [all, setAll] = useState(false);
  const latest = new Map(samples.at(-1)?.topics?.map((t) => [t.topic, t.inPerSec]) ?? []);
  const shown = (list.data?.topics ?? []).filter((t) => (all || t.kind === 'normal') && t.topic.toLowerCase().includes(filter.toLowerCase()));
  return (
    <section aria-labelledby="topics-title">
      <h1 id="topics-title">Topics</h1>
      <ErrorNote error={list.error} />
      <CreateTopic
        onCreated={(t) => {
          list.reload();
          location.hash = `#/topics/${enc(t)}`;
        }}
      />
      {props.selected !== undefined && (
        <TopicDetail
          topic={props.selected}
          samples={samples}
          onDeleted={() => {
            list.reload();
          }}
        />
      )}
      <div class="filters">
        <label>
          Filter
          <input type="search" value={filter} onInput={(e) => setFilter((e.target as HTMLInputElement).value)} />
        </label>
        <label class="check">
          <input type="checkbox" checked={all} onChange={(e) => setAll((e.target as HTMLInputElement).checked)} />
          Show retry, dead-letter and system topics
        </label>
      </div>
      <table>
        <caption>
          {shown.length} topic{shown.length === 1 ? '' : 's'}
        </caption>
        <thead>
          <tr>
            <th scope="col">Topic</th>
            <th scope="col">Kind</th>
            <th scope="col">Messages in</th>
          </tr>
        </thead>
        <tbody>
          {shown.map((t) => (
            <tr key={t.topic}>
              <th scope="row">
                <a href={`#/topics/${enc(t.topic)}`} aria-current={props.selected === t.topic ? 'true' : undefined}>
                  {t.topic}
                </a>
              </th>
              <td>{t.kind}</td>
              <td>{rate(latest.get(t.topic))}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
