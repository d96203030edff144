/**
 * The topology's `tls:` section: validation with positions (every host with nodes has a
 * certificate, no inline key, no tls.* overrides beside it), the files checked before anything is
 * rendered (PEM, key matches certificate, chain to the CA, dates, key usage, names covering every
 * address a host's nodes are reached at), TLS keys in every node's properties, the files rendered
 * 0600 for the service user, and plans that never show the private key.
 */
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EMPTY_HOST, LOCAL_FS, formatPlan, planCluster } from '../../src/deploy/plan/index.js';
import { renderCluster, type DesiredFile } from '../../src/render/index.js';
import { buildClusterModel, parseTopology } from '../../src/topology/index.js';
import { resolveTlsFiles } from '../../src/topology/tls-files.js';
import { applyFileSet } from '../support/apply-fileset.js';
import { makeTestCerts, type TestCerts } from '../support/certs.js';
import { STUB_RELEASE, topologyProblems } from '../support/topologies.js';
import { tmpDir } from '../support/tmp.js';

let certs: TestCerts;
let certDir: string;
beforeAll(() => {
  certDir = mkdtempSync(path.join(os.tmpdir(), 'rmqctl-tls-topo-'));
  certs = makeTestCerts(certDir);
});
afterAll(() => rmSync(certDir, { recursive: true, force: true }));

const LOCAL = '  - {name: local, transport: local}\n';
const topo = (tls: string, hosts = LOCAL, host = 'local') => `cluster: sec
mode: {masters: 1, slavesPerMaster: 1, replication: sync}
hosts:
${hosts}nameservers:
  - {host: ${host}}
brokers:
  - name: broker-a
    master: {host: ${host}, port: 10911}
    slaves:
      - {host: ${host}, port: 10921}
${tls}`;

const TLS = (extra = '') => `tls:
  ca: ${certs.caCert}
  cert: ${certs.serverCert}
  key: { file: ${certs.serverKey} }
${extra}`;

const problemsOf = (text: string) => topologyProblems(text, 'sec.yaml');

const modelOf = (text: string, stateDir = '/var/tmp/rmqctl-state') => buildClusterModel(parseTopology(text, 'sec.yaml').topology, { stateDir });

function tlsProblems(text: string, opts: Parameters<typeof resolveTlsFiles>[1] = {}): string {
  try {
    resolveTlsFiles(modelOf(text), opts);
  } catch (e) {
    return [(e as Error).message, ...((e as { problems?: string[] }).problems ?? [])].join('\n');
  }
  return '';
}

