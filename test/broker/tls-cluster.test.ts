/**
 * TLS across real rmqd processes with certificates made by openssl in the test: a 1 master + 1
 * slave SYNC group where every port enforces TLS (registration, HA, slave sync, our producer and
 * consumer, rmqctl --tls-require), ali-ons (no TLS) refused cleanly by enforcing nodes and served
 * by permissive ones, bad TLS configuration refusing the start, and the private key nowhere in logs
 * or the process list.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { PushConsumer } from '../../src/client/consumer/index.js';
import type { ClientTls } from '../../src/remoting/tls-config.js';
import { aliMessage, aliProducer } from '../support/ali-ons.js';
import { makeTestCerts, type TestCerts } from '../support/certs.js';
import { rmqctl, rmqd } from '../support/cli.js';
import { IO_THREAD_VARIANTS, startCluster } from '../support/cluster.js';
import { clientsFor, createTopic } from '../support/clients.js';
import { waitFor } from '../support/wait.js';

let certs: TestCerts;
beforeAll(() => {
  certs = makeTestCerts(fs.mkdtempSync(path.join(os.tmpdir(), 'rmq-tls-')));
});
afterAll(() => fs.rmSync(certs.dir, { recursive: true, force: true }));

const serverProps = (mode: 'permissive' | 'enforcing') => ({
  'tls.server.mode': mode,
  'tls.server.certPath': certs.serverCert,
  'tls.server.keyPath': certs.serverKey,
});
const brokerProps = (mode: 'permissive' | 'enforcing') => ({ ...serverProps(mode), 'tls.enable': true, 'tls.client.trustCertPath': certs.caCert });
const clientTls = (): ClientTls => ({ ca: fs.readFileSync(certs.caCert, 'utf8'), policy: 'require' });
/** The body of the server's private key: what must never show up anywhere. */
const keyBody = () => fs.readFileSync(certs.serverKey, 'utf8').split('\n')[1]!;

describe('a 1m-1s SYNC group with TLS enforced on every port', () => {
  it('registers, replicates and routes over TLS; plain clients and ali-ons are refused and the nodes keep serving', async () => {
    const c = await startCluster({
      namesrvProperties: serverProps('enforcing'),
      brokerProperties: brokerProps('enforcing'),
      brokers: [
        // the master's client sockets on a network thread (TLS there), the slave's on its one thread
        { name: 'broker-a', properties: { brokerRole: 'SYNC_MASTER', inSyncReplicas: 2, totalReplicas: 2, ioThreads: 1 } },
        { name: 'broker-a', id: 1, properties: { ioThreads: 0 } },
      ],
      clientTls: clientTls(),
    });
    const tlsArgs = ['--tls-require', '--tls-ca', certs.caCert, '--namesrv', c.namesrvAddr];

    // rmqctl over TLS: create a topic, see both brokers in status
    const created = await rmqctl(['topic', 'create', 'TlsTopic', '--cluster', c.clusterName, '--read-queues', '2', '--write-queues', '2', ...tlsArgs]);
    expect(created.code, created.stderr).toBe(0);
    const status = await rmqctl(['status', '--json', ...tlsArgs]);
    expect(status.code, status.stderr).toBe(0);
    expect(status.stdout).toContain(c.broker('broker-a', 1).addr);

    // rmqctl without TLS is refused (the NameServer closes the plain connection)
    const plain = await rmqctl(['topic', 'list', '--namesrv', c.namesrvAddr, '--timeout', '2000']);
    expect(plain.code).toBe(1);

    // our producer over TLS: SEND_OK from a SYNC_MASTER means the slave acknowledged over the TLS HA link
    const cl = clientsFor(c, { tls: clientTls() });
    await createTopic(cl, c, c.broker('broker-a').addr, 'TlsTopic', 2);
    const producer = cl.producer();
    for (let i = 0; i < 5; i++) expect((await producer.send({ topic: 'TlsTopic', body: `secure-${i}` })).sendStatus).toBe('SEND_OK');

    // our push consumer over TLS gets them
    const got = new Set<string>();
    const consumer = new PushConsumer({ namesrvAddrs: c.namesrvAddrs, consumerGroup: 'CG_TLS', consumeFromWhere: 'CONSUME_FROM_FIRST_OFFSET', rebalanceIntervalMillis: 1000, tls: clientTls() });
    onTestFinished(() => consumer.shutdown());
    consumer.subscribe('TlsTopic', '*');
    await consumer.start(async (m) => void got.add(m.body.toString()));
    await waitFor(() => got.size === 5, { timeout: 20_000, what: 'the consumer to get 5 messages' });

    // ali-ons speaks no TLS: refused at the NameServer, cleanly
    const ali = aliProducer(c.namesrvAddr, 'PID_ALI_TLS');
    (ali as unknown as { on(e: string, f: () => void): void }).on('error', () => undefined);
    onTestFinished(() => void ali.close().catch(() => {}));
    const aliSend = (async () => {
      await ali.ready();
      return ali.send(aliMessage('TlsTopic', null, 'plain'));
    })();
    const outcome = await Promise.race([aliSend.then(() => 'sent', () => 'refused'), new Promise((r) => setTimeout(() => r('no answer'), 8_000).unref())]);
    expect(outcome).not.toBe('sent');
    await waitFor(() => c.namesrvs[0]!.lines.some((l) => l.includes('connection refused') && l.includes('TLS handshake failed')), { what: 'the refusal in the NameServer log' });

    // and everyone is still served
    expect((await producer.send({ topic: 'TlsTopic', body: 'after' })).sendStatus).toBe('SEND_OK');
    const ha = await cl.brokers.haStatus(c.broker('broker-a').addr);
    expect(ha.haConnectionInfo.length).toBe(1);

    // the private key is in no log line and no process's arguments
    const lines = [...c.namesrvs, ...c.brokers].flatMap((n) => n.lines);
    expect(lines.length).toBeGreaterThan(0);
    expect(lines.join('\n')).not.toContain(keyBody());
    expect(execFileSync('ps', ['-eo', 'args'], { encoding: 'utf8' })).not.toContain(keyBody());
  });
});

