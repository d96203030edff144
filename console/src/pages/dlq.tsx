import { useState } from 'preact/hooks';
import type { DlqResponse, GroupsResponse, ResendResponse } from '../../../src/ops/console/api-types.js';
import { api, enc } from '../api.js';
import { ConfirmDialog } from '../components/confirm.js';
import { MessageDetail, preview } from '../components/message-view.js';
import { ErrorNote, Status } from '../components/notes.js';
import { time } from '../format.js';
import { usePolled } from '../hooks.js';

export function DlqPage(props: { selected: string | undefined }) {
  const groups = usePolled<GroupsResponse>('/api/groups');
  const group = props.selected;
  const dlq = usePolled<DlqResponse>(group === undefined ? undefined : `/api/dlq/${enc(group)}`);
  const [chosen, setChosen] = useState<Set<string>>(new Set());
  const [confirming, setConfirming] = useState(false);
  const [busy, setBusy] = useState(false);
  const [outcome, setOutcome] = useState<{ text: string; kind: 'ok' | 'error' } | undefined>(undefined);
  const [shown, setShown] = useState<DlqResponse['messages'][number] | undefined>(undefined);
  const toggle = (id: string, on: boolean) => {
    const next = new Set(chosen);
    if (on) next.add(id);
    else next.delete(id);
    setChosen(next);
  };
  const resend = async () => {
    if (group === undefined) return;
    setBusy(true);
    try {
      const r = await api.post<ResendResponse>(`/api/dlq/${enc(group)}/resend`, { ids: [...chosen] });
      const failed = r.outcomes.filter((o) => !o.ok);
      setOutcome(failed.length === 0 ? { text: `${r.outcomes.length} message${r.outcomes.length === 1 ? '' : 's'} sent back to ${group} (through %RETRY%${group}, in about a second).`, kind: 'ok' } : { text: `Not sent back: ${failed.map((f) => `${f.id}: ${f.error}`).join('; ')}`, kind: 'error' });
      setChosen(new Set());
    } catch (err) {
      setOutcome({ text: (err as Error).message, kind: 'error' });
    } finally {
      setBusy(false);
      setConfirming(false);
    }
  };
  return (
    <section aria-labelledby="dlq-title">
      <h1 id="dlq-title">Dead letters</h1>
      <p>Messages a consumer group failed to consume as many times as it may retry land in its dead-letter queue (<code>%DLQ%group</code>). Sending one back delivers it to that group again — and to no other group.</p>
      <div class="filters">
        <label>
          Consumer group
          <select
            value={group ?? ''}
            onChange={(e) => {
              setChosen(new Set());
              setOutcome(undefined);
              location.hash = `#/dlq/${enc((e.target as HTMLSelectElement).value)}`;
            }}
          >
            <option value="">choose a group</option>
            {groups.data?.groups.map((g) => (
              <option key={g.group} value={g.group}>
                {g.group}
              </option>
            ))}
          </select>
        </label>
        {group !== undefined && (
          <button type="button" onClick={dlq.reload}>
            Refresh
          </button>
        )}
      </div>
      <ErrorNote error={groups.error ?? dlq.error} />
      {dlq.data !== undefined && group !== undefined && (
        <>
          <table>
            <caption>
              {dlq.data.messages.length} dead letter{dlq.data.messages.length === 1 ? '' : 's'} of {group}
              {dlq.data.truncated ? ' (the newest only)' : ''}
            </caption>
            <thead>
              <tr>
                <th scope="col">Send back</th>
                <th scope="col">Stored</th>
                <th scope="col">msgId</th>
                <th scope="col">Original topic</th>
                <th scope="col">Keys</th>
                <th scope="col">Attempts</th>
                <th scope="col">Body</th>
              </tr>
            </thead>
            <tbody>
              {dlq.data.messages.map((m) => (
                <tr key={m.offsetMsgId}>
                  <td>
                    <input type="checkbox" aria-label={`send back ${m.msgId}`} checked={chosen.has(m.offsetMsgId)} onChange={(e) => toggle(m.offsetMsgId, (e.target as HTMLInputElement).checked)} />
                  </td>
                  <td>{time(m.storeTimestamp)}</td>
                  <th scope="row">
                    <button type="button" class="link" onClick={() => setShown(m)}>
                      {m.msgId}
                    </button>
                  </th>
                  <td>{m.originalTopic ?? '—'}</td>
                  <td>{m.keys ?? '—'}</td>
                  <td>{m.reconsumeTimes}</td>
                  <td class="body-preview">{preview(m)}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <button type="button" disabled={chosen.size === 0 || busy} onClick={() => setConfirming(true)}>
            Send {chosen.size} back to {group}…
          </button>
          <Status text={outcome?.text} kind={outcome?.kind} />
          <ConfirmDialog open={confirming} title={`Send ${chosen.size} dead letter${chosen.size === 1 ? '' : 's'} back?`} confirmText={group} actionLabel="Send back" busy={busy} onConfirm={() => void resend()} onCancel={() => setConfirming(false)}>
            <p>The group&rsquo;s consumers get them again through its retry topic.</p>
          </ConfirmDialog>
        </>
      )}
      {shown && <MessageDetail m={shown} onClose={() => setShown(undefined)} />}
    </section>
  );
}
