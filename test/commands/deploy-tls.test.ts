/**
 * A cluster with a `tls:` section end to end on the local target: a master and its SYNC slave
 * enforcing TLS with client certificates on every port. Deploy refuses to start without a client
 * certificate for its own health checks (nothing written), then pushes the CA, certificate and key
 * 0600, and gates every node on health checks made over TLS; the slave replicates over TLS from a
 * master that admits only it on the HA port. rmqctl reaches the nodes with the topology's CA and
 * its own client certificate; plain text is refused; the private key shows in no output, log or
 * process list.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTestCerts, type TestCerts } from '../support/certs.js';
import { rmqctl } from '../support/cli.js';
import { filesUnder } from '../support/tree.js';
import { freeBrokerPort, freePort } from '../support/ports.js';

let dir: string;
let certs: TestCerts;
let topologyFile: string;
let nsPort: number;
let keyLines: string[];
const stateDir = () => path.join(dir, 'state');
const noProfile = () => ({ RMQCTL_CREDENTIALS_FILE: path.join(dir, 'no-profile') });
const clientCert = () => ({ RMQCTL_TLS_CERT: certs.clientCert, RMQCTL_TLS_KEY: certs.clientKey });
const cli = (args: string[], env: NodeJS.ProcessEnv = {}) => rmqctl([...args, '--state-dir', stateDir()], { env: { ...noProfile(), ...env } });
const outputs: string[] = [];

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'rmqctl-tls-deploy-'));
  certs = makeTestCerts(dir);
  keyLines = readFileSync(certs.serverKey, 'utf8').split('\n').filter((l) => l && !l.startsWith('-----'));
  topologyFile = path.join(dir, 'tls.yaml');
  nsPort = await freePort();
  writeFileSync(
    topologyFile,
    `cluster: tlsc
mode: {masters: 1, slavesPerMaster: 1, replication: sync}
hosts:
  - {name: local, transport: local}
nameservers:
  - {host: local, port: ${nsPort}}
brokers:
  - name: broker-a
    master: {host: local, port: ${await freeBrokerPort()}}
    slaves:
      - {host: local, port: ${await freeBrokerPort()}}
tls:
  ca: ${certs.caCert}
  cert: ${certs.serverCert}
  key: { file: ${certs.serverKey} }
  clientAuth: require
`,
  );
});

afterAll(async () => {
  await cli(['destroy', topologyFile, '--yes', '--purge']);
  rmSync(dir, { recursive: true, force: true });
});

describe('deploy with tls', () => {
  it('plan lists the TLS files 0600 and masks the key', async () => {
    const plan = await cli(['plan', topologyFile, '--offline']);
    expect(plan.code, plan.stderr).toBe(0);
    expect(plan.stdout).toMatch(/\+ create +file +\S+\/etc\/rmqctl\/tlsc\/tls-key\.pem +0600/);
    expect(plan.stdout).toMatch(/\+ create +file +\S+\/etc\/rmqctl\/tlsc\/tls-cert\.pem +0600/);
    outputs.push(plan.stdout, plan.stderr);
    const json = await cli(['plan', topologyFile, '--offline', '--json']);
    outputs.push(json.stdout, json.stderr);
    const entries = (JSON.parse(json.stdout) as { hosts: { entries: { role: string; path: string; diff?: string }[] }[] }).hosts[0]!.entries;
    expect(entries.find((e) => e.role === 'tls-key')?.diff).toMatch(/^\+# private key, not shown: \*\*\* sha256:[0-9a-f]{8}$/m);
    expect(entries.find((e) => e.path.endsWith('broker-a-1.properties'))?.diff).toMatch(/^\+tls\.server\.mode=enforcing$/m);
  }, 120_000);

  it('without a client certificate for its health checks, deploy refuses (exit 2) before writing anything', async () => {
    const r = await cli(['deploy', topologyFile, '--min-free-disk', '1']);
    expect(r.code).toBe(2);
    expect(r.stderr.replace(/\s*›\s*|\s+/g, ' ')).toMatch(/tls\.clientAuth: require: this machine needs a client certificate/);
    expect(existsSync(path.join(stateDir(), 'etc'))).toBe(false);
    outputs.push(r.stdout, r.stderr);
  }, 120_000);

  it('deploys; every node healthy over TLS, the slave replicating over TLS', async () => {
    const deployed = await cli(['deploy', topologyFile, '--min-free-disk', '1'], clientCert());
    expect(deployed.code, deployed.stdout + deployed.stderr).toBe(0);
    outputs.push(deployed.stdout, deployed.stderr);
    const tlsFiles = filesUnder(stateDir()).filter((f) => /\/tls-(ca|cert|key)\.pem$/.test(f));
    expect(tlsFiles.map((f) => path.basename(f)).sort()).toEqual(['tls-ca.pem', 'tls-cert.pem', 'tls-key.pem']);
    for (const f of tlsFiles) expect(statSync(f).mode & 0o777).toBe(0o600);

    // status of the topology: its CA, this machine's client certificate; replication in sync
    const status = await cli(['status', topologyFile, '--json'], clientCert());
    expect(status.code, status.stdout + status.stderr).toBe(0);
    expect((JSON.parse(status.stdout) as { healthy: boolean }).healthy).toBe(true);
    outputs.push(status.stdout, status.stderr);

    // a redeploy changes nothing
    const again = await cli(['plan', topologyFile, '--detailed-exitcode'], clientCert());
    expect(again.code, again.stdout + again.stderr).toBe(0);
  }, 300_000);

  it('rmqctl with the CA and a client certificate works; plain text and no client certificate are refused', async () => {
    const namesrv = `127.0.0.1:${nsPort}`;
    const tlsEnv = { RMQCTL_TLS: 'require', RMQCTL_TLS_CA: certs.caCert, ...clientCert() };
    const created = await rmqctl(['topic', 'create', 'TlsTopic', '--cluster', 'tlsc', '--namesrv', namesrv], { env: { ...noProfile(), ...tlsEnv } });
    expect(created.code, created.stdout + created.stderr).toBe(0);
    const sent = await rmqctl(['message', 'send', 'TlsTopic', 'over tls', '--namesrv', namesrv, '--json'], { env: { ...noProfile(), ...tlsEnv } });
    expect(sent.code, sent.stdout + sent.stderr).toBe(0);
    const plain = await rmqctl(['status', '--namesrv', namesrv], { env: noProfile() });
    expect(plain.code).toBe(1);
    const noCert = await rmqctl(['status', '--namesrv', namesrv], { env: { ...noProfile(), RMQCTL_TLS: 'require', RMQCTL_TLS_CA: certs.caCert } });
    expect(noCert.code).toBe(1);
    outputs.push(created.stdout, created.stderr, sent.stdout, sent.stderr, plain.stdout, plain.stderr, noCert.stdout, noCert.stderr);
  }, 180_000);

  it('the private key is in no command output, log file, properties file or process list', () => {
    const files = filesUnder(stateDir()).filter((f) => f.endsWith('.log') || f.endsWith('.properties'));
    expect(files.length).toBeGreaterThanOrEqual(6);
    const text = [...outputs, ...files.map((f) => readFileSync(f, 'utf8'))].join('\n');
    expect(text).toContain('tls-key.pem'); // its path may show; its content never
    const ps = execFileSync('ps', ['-eo', 'args'], { encoding: 'utf8' });
    for (const line of keyLines) {
      expect(text).not.toContain(line);
      expect(ps).not.toContain(line);
    }
  });
});