describe('tls: section validation', () => {
  it('accepts a section with one certificate for every host', () => {
    expect(problemsOf(topo(TLS()))).toBe('');
  });

  it('refuses an inline key without repeating it, pointing at its line', () => {
    const pem = readFileSync(certs.serverKey, 'utf8').split('\n')[1]!;
    const p = problemsOf(topo(TLS().replace(`{ file: ${certs.serverKey} }`, JSON.stringify(pem))));
    expect(p).toMatch(/^sec\.yaml:15:\d+ +tls\.key +an inline secret \(value not shown\)/m);
    expect(p).not.toContain(pem);
  });

  it('needs a certificate for every host that runs nodes, a cert with its key, and known host names', () => {
    const hosts = '  - {name: mq1, address: 10.0.0.1}\n  - {name: mq2, address: 10.0.0.2}\n';
    const perHost = `tls:
  ca: ${certs.caCert}
  hosts:
    mq1: { cert: ${certs.serverCert}, key: { file: ${certs.serverKey} } }
    mq3: { cert: ${certs.serverCert}, key: { file: ${certs.serverKey} } }
`;
    const t = topo(perHost, hosts, 'mq1').replace('slaves:\n      - {host: mq1', 'slaves:\n      - {host: mq2');
    const p = problemsOf(t);
    expect(p).toMatch(/tls +host "mq2" runs nodes but has no certificate \(expected tls\.hosts\.mq2: \{ cert, key \}/);
    expect(p).toMatch(/tls\.hosts\.mq3 +unknown host "mq3"/);
    expect(problemsOf(topo(`tls:\n  ca: ${certs.caCert}\n  cert: ${certs.serverCert}\n`))).toMatch(/tls\.cert +a cert without a key \(expected tls\.cert and tls\.key together\)/);
  });

  it('refuses tls.* overrides when the topology has tls (they are set from the section)', () => {
    const p = problemsOf(topo(`${TLS()}overrides:\n  broker:\n    tls.server.mode: permissive\n`));
    expect(p).toMatch(/overrides\.broker\["tls\.server\.mode"\] +tls\.server\.mode is set by the topology's tls section/);
  });
});

describe('tls: files are checked before rendering', () => {
  it('reads a good set', () => {
    const files = resolveTlsFiles(modelOf(topo(TLS())));
    expect([...files.keys()]).toEqual(['local']);
    expect(files.get('local')?.key).toContain('PRIVATE KEY');
  });

  it('names an address the certificate does not cover', () => {
    const p = tlsProblems(topo(TLS(), '  - {name: mq1, address: 10.0.0.1}\n', 'mq1'));
    expect(p).toMatch(/tls\.cert: .*server\.pem does not cover 10\.0\.0\.1, where host mq1's nodes are reached \(expected it in the certificate's subjectAltName\)/);
  });

  it('refuses a key that is not the certificate’s, a certificate of another CA, an expired one, a readable key file', () => {
    expect(tlsProblems(topo(TLS().replace(certs.serverKey, certs.clientKey)))).toMatch(/tls\.key: .*client\.key is not the private key of tls\.cert .*server\.pem/);
    expect(tlsProblems(topo(TLS().replace(`cert: ${certs.serverCert}`, `cert: ${certs.foreignServerCert}`).replace(certs.serverKey, certs.foreignServerKey)))).toMatch(
      /tls\.cert: .*foreign-server\.pem \(subject CN=foreign-server\) is not issued by a certificate of tls\.ca/,
    );
    expect(tlsProblems(topo(TLS()), { now: new Date(Date.now() + 30 * 86_400_000) })).toMatch(/tls\.cert: .*server\.pem expired on 20/);
    const dir = tmpDir();
    const open = path.join(dir, 'open.key');
    writeFileSync(open, readFileSync(certs.serverKey));
    chmodSync(open, 0o644);
    expect(tlsProblems(topo(TLS().replace(certs.serverKey, open)))).toMatch(/tls\.key: permissions 0644 for .*open\.key are too open \(expected chmod 600\)/);
  });

  it('asks for the clientAuth key usage when nodes must present certificates to each other', () => {
    // wrong-name.pem: serverAuth only (and not for 127.0.0.1)
    const p = tlsProblems(topo(TLS('  clientAuth: require\n').replace(certs.serverCert, certs.wrongNameCert).replace(certs.serverKey, certs.wrongNameKey)));
    expect(p).toMatch(/lacks the clientAuth extended key usage, which nodes need to connect to each other with tls\.clientAuth: require/);
    expect(p).toMatch(/does not cover 127\.0\.0\.1/);
  });
});

describe('tls: rendered', () => {
  it('every node gets RocketMQ’s TLS keys; brokers connect out with TLS; masters admit only their slaves on the HA port', () => {
    const model = modelOf(topo(TLS('  clientAuth: require\n')));
    const props = (id: string) => Object.fromEntries(model.nodes.find((n) => n.id === id)!.properties.map((p) => [p.key, p.value]));
    const dir = '/var/tmp/rmqctl-state/etc/rmqctl/sec';
    expect(props('namesrv-1')).toMatchObject({
      'tls.server.mode': 'enforcing',
      'tls.server.certPath': `${dir}/tls-cert.pem`,
      'tls.server.keyPath': `${dir}/tls-key.pem`,
      'tls.server.need.client.auth': 'require',
      'tls.server.trustCertPath': `${dir}/tls-ca.pem`,
    });
    expect(props('namesrv-1')['tls.enable']).toBeUndefined();
    expect(props('broker-a-1')).toMatchObject({ 'tls.enable': 'true', 'tls.client.trustCertPath': `${dir}/tls-ca.pem`, 'tls.client.certPath': `${dir}/tls-cert.pem`, 'tls.client.keyPath': `${dir}/tls-key.pem` });
    expect(props('broker-a-1')['tls.client.plainFallback']).toBeUndefined();
    // permissive, the migration step: brokers reach peers not yet speaking TLS in plain text
    const migrating = modelOf(topo(TLS('  mode: permissive\n')));
    expect(migrating.nodes.find((n) => n.id === 'broker-a-1')!.properties.find((p) => p.key === 'tls.client.plainFallback')?.value).toBe('true');
    expect(props('broker-a-0').haAllowedAddresses).toBe('127.0.0.1');
    expect(props('broker-a-1').haAllowedAddresses).toBeUndefined();
  });

  it('pushes the CA, certificate and key 0600; plans show the key as a mark, a new key as a changed mark', async () => {
    const state = tmpDir();
    const model = modelOf(topo(TLS()), state);
    const files = resolveTlsFiles(model);
    const sets = renderCluster(model, STUB_RELEASE, { tls: files });
    const tlsEntries = sets[0]!.entries.filter((e): e is DesiredFile => e.kind === 'file' && e.role.startsWith('tls'));
    expect(tlsEntries.map((e) => [path.basename(e.path), e.mode.toString(8), e.secret ?? false])).toEqual([
      ['tls-ca.pem', '600', false],
      ['tls-cert.pem', '600', false],
      ['tls-key.pem', '600', true],
    ]);
    expect(tlsEntries[0]!.nodeIds).toEqual(['namesrv-1', 'broker-a-0', 'broker-a-1']);
    expect(() => renderCluster(model, STUB_RELEASE)).toThrow(/needs the TLS files of host local/);

    const keyBody = readFileSync(certs.serverKey, 'utf8').split('\n')[1]!;
    const first = await planCluster(model, sets, STUB_RELEASE, async () => ({ observed: 'empty', view: EMPTY_HOST }));
    const text = `${formatPlan(first)}\n${JSON.stringify(first)}`;
    expect(text).not.toContain(keyBody);
    expect(text).toContain('private key, not shown: *** sha256:');
    for (const s of sets) applyFileSet(s);
    // a new key (and certificate) for the host: the plan says the key changed, and not to what
    const rotated = new Map([['local', { ...files.get('local')!, cert: readFileSync(certs.clientCert, 'utf8'), key: readFileSync(certs.clientKey, 'utf8') }]]);
    const second = await planCluster(model, renderCluster(model, STUB_RELEASE, { tls: rotated }), STUB_RELEASE, async () => ({ observed: 'local', view: LOCAL_FS }));
    const out = `${formatPlan(second)}\n${JSON.stringify(second)}`;
    expect(out).not.toContain(readFileSync(certs.clientKey, 'utf8').split('\n')[1]!);
    expect(out).not.toContain(keyBody);
    const keyChange = second.hosts[0]!.entries.find((e) => e.role === 'tls-key');
    expect(keyChange?.change).toBe('update');
    expect(keyChange?.diff).toMatch(/^-# private key, not shown: \*\*\* sha256:[0-9a-f]{8}$/m);
    expect(keyChange?.diff).toMatch(/^\+# private key, not shown: \*\*\* sha256:[0-9a-f]{8}$/m);
    // no node reloads its certificate: every node on the host restarts (rolling, slave first)
    expect(second.actions.map((a) => ('node' in a ? `${a.kind} ${a.node}` : a.kind))).toEqual(['write', 'restart namesrv-1', 'restart broker-a-1', 'restart broker-a-0']);
  });
});
