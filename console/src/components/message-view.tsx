import type { ConsoleMessage } from '../../../src/ops/console/api-types.js';
import { time } from '../format.js';

/** One stored message, every field. */
export function MessageDetail(props: { m: ConsoleMessage; onClose: () => void }) {
  const m = props.m;
  const rows: [string, string][] = [
    ['msgId', m.msgId],
    ['offsetMsgId', m.offsetMsgId],
    ['topic', m.topic],
    ['tags', m.tags ?? '—'],
    ['keys', m.keys ?? '—'],
    ['queue', `${m.queueId}, offset ${m.queueOffset}`],
    ['broker', m.brokerAddr],
    ['born', `${time(m.bornTimestamp)} from ${m.bornHost}`],
    ['stored', `${time(m.storeTimestamp)} at ${m.storeHost}`],
    ['reconsume times', String(m.reconsumeTimes)],
  ];
  return (
    <section class="panel message" aria-labelledby="message-title">
      <h2 id="message-title" tabIndex={-1}>
        Message {m.msgId}
      </h2>
      <dl>
        {rows.map(([k, v]) => (
          <div key={k}>
            <dt>{k}</dt>
            <dd>{v}</dd>
          </div>
        ))}
      </dl>
      <table>
        <caption>Properties</caption>
        <tbody>
          {Object.entries(m.properties).map(([k, v]) => (
            <tr key={k}>
              <th scope="row">{k}</th>
              <td>{v}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <h3>Body ({m.body.bytes} bytes{m.body.text === undefined ? ', binary: base64' : ''})</h3>
      <pre class="body">{m.body.text ?? m.body.base64}</pre>
      <button type="button" onClick={props.onClose}>
        Close
      </button>
    </section>
  );
}

export function preview(m: ConsoleMessage): string {
  const t = m.body.text ?? `(${m.body.bytes} bytes binary)`;
  return t.length > 80 ? `${t.slice(0, 80)}…` : t;
}
