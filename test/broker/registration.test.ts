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
import { waitFor } from '../support/wait.js';

/** A NameServer stand-in that accepts every registration and keeps the topics each one carried. */
async function recordingNamesrv(): Promise<{ addr: string; registrations: string[][] }> {
  const registrations: string[][] = [];
  const table = new HandlerTable()
    .on(RequestCode.REGISTER_BROKER, (req) => {
      const h = decodeHeader(RegisterBrokerRequestHeader, req.extFields);
      const body = decodeRegisterBrokerBody(req.body, { compressed: h.compressed, version: req.version });
      registrations.push(Object.keys(body.topicConfigSerializeWrapper.topicConfigTable));
      return createResponse(req, ResponseCode.SUCCESS);
    })
    .on(RequestCode.BROKER_HEARTBEAT, (req) => createResponse(req, ResponseCode.SUCCESS))
    .on(RequestCode.UNREGISTER_BROKER, (req) => createResponse(req, ResponseCode.SUCCESS));
  const { addr } = await startServer({ dispatcher: table });
  return { addr, registrations };
}

describe('broker registration as the topic table grows', () => {
  it('registers a created topic alone, a deleted one with the whole table, and every NameServer learns every route', async () => {
    const ns = await startNamesrvProcess();
    const recorder = await recordingNamesrv();
    const c = await startCluster({ namesrvs: 0, brokers: [{ name: 'broker-reg', properties: { namesrvAddr: `${ns.addr};${recorder.addr}` } }] });
    const broker = c.broker('broker-reg');
    const remoting = newClient();
    const admin = new AdminClient({ namesrvAddrs: [ns.addr], remoting });
    const api = new BrokerApi(remoting);

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
});
