import { useState } from 'preact/hooks';
import type { ConsoleMessage, MessagesResponse, TopicsResponse } from '../../../src/ops/console/api-types.js';
import { api, enc } from '../api.js';
import { MessageDetail, preview } from '../components/message-view.js';
import { ErrorNote } from '../components/notes.js';
import { fromLocalInput, time, toLocalInput } from '../format.js';
import { usePolled } from '../hooks.js';

type Mode = 'key' | 'id' | 'time';

export function MessagesPage() {
  const topics = usePolled<TopicsResponse>('/api/topics');
  const [mode, setMode] = useState<Mode>('key');
  const [topic, setTopic] = useState('');
  const [key, setKey] = useState('');
  const [id, setId] = useState('');
  const [begin, setBegin] = useState(() => toLocalInput(Date.now() - 3_600_000));
  const [end, setEnd] = useState('');
  const [result, setResult] = useState<MessagesResponse | undefined>(undefined);
  const [error, setError] = useState<string | undefined>(undefined);
  const [busy, setBusy] = useState(false);
  const [shown, setShown] = useState<ConsoleMessage | undefined>(undefined);
  const search = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    setShown(undefined);
    const q = new URLSearchParams();
    if (topic) q.set('topic', topic);
    if (mode === 'key') q.set('key', key);
    if (mode === 'id') q.set('id', id.trim());
    if (mode === 'time') {
      q.set('begin', String(fromLocalInput(begin) ?? 0));
      if (end) q.set('end', String(fromLocalInput(end)));
    }
    try {
      setResult(await api.get<MessagesResponse>(`/api/messages?${q}`));
    } catch (err) {
      setResult(undefined);
      setError((err as Error).message);
    } finally {
      setBusy(false);
    }
  };
  return (
    <section aria-labelledby="messages-title">
      <h1 id="messages-title">Messages</h1>
      <form class="panel" onSubmit={search} aria-labelledby="search-title">
        <h2 id="search-title">Find messages</h2>
        <fieldset>
          <legend>Search by</legend>
          {(
            [
              ['key', 'key'],
              ['id', 'message id'],
              ['time', 'time range'],
            ] as const
          ).map(([m, label]) => (
            <label class="check" key={m}>
              <input type="radio" name="mode" value={m} checked={mode === m} onChange={() => setMode(m)} /> {label}
            </label>
          ))}
        </fieldset>
        <div class="fields">
          <label>
            Topic{mode === 'id' ? ' (for a producer msgId)' : ''}
            <input name="topic" list="topic-names" value={topic} required={mode !== 'id'} onInput={(e) => setTopic((e.target as HTMLInputElement).value)} />
          </label>
          <datalist id="topic-names">
            {topics.data?.topics.map((t) => (
              <option key={t.topic} value={t.topic} />
            ))}
          </datalist>
          {mode === 'key' && (
            <label>
              Key
              <input name="key" value={key} required onInput={(e) => setKey((e.target as HTMLInputElement).value)} />
            </label>
          )}
          {mode === 'id' && (
            <label>
              Message id (msgId or offsetMsgId)
              <input name="id" value={id} required pattern="[0-9A-Fa-f]+" onInput={(e) => setId((e.target as HTMLInputElement).value)} />
            </label>
          )}
          {mode === 'time' && (
            <>
              <label>
                Stored from
                <input name="begin" type="datetime-local" value={begin} onInput={(e) => setBegin((e.target as HTMLInputElement).value)} />
              </label>
              <label>
                Stored before (empty: now)
                <input name="end" type="datetime-local" value={end} onInput={(e) => setEnd((e.target as HTMLInputElement).value)} />
              </label>
            </>
          )}
        </div>
        <button type="submit" disabled={busy}>
          Search
        </button>
      </form>
      <ErrorNote error={error} />
      {result !== undefined && (
        <>
          <p role="status">
            {result.messages.length} message{result.messages.length === 1 ? '' : 's'} found{result.truncated ? ' (the newest only: narrow the range to see the others)' : ''}.
          </p>
          {result.problems.length > 0 && (
            <ul class="problems">
              {result.problems.map((p) => (
                <li key={p}>{p}</li>
              ))}
            </ul>
          )}
          <table>
            <caption>Found messages, newest first</caption>
            <thead>
              <tr>
                <th scope="col">Stored</th>
                <th scope="col">msgId</th>
                <th scope="col">Keys</th>
                <th scope="col">Tag</th>
                <th scope="col">Queue</th>
                <th scope="col">Body</th>
              </tr>
            </thead>
            <tbody>
              {result.messages.map((m) => (
                <tr key={m.offsetMsgId}>
                  <td>{time(m.storeTimestamp)}</td>
                  <th scope="row">
                    <button type="button" class="link" onClick={() => setShown(m)}>
                      {m.msgId}
                    </button>
                  </th>
                  <td>{m.keys ?? '—'}</td>
                  <td>{m.tags ?? '—'}</td>
                  <td>
                    {m.topic} {m.queueId}:{m.queueOffset}
                  </td>
                  <td class="body-preview">{preview(m)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
      {shown && <MessageDetail m={shown} onClose={() => setShown(undefined)} />}
      <p class="muted">
        A message id is the <code>msgId</code> a producer got (give its topic too) or the <code>offsetMsgId</code>. Topics: <a href={`#/topics/${enc(topic)}`}>{topic || 'all'}</a>.
      </p>
    </section>
  );
}
