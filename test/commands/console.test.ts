/**
 * `rmqctl console` end to end in a real browser (Debian's Chromium, driven by playwright-core):
 * a NameServer and two broker groups (broker-a with a slave and metrics on, broker-b without
 * metrics); the cluster page shows every node healthy; a topic is created through the page, a
 * message sent through it and found again by its key; a consumer group's lag, reset through the
 * page to N, goes to 0 on screen as a consumer catches up; a dead letter is listed and sent back
 * to its group, which receives it again. Each effect is checked on the cluster itself too.
 * Screenshots go to test-artifacts/console/.
 */
import { createRequire } from 'node:module';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AdminClient } from '../../src/client/admin.js';
import { BrokerApi } from '../../src/client/broker-api.js';
import { PushConsumer } from '../../src/client/consumer/index.js';
import { Producer } from '../../src/client/producer.js';
import { startCluster, type TestCluster } from '../support/cluster.js';
import { CHROMIUM, openBrowser, screenshot, startConsoleProcess, type Browser, type ConsoleProcess } from '../support/console.js';
import { freeBrokerPort, freePort } from '../support/ports.js';
import { brokerNodes, type HealthReport } from '../../src/ops/health/index.js';
import { waitFor } from '../support/wait.js';
import { toolSkipReason } from '../support/system-packages.js';

const LONG = 240_000;
let cluster: TestCluster;
let con: ConsoleProcess;
let browser: Browser;
let producer: Producer;
const consumers: PushConsumer[] = [];

const consumerOptions = (group: string) => ({
  namesrvAddrs: cluster.namesrvAddrs,
  consumerGroup: group,
  consumeFromWhere: 'CONSUME_FROM_FIRST_OFFSET' as const,
  rebalanceIntervalMillis: 1_000,
  persistConsumerOffsetIntervalMillis: 500,
  pollNameServerIntervalMillis: 1_000,
  heartbeatBrokerIntervalMillis: 2_000,
  brokerSuspendMaxTimeMillis: 2_000,
});

const noBrowser = toolSkipReason(CHROMIUM, 'chromium');

beforeAll(async () => {
  if (noBrowser) return;
  cluster = await startCluster({
    cleanup: 'manual',
    brokers: [
      { name: 'broker-a', properties: { metricsPort: await freePort() } },
      { name: 'broker-a', id: 1, properties: { metricsPort: await freePort() } },
      { name: 'broker-b' },
    ],
  });
  producer = new Producer({ namesrvAddrs: cluster.namesrvAddrs, producerGroup: 'ConsoleTestPG' });
  con = await startConsoleProcess(['--namesrv', cluster.namesrvAddr, '--interval', '1']);
  browser = await openBrowser();
}, LONG);

afterAll(async () => {
  for (const c of consumers) await c.shutdown();
  producer?.shutdown();
  await browser?.close();
  await con?.stop();
  await cluster?.stop();
});