describe('permissive', () => {
  it.each(IO_THREAD_VARIANTS)('serves ali-ons in plain text and our TLS producer on the same ports (ioThreads=%i)', async (ioThreads) => {
    const c = await startCluster({ namesrvProperties: serverProps('permissive'), brokerProperties: { ...brokerProps('permissive'), ioThreads } });
    const cl = clientsFor(c, { tls: clientTls() });
    await createTopic(cl, c, c.broker('broker-a').addr, 'Mixed', 2);
    expect((await cl.producer().send({ topic: 'Mixed', body: 'over tls' })).sendStatus).toBe('SEND_OK');
    // its own ali-ons client instance (ali-ons shares one per instanceName in a process, and the other variant's may still be closing)
    const ali = aliProducer(c.namesrvAddr, 'PID_ALI_MIXED', { instanceName: `mixed-${ioThreads}` });
    onTestFinished(() => void ali.close().catch(() => {}));
    await ali.ready();
    expect((await ali.send(aliMessage('Mixed', null, 'plain text'))).sendStatus).toBe('SEND_OK');
    // rmqctl --tls (prefer) and plain both work against permissive nodes
    for (const extra of [['--tls', '--tls-ca', certs.caCert], []]) {
      const r = await rmqctl(['topic', 'route', 'Mixed', '--namesrv', c.namesrvAddr, '--json', ...extra]);
      expect(r.code, r.stderr).toBe(0);
    }
  });

  it('a client trusting a foreign CA refuses the nodes and says why', async () => {
    const c = await startCluster({ namesrvProperties: serverProps('permissive'), brokerProperties: brokerProps('permissive') });
    const r = await rmqctl(['topic', 'list', '--tls-require', '--tls-ca', certs.foreignCaCert, '--namesrv', c.namesrvAddr]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/certificate is not trusted/);
  });
});

describe('turning TLS on across a running cluster', () => {
  it('a slave with tls.client.plainFallback reaches a NameServer and a master that speak no TLS yet: registers and replicates in plain text', async () => {
    const fallback = { 'tls.enable': true, 'tls.client.trustCertPath': certs.caCert, 'tls.client.plainFallback': true };
    const c = await startCluster({
      brokers: [
        { name: 'broker-a', properties: { brokerRole: 'SYNC_MASTER', inSyncReplicas: 2, totalReplicas: 2 } },
        { name: 'broker-a', id: 1, properties: fallback },
      ],
    });
    const cl = clientsFor(c);
    await createTopic(cl, c, c.broker('broker-a').addr, 'Migrating', 2);
    // SEND_OK from a SYNC_MASTER: the slave replicated (over the plain fallback) and acknowledged
    expect((await cl.producer().send({ topic: 'Migrating', body: 'during the roll-out' })).sendStatus).toBe('SEND_OK');
    const slave = c.broker('broker-a', 1);
    expect(slave.lines.some((l) => l.includes('replicating in plain text'))).toBe(true);
    expect(slave.lines.some((l) => l.includes('TLS refused by the peer; using plain text'))).toBe(true);
  });
});

describe('bad TLS configuration', () => {
  it('refuses to start, naming the key and the file', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rmq-tls-bad-'));
    onTestFinished(() => fs.rmSync(dir, { recursive: true, force: true }));
    const notPem = path.join(dir, 'not-a-key.pem');
    fs.writeFileSync(notPem, 'hello\n');
    const file = path.join(dir, 'namesrv.properties');
    fs.writeFileSync(file, `listenPort=1\nkvConfigPath=${dir}/kv.json\ntls.server.mode=enforcing\ntls.server.certPath=${dir}/missing.pem\ntls.server.keyPath=${notPem}\n`);
    const r = await rmqd(['namesrv', '-c', file], { timeout: 20_000 });
    expect(r.code).not.toBe(0);
    const out = r.stdout + r.stderr;
    expect(out).toContain(`tls.server.certPath: cannot read ${dir}/missing.pem: ENOENT`);
    expect(out).toContain(`tls.server.keyPath: ${notPem} is not a PEM private key`);
    // a certificate with another certificate's key
    fs.writeFileSync(file, `listenPort=1\nkvConfigPath=${dir}/kv.json\ntls.server.mode=permissive\ntls.server.certPath=${certs.serverCert}\ntls.server.keyPath=${certs.clientKey}\n`);
    const r2 = await rmqd(['namesrv', '-c', file], { timeout: 20_000 });
    expect(r2.code).not.toBe(0);
    expect(r2.stdout + r2.stderr).toContain(`is not the private key of tls.server.certPath ${certs.serverCert}`);
    expect(r2.stdout + r2.stderr).not.toContain(fs.readFileSync(certs.clientKey, 'utf8').split('\n')[1]!);
  });
});
