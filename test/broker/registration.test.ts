/**
 * The broker's registrations with its NameServers as a topic table grows (bench/scale, topics
 * curve): a created topic is registered alone (Java registerIncrementBrokerData), not with the
 * whole table — creating n topics one by one sent O(n²) bytes before. A real broker registers
 * with a real NameServer and with a recording one (a remoting server that keeps every
 * REGISTER_BROKER body it gets).
 */
import { describe, expect, it } from 'vitest';
import { AdminClient } from '../../src/client/admin.js';
import { BrokerApi } from '../../src/client/broker-api.js';
import { decodeHeader } from '../../src/protocol/header-spec.js';
import { RegisterBrokerRequestHeader } from '../../src/protocol/headers/namesrv.js';
import { decodeRegisterBrokerBody } from '../../src/protocol/register-broker-body.js';
import { RequestCode, ResponseCode } from '../../src/remoting/codes.js';
import { createResponse } from '../../src/remoting/command.js';
import { HandlerTable } from '../../src/remoting/dispatcher.js';
import { startCluster } from '../support/cluster.js';
import { startNamesrvProcess } from '../support/namesrv.js';
import { newClient, startServer } from '../support/remoting.js';
import { COMPRESS_FROM_TOPICS } from '../../src/broker/registration.js';
import { mapSettled } from '../../src/util/concurrency.js';
import { waitFor } from '../support/wait.js';

/** A NameServer stand-in that accepts every registration and keeps the topics each one carried. */
async function recordingNamesrv(): Promise<{ addr: string; registrations: string[][]; compressed: boolean[] }> {
  const registrations: string[][] = [];
  const compressed: boolean[] = [];
  const table = new HandlerTable()
    .on(RequestCode.REGISTER_BROKER, (req) => {
      const h = decodeHeader(RegisterBrokerRequestHeader, req.extFields);
      const body = decodeRegisterBrokerBody(req.body, { compressed: h.compressed, version: req.version });
      registrations.push(Object.keys(body.topicConfigSerializeWrapper.topicConfigTable));
      compressed.push(h.compressed);
      return createResponse(req, ResponseCode.SUCCESS);
    })
    .on(RequestCode.BROKER_HEARTBEAT, (req) => createResponse(req, ResponseCode.SUCCESS))
    .on(RequestCode.UNREGISTER_BROKER, (req) => createResponse(req, ResponseCode.SUCCESS));
  const { addr } = await startServer({ dispatcher: table });
  return { addr, registrations, compressed };
}

/** A real NameServer, a recording one, and a broker registering with both; clients for both sides. */
async function brokerWithRecorder(name: string) {
  const ns = await startNamesrvProcess();
  const recorder = await recordingNamesrv();
  const c = await startCluster({ namesrvs: 0, brokers: [{ name, properties: { namesrvAddr: `${ns.addr};${recorder.addr}` } }] });
  const remoting = newClient();
  return { recorder, broker: c.broker(name), admin: new AdminClient({ namesrvAddrs: [ns.addr], remoting }), api: new BrokerApi(remoting) };
}

describe('broker registration as the topic table grows', () => {
  it('registers a created topic alone, a deleted one with the whole table, and every NameServer learns every route', async () => {
    const { recorder, broker, admin, api } = await brokerWithRecorder('broker-reg');

    // the start: one full registration (the system topics)
    const first = await waitFor(() => recorder.registrations[0], { what: 'the first registration' });
    expect(first).toContain('SELF_TEST_TOPIC');
    const systemTopics = first.length;

    const topics = Array.from({ length: 30 }, (_, i) => `RegTopic${i}`);
    const before = recorder.registrations.length;
    for (const t of topics) await api.createTopic(broker.addr, { topicName: t, readQueueNums: 2, writeQueueNums: 2, perm: 6 });
    // the real NameServer routes every topic (incremental registrations add to what it knows)
    for (const t of topics) await waitFor(async () => (await admin.topicRoute(t))?.queueDatas.length === 1, { what: `the route of ${t}` });
    await waitFor(() => new Set(recorder.registrations.slice(before).flat()).size >= topics.length, { what: 'the recorder to hear of every topic' });

    const after = recorder.registrations.slice(before);
    // each registration since carries only created topics: 30 topics cost 30 topic entries, not 30 tables
    for (const r of after) expect(r.every((t) => topics.includes(t)), `registration of ${r.length} topics: ${r.slice(0, 5).join(', ')}…`).toBe(true);
    expect(after.flat().length).toBe(topics.length);
    expect(new Set(after.flat())).toEqual(new Set(topics));

    // a deletion re-registers the whole table (system topics and the 29 left)
    const beforeDelete = recorder.registrations.length;
    await api.deleteTopic(broker.addr, 'RegTopic0');
    const full = await waitFor(() => recorder.registrations.slice(beforeDelete).find((r) => r.length > 1), { what: 'a full registration after the deletion' });
    expect(full.length).toBe(systemTopics + topics.length - 1);
    expect(full).not.toContain('RegTopic0');
  });

  it(`registers a table of ${COMPRESS_FROM_TOPICS} topics or more compressed, and the NameServer routes every topic of it`, async () => {
    const { recorder, broker, admin, api } = await brokerWithRecorder('broker-zip');
    await waitFor(() => recorder.registrations.length > 0, { what: 'the first registration' });
    expect(recorder.compressed[0]).toBe(false);

    const topics = Array.from({ length: COMPRESS_FROM_TOPICS }, (_, i) => `Zip${i}`);
    const created = await mapSettled(topics, 32, (t) => api.createTopic(broker.addr, { topicName: t, readQueueNums: 1, writeQueueNums: 1, perm: 6 }));
    expect(created.filter((r) => !r.ok)).toEqual([]);
    // the deletion asks for a full registration: now of 1,000 topics and more
    const before = recorder.registrations.length;
    await api.deleteTopic(broker.addr, 'Zip0');
    const at = await waitFor(
      () => {
        const i = recorder.registrations.findIndex((r, k) => k >= before && r.length >= COMPRESS_FROM_TOPICS - 1);
        return i >= 0 ? i : undefined;
      },
      { what: 'a full registration after the deletion' },
    );
    expect(recorder.compressed[at]).toBe(true);
    expect(recorder.registrations[at]).toContain('Zip999');
    expect(recorder.registrations[at]).not.toContain('Zip0');
    // incremental registrations of one topic stay JSON
    expect(recorder.compressed.slice(1, before).every((z) => !z)).toBe(true);
    for (const t of ['Zip1', 'Zip500', 'Zip999']) await waitFor(async () => (await admin.topicRoute(t))?.queueDatas.length === 1, { what: `the route of ${t}` });
  });
});