describe.skipIf(noBrowser)('rmqctl console in Chromium', () => {
  it('cluster page: every node; create a topic, send a message, find it by key; a group’s lag from N to 0', { timeout: LONG }, async () => {
    const { page } = browser;
    const pageErrors: string[] = [];
    page.on('pageerror', (e) => pageErrors.push(e.message));
    page.on('console', (m) => (m.type() === 'error' ? pageErrors.push(m.text()) : undefined));

    // the printed address: the token becomes a cookie, the address bar loses it
    await page.goto(con.entryUrl);
    expect(page.url()).toBe(con.base);
    await page.getByRole('heading', { name: 'Cluster', level: 1 }).waitFor();
    for (const node of ['broker-a-0', 'broker-a-1', 'broker-b-0']) await page.getByRole('rowheader', { name: node, exact: true }).waitFor({ timeout: 20_000 });
    await page.getByRole('rowheader', { name: cluster.namesrvs[0]!.addr }).waitFor();
    await page.getByText('Healthy', { exact: true }).waitFor({ timeout: 20_000 });
    await expectRow(page, 'broker-a-0', /ASYNC_MASTER/);
    await expectRow(page, 'broker-a-1', /SLAVE/);
    // broker-b has no metrics: its rates come from runtime info, and the page says so
    await page.getByText(/Metrics are off for broker-b/).waitFor({ timeout: 20_000 });
    await screenshot(page, '1-cluster');

    // create a topic through the page
    const topic = 'ConsoleTopic';
    await page.getByRole('link', { name: 'Topics' }).click();
    await page.getByRole('heading', { name: 'Topics', level: 1 }).waitFor();
    const create = page.getByRole('form', { name: 'Create a topic' });
    await create.getByLabel('Name').fill(topic);
    await create.getByLabel('Read queues').fill('4');
    await create.getByLabel('Write queues').fill('4');
    await create.getByRole('button', { name: 'Create topic' }).click();
    await create.getByRole('status').filter({ hasText: `Topic ${topic} created on broker-a, broker-b.` }).waitFor();
    const admin = new AdminClient({ namesrvAddrs: cluster.namesrvAddrs, remoting: cluster.client });
    const route = await waitFor(async () => (await admin.topicRoute(topic))?.queueDatas.length === 2 && admin.topicRoute(topic), { what: 'the new topic on both groups' });
    expect(route && route.queueDatas.map((q) => [q.brokerName, q.readQueueNums, q.writeQueueNums]).sort()).toEqual([
      ['broker-a', 4, 4],
      ['broker-b', 4, 4],
    ]);

    // the list: the new topic; the cluster's own topics (cluster, broker names) only on request
    const list = page.getByRole('table', { name: /^\d+ topics?$/ });
    await list.getByRole('rowheader', { name: topic }).waitFor();
    expect(await list.getByRole('rowheader', { name: 'broker-a', exact: true }).count()).toBe(0);
    await page.getByLabel('Show retry, dead-letter and system topics').check();
    await expect(list.getByRole('row').filter({ has: page.getByRole('rowheader', { name: 'broker-a', exact: true }) }).textContent()).resolves.toMatch(/system/);
    await page.getByLabel('Show retry, dead-letter and system topics').uncheck();

    // send a message through the page
    await page.getByRole('heading', { name: `Topic ${topic}` }).waitFor();
    const send = page.getByRole('form', { name: 'Send a test message' });
    await send.getByLabel('Body').fill('hello from the console');
    await send.getByLabel('Tag').fill('TagC');
    await send.getByLabel(/^Keys/).fill('console-key-1');
    await send.getByRole('button', { name: 'Send' }).click();
    const sent = await send.getByRole('status').filter({ hasText: /^SEND_OK: msgId [0-9A-F]+/ }).textContent();
    const msgId = /msgId ([0-9A-F]+)/.exec(sent ?? '')?.[1] as string;
    await screenshot(page, '2-topic');

    // find it by key
    await page.getByRole('link', { name: 'Messages' }).click();
    const search = page.getByRole('form', { name: 'Find messages' });
    await search.getByRole('radio', { name: 'key' }).check();
    await search.getByRole('combobox', { name: 'Topic' }).fill(topic);
    await search.getByRole('textbox', { name: 'Key', exact: true }).fill('console-key-1');
    await search.getByRole('button', { name: 'Search' }).click();
    await page.getByRole('status').filter({ hasText: '1 message found' }).waitFor();
    const row = page.getByRole('row', { name: new RegExp(msgId) });
    await expect(row.textContent()).resolves.toMatch(/console-key-1.*TagC.*hello from the console/);
    await row.getByRole('button', { name: msgId }).click();
    await page.getByRole('heading', { name: `Message ${msgId}` }).waitFor();
    await expect(page.locator('pre.body').textContent()).resolves.toBe('hello from the console');
    await screenshot(page, '3-message-by-key');
    // by its producer msgId (with the topic), and by time (the last hour: the one message)
    await search.getByRole('radio', { name: 'message id' }).check();
    await search.getByRole('textbox', { name: /^Message id/ }).fill(msgId);
    await search.getByRole('button', { name: 'Search' }).click();
    await page.getByRole('row', { name: new RegExp(msgId) }).waitFor();
    await search.getByRole('radio', { name: 'time range' }).check();
    const localInput = (ms: number) => new Date(ms - new Date(ms).getTimezoneOffset() * 60_000).toISOString().slice(0, 16);
    await search.getByLabel('Stored from').fill(localInput(Date.now() - 7_200_000));
    await search.getByLabel(/^Stored before/).fill(localInput(Date.now() - 3_600_000));
    await search.getByRole('button', { name: 'Search' }).click();
    await page.getByRole('status').filter({ hasText: '0 messages found' }).waitFor();
    await search.getByLabel(/^Stored before/).fill('');
    await search.getByRole('button', { name: 'Search' }).click();
    await page.getByRole('status').filter({ hasText: '1 message found' }).waitFor();
    await page.getByRole('row', { name: /hello from the console/ }).waitFor();

    // a consumer group: consumes everything (lag 0), stops; its offsets reset to the beginning through the page (lag N); a consumer catches up (lag 0)
    const N = 7;
    for (let i = 1; i < N; i++) await producer.send({ topic, body: `backlog ${i}`, keys: [`backlog-${i}`] });
    const group = 'ConsoleGroup';
    const received: string[] = [];
    const first = new PushConsumer(consumerOptions(group));
    consumers.push(first);
    first.subscribe(topic, '*');
    await first.start(async (m) => {
      received.push(m.body.toString());
    });
    await waitFor(() => received.length >= N, { timeout: 30_000, what: `${N} messages consumed` });
    await page.goto(`${con.base}#/groups/${group}`);
    const lag = page.locator('#total-lag');
    await lag.filter({ hasText: /^0$/ }).waitFor({ timeout: 30_000 });
    await first.shutdown();

    const reset = page.getByRole('form', { name: 'Reset offsets' });
    await reset.getByLabel(/the beginning/).check();
    await reset.getByRole('button', { name: 'Reset offsets…' }).click();
    const dialog = page.getByRole('dialog', { name: `Reset the offsets of ${group}?` });
    const confirm = dialog.getByRole('button', { name: 'Reset offsets' });
    expect(await confirm.isDisabled()).toBe(true);
    await dialog.getByLabel(/to confirm/).fill(group);
    await confirm.click();
    await reset.getByRole('status').filter({ hasText: `Offsets of ${topic} moved` }).waitFor();
    await lag.filter({ hasText: new RegExp(`^${N}$`) }).waitFor({ timeout: 30_000 });
    await screenshot(page, '4-group-lag-N');

    const again: string[] = [];
    const second = new PushConsumer(consumerOptions(group));
    consumers.push(second);
    second.subscribe(topic, '*');
    await second.start(async (m) => {
      again.push(m.body.toString());
    });
    await lag.filter({ hasText: /^0$/ }).waitFor({ timeout: 60_000 });
    expect(again.sort()).toEqual(received.sort());
    await page.getByRole('rowheader', { name: second.clientId }).waitFor();
    await screenshot(page, '5-group-lag-0');

    // back on the cluster page, the throughput chart has had the traffic above
    await page.getByRole('link', { name: 'Cluster' }).click();
    await page.getByText('Healthy', { exact: true }).waitFor({ timeout: 20_000 });
    await page.locator('#broker-rates-caption').waitFor();
    await page.screenshot({ path: await screenshot(page, '7-cluster-after-traffic').then((f) => f.replace(/\.png$/, '-viewport.png')) });
    expect(pageErrors).toEqual([]);
  });

  it('dead letters: listed for their group, sent back through the page, received by the group again', { timeout: LONG }, async () => {
    const { page } = browser;
    const topic = 'ConsoleDlqTopic';
    const group = 'ConsoleDlqGroup';
    await producer.send({ topic: 'ConsoleTopic', body: 'warm-up' });
    const admin = new AdminClient({ namesrvAddrs: cluster.namesrvAddrs, remoting: cluster.client });
    await new BrokerApi(cluster.client).createTopic(cluster.broker('broker-a').addr, { topicName: topic, readQueueNums: 1, writeQueueNums: 1, perm: 6 });
    await waitFor(async () => (await admin.topicRoute(topic)) !== undefined, { what: 'the DLQ test topic' });

    // a consumer that fails every message, with no retries: the message goes straight to %DLQ%group
    let failing = true;
    const got: string[] = [];
    const c = new PushConsumer({ ...consumerOptions(group), maxReconsumeTimes: 0 });
    consumers.push(c);
    c.subscribe(topic, '*');
    await c.start(async (m) => {
      got.push(m.body.toString());
      return failing ? 'RECONSUME_LATER' : 'CONSUME_SUCCESS';
    });
    const sent = await producer.send({ topic, body: 'poison pill', keys: ['dead-1'] });
    await waitFor(async () => (await admin.topicRoute(`%DLQ%${group}`)) !== undefined, { timeout: 30_000, what: 'the DLQ topic' });

    await page.goto(`${con.base}#/dlq/${group}`);
    const row = page.getByRole('row', { name: /poison pill/ });
    await waitFor(
      async () => {
        if ((await row.count()) > 0) return true;
        await page.getByRole('button', { name: 'Refresh' }).click();
        return false;
      },
      { timeout: 30_000, interval: 1_000, what: 'the dead letter on the page' },
    );
    await expect(row.textContent()).resolves.toContain(topic);
    await expect(row.textContent()).resolves.toContain(sent.msgId);
    await screenshot(page, '6-dlq');

    failing = false;
    const before = got.length;
    await row.getByRole('checkbox').check();
    await page.getByRole('button', { name: `Send 1 back to ${group}…` }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByLabel(/to confirm/).fill(group);
    await dialog.getByRole('button', { name: 'Send back' }).click();
    await page.getByRole('status').filter({ hasText: `1 message sent back to ${group}` }).waitFor();
    await waitFor(() => got.slice(before).includes('poison pill'), { timeout: 30_000, what: 'the group to receive the dead letter again' });
  });

  it('accessible: axe-core finds no WCAG 2.1 A/AA violation on any page (names, labels, contrast, landmarks); everything works from the keyboard', { timeout: LONG }, async () => {
    const { page } = browser;
    const pages: [string, () => Promise<unknown>][] = [
      ['#/cluster', () => page.getByText('Healthy', { exact: true }).waitFor({ timeout: 20_000 })],
      ['#/topics/ConsoleTopic', () => page.getByRole('table', { name: /broker-a/ }).waitFor()],
      ['#/groups/ConsoleGroup', () => page.locator('#total-lag').waitFor()],
      ['#/messages', () => page.getByRole('form', { name: 'Find messages' }).waitFor()],
      ['#/dlq/ConsoleDlqGroup', () => page.getByRole('table', { name: /dead letter/ }).waitFor()],
    ];
    for (const [hash, ready] of pages) {
      await page.goto(`${con.base}${hash}`);
      await ready();
      expect(await axeViolations(page), hash).toEqual([]);
    }
    // the check can fail: an input without a label is caught
    await page.evaluate(`document.getElementById('main').append(Object.assign(document.createElement('input'), { id: 'unlabelled' }))`);
    expect((await axeViolations(page)).map((v) => v.id)).toContain('label');

    // the keyboard alone: skip link, the page links, a form, a confirmation that Escape cancels
    await page.goto(`${con.base}#/cluster`);
    await page.reload(); // a fresh document: focus starts at its top
    await page.getByText('Healthy', { exact: true }).waitFor({ timeout: 20_000 });
    await page.keyboard.press('Tab');
    expect(await focused(page)).toBe('Skip to content');
    await page.keyboard.press('Enter');
    expect(await page.evaluate('document.activeElement.id')).toBe('main');
    await tabTo(page, /^Topics$/);
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Topics', level: 1 }).waitFor();
    await tabTo(page, /^Name$/);
    await page.keyboard.type('KeyboardTopic');
    await tabTo(page, /^Create topic$/);
    await page.keyboard.press('Enter');
    await page.getByRole('status').filter({ hasText: 'Topic KeyboardTopic created' }).waitFor();
    await page.getByRole('heading', { name: 'Topic KeyboardTopic' }).waitFor();
    await tabTo(page, /^Delete topic KeyboardTopic…$/, 120);
    await page.keyboard.press('Enter');
    const dialog = page.getByRole('dialog', { name: 'Delete topic KeyboardTopic?' });
    await dialog.waitFor();
    expect(await page.evaluate('document.activeElement.closest("dialog") !== null')).toBe(true);
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'hidden' });
    const admin = new AdminClient({ namesrvAddrs: cluster.namesrvAddrs, remoting: cluster.client });
    expect(await admin.topicRoute('KeyboardTopic')).toBeDefined();
  });
});

