/**
 * A stopped peer (SIGSTOP: process alive, TCP open, nothing answered) is treated like a dead one:
 * the client's liveness probe goes unanswered and the connection closes, failing the waiting
 * requests at once instead of at their deadline (#20, "a paused master is treated like a dead
 * one"). A live peer holding a long-polling request answers the probe and keeps its connection.
 */
import { describe, expect, it } from 'vitest';
import { BrokerApi } from '../../src/client/broker-api.js';
import { RemotingClient } from '../../src/remoting/client.js';
import { RequestCode } from '../../src/remoting/codes.js';
import { createRequest } from '../../src/remoting/command.js';
import { ConnectionClosedError, RemotingTimeoutError } from '../../src/remoting/errors.js';
import { startCluster } from '../support/cluster.js';
import { clientsFor, createTopic } from '../support/clients.js';

describe('liveness probe of a silent peer', () => {
  it('a request to a SIGSTOPped broker fails with the connection closed, long before its 30 s deadline; without probes it waits out the deadline', async () => {
    const c = await startCluster({ namesrvs: 0 });
    const broker = c.broker('broker-a');
    const probing = new RemotingClient({ probeSilentPeerAfterMillis: 500 });
    const plain = new RemotingClient({ probeSilentPeerAfterMillis: 0 });
    try {
      // connections open while the broker runs
      await probing.request(broker.addr, createRequest(RequestCode.GET_BROKER_RUNTIME_INFO), 5_000);
      await plain.request(broker.addr, createRequest(RequestCode.GET_BROKER_RUNTIME_INFO), 5_000);
      broker.proc!.kill('SIGSTOP');
      const probed = await probing.request(broker.addr, createRequest(RequestCode.GET_BROKER_RUNTIME_INFO), 30_000).then(
        () => 'answered',
        (e: unknown) => e,
      );
      expect(probed).toBeInstanceOf(ConnectionClosedError);
      expect((probed as Error).message).toMatch(/not even a liveness probe.*process stopped or network cut/);
      const waited = await plain.request(broker.addr, createRequest(RequestCode.GET_BROKER_RUNTIME_INFO), 1_500).then(
        () => 'answered',
        (e: unknown) => e,
      );
      expect(waited).toBeInstanceOf(RemotingTimeoutError);
    } finally {
      broker.proc!.kill('SIGCONT');
      probing.shutdown();
      plain.shutdown();
    }
  });

  it('a live broker holding a long-polling pull answers the probes: the pull ends normally, on the same connection', async () => {
    const c = await startCluster({ namesrvs: 0 });
    const broker = c.broker('broker-a');
    const remoting = new RemotingClient({ probeSilentPeerAfterMillis: 200 });
    try {
      const api = new BrokerApi(remoting, 10_000);
      await api.createTopic(broker.addr, { topicName: 'Probe', readQueueNums: 1, writeQueueNums: 1, perm: 6 });
      const conn = await remoting.connection(broker.addr);
      const r = await api.pull(broker.addr, { consumerGroup: 'G', topic: 'Probe', queueId: 0, queueOffset: 0, suspendTimeoutMillis: 2_500 });
      expect(r.status).toBe('NO_NEW_MSG');
      expect(conn.isClosed).toBe(false);
      expect(await remoting.connection(broker.addr)).toBe(conn);
    } finally {
      remoting.shutdown();
    }
  });

  it("a producer's sends while one master is SIGSTOPped all succeed on the other broker group, before the stopped one resumes", async () => {
    const c = await startCluster({ brokers: [{ name: 'broker-a' }, { name: 'broker-b' }] });
    const cl = clientsFor(c);
    for (const b of ['broker-a', 'broker-b']) await createTopic(cl, c, c.broker(b).addr, 'Paused', 2);
    const producer = cl.producer({ sendTimeoutMillis: 60_000 });
    for (let i = 0; i < 4; i++) await producer.send({ topic: 'Paused', body: `warm ${i}` }); // connections to both groups
    const a = c.broker('broker-a');
    a.proc!.kill('SIGSTOP');
    try {
      const results = [];
      for (let i = 0; i < 8; i++) results.push(await producer.send({ topic: 'Paused', body: `during ${i}` }));
      expect(a.proc!.signalCode).toBeNull(); // still there, still stopped: nothing waited for it to resume
      expect(results.map((r) => r.sendStatus)).toEqual(Array(8).fill('SEND_OK'));
      expect(new Set(results.map((r) => r.messageQueue.brokerName))).toEqual(new Set(['broker-b']));
    } finally {
      a.proc!.kill('SIGCONT');
    }
  }, 120_000);
});
