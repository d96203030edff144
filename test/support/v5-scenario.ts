/**
 * The Must-show scenario of #15 with the official RocketMQ 5 Node client, as a program: bundled by
 * the deploy-level test (esbuild, the client left external) and run inside the test's network
 * namespace against a cluster `rmqctl deploy` started there. Prints one JSON object (V5Scenario) on
 * stdout; the test judges it. Arguments: `<grpc endpoints> <namesrv addrs ;-separated> <master addrs ,-separated>`.
 *
 *   groups     created over remoting on every master: G_E2E (retryMaxTimes 1: 2 attempts),
 *              G_E2E_FIFO (consumeMessageOrderly), G_E2E_DELAY
 *   produce    10 normal messages to V5Orders, 1 delay message due in 6 s to V5Delay, 15 FIFO
 *              messages of 3 interleaved message groups to V5Fifo
 *   normal     a SimpleConsumer receives all 10 and acks 9; the kept one comes back as attempt 2
 *              after its invisible time; change-invisible-duration postpones it (a receive before the
 *              new time gets nothing); left unacked it passes 2 attempts and goes to %DLQ%G_E2E
 *   delay      received no earlier than due
 *   FIFO       every group's messages in send order
 */
import { ConsumeResult, Producer, PushConsumer, SimpleConsumer, type MessageView } from 'rocketmq-client-nodejs';
import { GroupApi } from '../../src/client/group-api.js';
import { subscriptionGroupConfig } from '../../src/protocol/group-config.js';
import { RemotingClient } from '../../src/remoting/client.js';

export interface V5Scenario {
  normalSent: string[];
  /** body -> attempts seen (in order). */
  normalDeliveries: Record<string, number[]>;
  kept: string;
  keptAgainAttempt: number;
  postponedReceiveWasEmpty: boolean;
  delay: { due: number; receivedAt: number; deliveryTimestamp: number | undefined };
  fifo: Record<string, number[]>;
  push: { byConsumer: Record<string, number>; duplicates: number; takeover: number };
}