const axeSource = createRequire(import.meta.url)('axe-core').source as string;

interface AxeViolation {
  id: string;
  help: string;
  nodes: string[];
}

/** axe-core's WCAG 2.1 A/AA rules on the page as it is now (run through the debugger protocol: the page's CSP allows no injected script). */
async function axeViolations(page: Browser['page']): Promise<AxeViolation[]> {
  await page.evaluate(axeSource);
  return page.evaluate(`axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } })
    .then((r) => r.violations.map((v) => ({ id: v.id, help: v.help, nodes: v.nodes.map((n) => n.target.join(' ')) })))`);
}

/** The focused element's accessible name as a person hears it: its aria-label, its label, or its text. */
const focused = (page: Browser['page']): Promise<string> =>
  page.evaluate(`(() => {
    const el = document.activeElement;
    if (el === null) return '';
    const label = el.id ? document.querySelector('label[for="' + el.id + '"]')?.textContent : undefined;
    return (el.getAttribute('aria-label') ?? label ?? el.closest('label')?.textContent ?? el.textContent ?? '').trim();
  })()`);

/** Presses Tab until the focused element is `name`; fails when it is not reached in `max` presses. */
async function tabTo(page: Browser['page'], name: RegExp, max = 60): Promise<void> {
  const seen: string[] = [];
  for (let i = 0; i < max; i++) {
    await page.keyboard.press('Tab');
    const here = await focused(page);
    seen.push(here);
    if (name.test(here)) return;
  }
  throw new Error(`Tab never reached ${name}; focus went through: ${seen.join(' | ')}`);
}

