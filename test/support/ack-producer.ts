/**
 * A producer process for failover tests that must send from inside a test host's network
 * namespace (`ip netns exec rmqh4 node ack-producer.mjs …`, bundled by the test with esbuild):
 * sends continuously to one topic and appends one JSON line per answer to a file — key, time,
 * status and the store address from the offset msgId (which broker stored it) — until killed.
 *
 *   node ack-producer.mjs <namesrvAddrs ;-separated> <topic> <out.jsonl> [inFlight]
 */
import { appendFileSync } from 'node:fs';
import { Producer } from '../../src/client/producer.js';
import { parseOffsetMsgId } from '../../src/protocol/message/msg-id.js';

const [namesrv, topic, out, inFlight = '2'] = process.argv.slice(2);
if (namesrv === undefined || topic === undefined || out === undefined) {
  process.stderr.write('usage: ack-producer <namesrv> <topic> <out.jsonl> [inFlight]\n');
  process.exit(2);
}
const producer = new Producer({ namesrvAddrs: namesrv.split(';'), producerGroup: `PG_ack_${process.pid}`, autoCreateTopic: false, routeRefreshMillis: 1_000, sendTimeoutMillis: 3_000, retryTimesWhenSendFailed: 0 });
const loop = async (id: number) => {
  for (let n = 0; ; n++) {
    const key = `${process.pid}-${id}-${n}`;
    try {
      const r = await producer.send({ topic, body: key, keys: [key] });
      const h = parseOffsetMsgId(r.offsetMsgId).storeHost;
      appendFileSync(out, `${JSON.stringify({ key, at: Date.now(), status: r.sendStatus, store: `${[...h.ip].join('.')}:${h.port}` })}\n`);
    } catch {
      await new Promise((r) => setTimeout(r, 20));
    }
  }
};
for (let i = 0; i < Number(inFlight); i++) void loop(i);