const silent = { info() {}, warn() {}, error() {}, debug() {} };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function receiveUntil(c: SimpleConsumer, want: (got: MessageView[]) => boolean, invisibleMs: number, timeoutMs = 30_000): Promise<MessageView[]> {
  const got: MessageView[] = [];
  const end = Date.now() + timeoutMs;
  while (!want(got)) {
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms with ${got.length} messages`);
    got.push(...(await c.receive(32, invisibleMs)));
  }
  return got;
}

async function main(): Promise<void> {
  const [endpoints, namesrv, masters] = process.argv.slice(2) as [string, string, string];
  const remoting = new RemotingClient();
  const groups = new GroupApi(remoting, 10_000);
  for (const addr of masters.split(',')) {
    await groups.createSubscriptionGroup(addr, subscriptionGroupConfig('G_E2E', { retryMaxTimes: 1 }));
    await groups.createSubscriptionGroup(addr, subscriptionGroupConfig('G_E2E_FIFO', { consumeMessageOrderly: true }));
    await groups.createSubscriptionGroup(addr, subscriptionGroupConfig('G_E2E_DELAY'));
    await groups.createSubscriptionGroup(addr, subscriptionGroupConfig('G_E2E_PUSH'));
  }
  remoting.shutdown();
  void namesrv;

  const producer = new Producer({ endpoints, namespace: '', logger: silent, topic: ['V5Orders', 'V5Delay', 'V5Fifo'] });
  await producer.startup();
  const normal = new SimpleConsumer({ endpoints, namespace: '', logger: silent, consumerGroup: 'G_E2E', subscriptions: new Map([['V5Orders', '*']]), awaitDuration: 1_000 });
  const fifoC = new SimpleConsumer({ endpoints, namespace: '', logger: silent, consumerGroup: 'G_E2E_FIFO', subscriptions: new Map([['V5Fifo', '*']]), awaitDuration: 1_000 });
  const delayC = new SimpleConsumer({ endpoints, namespace: '', logger: silent, consumerGroup: 'G_E2E_DELAY', subscriptions: new Map([['V5Delay', '*']]), awaitDuration: 1_000 });
  await Promise.all([normal.startup(), fifoC.startup(), delayC.startup()]);

  const normalSent: string[] = [];
  for (let i = 0; i < 10; i++) {
    const body = `order-${i}`;
    await producer.send({ topic: 'V5Orders', tag: 'e2e', keys: [`k${i}`], body: Buffer.from(body) });
    normalSent.push(body);
  }
  const due = Date.now() + 6_000;
  await producer.send({ topic: 'V5Delay', deliveryTimestamp: new Date(due), body: Buffer.from('delayed') });
  for (let i = 0; i < 15; i++) await producer.send({ topic: 'V5Fifo', messageGroup: `g${i % 3}`, body: Buffer.from(`g${i % 3}:${Math.floor(i / 3)}`) });

  // normal: all 10, ack 9, keep one
  const deliveries: Record<string, number[]> = {};
  const first = await receiveUntil(normal, (g) => g.length >= 10, 3_000);
  for (const m of first) (deliveries[m.body.toString()] ??= []).push(m.deliveryAttempt ?? 0);
  const kept = first[0]!;
  for (const m of first.slice(1)) await normal.ack(m);
  const again = await receiveUntil(normal, (g) => g.length >= 1, 3_000);
  for (const m of again) (deliveries[m.body.toString()] ??= []).push(m.deliveryAttempt ?? 0);
  const keptAgain = again[0]!;
  // postpone it by 4 s: a receive in the next ~2 s gets nothing
  await normal.changeInvisibleDuration(keptAgain, 4_000);
  const during = await normal.receive(32, 3_000);
  for (const m of during) (deliveries[m.body.toString()] ??= []).push(m.deliveryAttempt ?? 0);
  // left unacked: attempt 3 would pass G_E2E's 2 attempts, so it goes to %DLQ%G_E2E; keep polling past that
  const end = Date.now() + 12_000;
  while (Date.now() < end) for (const m of await normal.receive(32, 3_000)) (deliveries[m.body.toString()] ??= []).push(m.deliveryAttempt ?? 0);

  // delay
  const delayed = await receiveUntil(delayC, (g) => g.length >= 1, 10_000);
  const receivedAt = Date.now();
  await delayC.ack(delayed[0]!);

  // FIFO
  const fifo: Record<string, number[]> = {};
  let fifoCount = 0;
  const fifoEnd = Date.now() + 30_000;
  while (fifoCount < 15 && Date.now() < fifoEnd) {
    for (const m of await fifoC.receive(32, 10_000)) {
      const [g, n] = m.body.toString().split(':');
      (fifo[g!] ??= []).push(Number(n));
      fifoCount++;
      await fifoC.ack(m);
    }
  }

  // two PushConsumers of one group share the messages exactly once; one shut down, the other takes over
  const seen = new Map<string, string[]>();
  const listener = (name: string) => ({
    async consume(m: MessageView) {
      seen.set(m.body.toString(), [...(seen.get(m.body.toString()) ?? []), name]);
      await sleep(20);
      return ConsumeResult.SUCCESS;
    },
  });
  const pushOpts = { endpoints, namespace: '', logger: silent, consumerGroup: 'G_E2E_PUSH', subscriptions: new Map([['V5Orders', 'push']]), maxCacheMessageCount: 2 };
  const p1 = new PushConsumer({ ...pushOpts, messageListener: listener('p1') });
  const p2 = new PushConsumer({ ...pushOpts, messageListener: listener('p2') });
  await Promise.all([p1.startup(), p2.startup()]);
  // tag push: the order-* messages (tag e2e) are not this group's
  for (let i = 0; i < 30; i++) await producer.send({ topic: 'V5Orders', tag: 'push', body: Buffer.from(`push-${i}`) });
  const pushEnd = Date.now() + 60_000;
  while ([...seen.keys()].filter((b) => b.startsWith('push-')).length < 30 && Date.now() < pushEnd) await sleep(100);
  await p1.shutdown();
  for (let i = 30; i < 40; i++) await producer.send({ topic: 'V5Orders', tag: 'push', body: Buffer.from(`push-${i}`) });
  const takeEnd = Date.now() + 60_000;
  while ([...seen.keys()].filter((b) => b.startsWith('push-')).length < 40 && Date.now() < takeEnd) await sleep(100);
  await p2.shutdown();
  const byConsumer: Record<string, number> = {};
  let duplicates = 0;
  let takeover = 0;
  for (const [body, who] of seen) {
    if (!body.startsWith('push-')) continue;
    if (who.length > 1) duplicates++;
    byConsumer[who[0]!] = (byConsumer[who[0]!] ?? 0) + 1;
    if (Number(body.slice(5)) >= 30 && who[0] === 'p2') takeover++;
  }

  await Promise.all([producer.shutdown(), normal.shutdown(), fifoC.shutdown(), delayC.shutdown()]);
  const out: V5Scenario = {
    normalSent,
    normalDeliveries: deliveries,
    kept: kept.body.toString(),
    keptAgainAttempt: keptAgain.deliveryAttempt ?? 0,
    postponedReceiveWasEmpty: during.every((m) => m.body.toString() !== kept.body.toString()),
    delay: { due, receivedAt, deliveryTimestamp: delayed[0]!.deliveryTimestamp?.getTime() },
    fifo,
    push: { byConsumer, duplicates, takeover },
  };
  process.stdout.write(`${JSON.stringify(out)}\n`);
  process.exit(0);
}

main().catch((e: unknown) => {
  process.stderr.write(`${(e as Error).stack ?? String(e)}\n`);
  process.exit(1);
});