async function expectRow(page: Browser['page'], rowHeader: string, text: RegExp): Promise<void> {
  const row = page.getByRole('row').filter({ has: page.getByRole('rowheader', { name: rowHeader, exact: true }) });
  await waitFor(async () => text.test((await row.textContent()) ?? ''), { timeout: 20_000, what: `${rowHeader} to show ${text}` });
}

describe.skipIf(noBrowser)('rmqctl console with a topology', () => {
  it('expects the topology’s nodes: one that is not there is shown with the judge’s problem and what to run', { timeout: LONG }, async () => {
    const c = await startCluster({ brokers: [{ name: 'broker-a' }] });
    const dir = mkdtempSync(path.join(os.tmpdir(), 'rmqctl-console-topo-'));
    try {
      const file = path.join(dir, 'seen.yaml');
      const ns = c.namesrvs[0]!;
      writeFileSync(
        file,
        `cluster: DefaultCluster
mode: {masters: 2, slavesPerMaster: 0, replication: async}
hosts:
  - {name: local, transport: local}
nameservers:
  - {host: local, port: ${ns.port}}
brokers:
  - name: broker-a
    master: {host: local, port: ${c.broker('broker-a').port}}
  - name: broker-z
    master: {host: local, port: ${await freeBrokerPort()}}
`,
      );
      const con = await startConsoleProcess([file, '--no-processes', '--state-dir', path.join(dir, 'state')]);
      try {
        const get = async <T,>(p: string) => (await (await fetch(new URL(p, con.base), { headers: { Authorization: `Bearer ${con.token}` } })).json()) as T;
        expect(await get<{ topology?: string; namesrvAddrs: string[] }>('/api/session')).toMatchObject({ topology: file, namesrvAddrs: [ns.addr] });
        const { report } = await get<{ report: HealthReport }>('/api/cluster');
        const nodes = Object.fromEntries(brokerNodes(report).map((n) => [n.id, n]));
        expect(nodes['broker-a-0']?.state).toBe('up');
        expect(nodes['broker-z-0']).toMatchObject({ expected: true, missing: true, state: 'MISSING', healthy: false });
        expect(report.healthy).toBe(false);
        expect(report.problems.join('\n')).toMatch(/broker-z-0 \(master\) is not registered.*`rmqctl restart .*seen\.yaml --node broker-z-0`/);
      } finally {
        await con.stop();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
