/**
 * A cluster with an `acl:` section end to end on the local target: plan masks the secrets and
 * refuses to run without them, deploy renders 0600 ACL files and starts real rmqd processes that
 * enforce them, rmqctl signs with the admin credentials from its environment — and the secrets
 * appear in no output, log file or process list.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rmqctl } from '../support/cli.js';
import { filesUnder } from '../support/tree.js';
import { freeBrokerPort, freePort } from '../support/ports.js';

const ADMIN_SECRET = 'E2e-Adm1n-S3cret-6161';
const APP_SECRET = 'E2e-App-S3cret-7272';
let dir: string;
let topologyFile: string;
let nsPort: number;
const stateDir = () => path.join(dir, 'state');
const noProfile = () => ({ RMQCTL_CREDENTIALS_FILE: path.join(dir, 'no-profile') });
const cli = (args: string[], env: NodeJS.ProcessEnv = {}) => rmqctl([...args, '--state-dir', stateDir()], { env: { RMQ_E2E_ADMIN_SECRET: ADMIN_SECRET, ...env } });
const outputs: string[] = [];

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'rmqctl-acl-'));
  topologyFile = path.join(dir, 'acl.yaml');
  const appSecretFile = path.join(dir, 'app.secret');
  writeFileSync(appSecretFile, `${APP_SECRET}\n`, { mode: 0o600 });
  nsPort = await freePort();
  writeFileSync(
    topologyFile,
    `cluster: aclc
mode: single-master
hosts:
  - {name: local, transport: local}
nameservers:
  - {host: local, port: ${nsPort}}
brokers:
  - name: broker-a
    master: {host: local, port: ${await freeBrokerPort()}}
acl:
  admin: { accessKey: rmq-admin, secretKey: { env: RMQ_E2E_ADMIN_SECRET } }
  accounts:
    - accessKey: app-e2e
      secretKey: { file: ${appSecretFile} }
      topicPerms: [E2eTopic=PUB|SUB]
`,
  );
});

afterAll(async () => {
  await cli(['destroy', topologyFile, '--yes', '--purge']);
  rmSync(dir, { recursive: true, force: true });
});

describe('deploy with acl', () => {
  it('plan masks the secrets, and without them refuses (exit 2) naming the missing variable', async () => {
    const plan = await cli(['plan', topologyFile, '--offline']);
    expect(plan.code, plan.stderr).toBe(0);
    expect(plan.stdout).toMatch(/\+ create +file +\S+\/etc\/rmqctl\/aclc\/broker-a-0\.acl\.yml +0600/);
    outputs.push(plan.stdout, plan.stderr);
    const json = await cli(['plan', topologyFile, '--offline', '--json']);
    outputs.push(json.stdout, json.stderr);
    const aclEntry = (JSON.parse(json.stdout) as { hosts: { entries: { role: string; diff?: string }[] }[] }).hosts[0]!.entries.find((e) => e.role === 'acl');
    expect(aclEntry?.diff).toMatch(/\+\s+secretKey: \*\*\* sha256:[0-9a-f]{8}/);
    const missing = await cli(['plan', topologyFile, '--offline'], { RMQ_E2E_ADMIN_SECRET: '' });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('acl.admin.secretKey: environment variable RMQ_E2E_ADMIN_SECRET is not set');
  }, 180_000);

  it('deploys nodes that enforce the ACL; rmqctl signs with RMQCTL_ACCESS_KEY/RMQCTL_SECRET_KEY', async () => {
    const deployed = await cli(['deploy', topologyFile, '--min-free-disk', '1']);
    expect(deployed.code, deployed.stdout + deployed.stderr).toBe(0);
    outputs.push(deployed.stdout, deployed.stderr);
    const aclFiles = filesUnder(stateDir()).filter((f) => f.endsWith('.acl.yml'));
    expect(aclFiles.map((f) => path.basename(f)).sort()).toEqual(['broker-a-0.acl.yml', 'namesrv-1.acl.yml']);
    for (const f of aclFiles) expect(statSync(f).mode & 0o777).toBe(0o600);

    const namesrv = `127.0.0.1:${nsPort}`;
    const anon = await rmqctl(['topic', 'create', 'E2eTopic', '--cluster', 'aclc', '--namesrv', namesrv], { env: noProfile() });
    expect(anon.code).toBe(1);
    expect(anon.stdout + anon.stderr).toMatch(/No accessKey is configured/);
    const app = await rmqctl(['topic', 'create', 'E2eTopic', '--cluster', 'aclc', '--namesrv', namesrv], { env: { ...noProfile(), RMQCTL_ACCESS_KEY: 'app-e2e', RMQCTL_SECRET_KEY: APP_SECRET } });
    expect(app.stdout + app.stderr).toMatch(/Need admin permission/);
    const admin = await rmqctl(['topic', 'create', 'E2eTopic', '--cluster', 'aclc', '--namesrv', namesrv], { env: { ...noProfile(), RMQCTL_ACCESS_KEY: 'rmq-admin', RMQCTL_SECRET_KEY: ADMIN_SECRET } });
    expect(admin.code, admin.stdout + admin.stderr).toBe(0);
    const sent = await rmqctl(['message', 'send', 'E2eTopic', 'hi', '--namesrv', namesrv], { env: { ...noProfile(), RMQCTL_ACCESS_KEY: 'app-e2e', RMQCTL_SECRET_KEY: APP_SECRET } });
    expect(sent.code, sent.stdout + sent.stderr).toBe(0);
    const status = await rmqctl(['status', '--namesrv', namesrv, '--json'], { env: { ...noProfile(), RMQCTL_ACCESS_KEY: 'rmq-admin', RMQCTL_SECRET_KEY: ADMIN_SECRET } });
    outputs.push(anon.stdout, anon.stderr, app.stdout, app.stderr, admin.stdout, admin.stderr, sent.stdout, sent.stderr, status.stdout, status.stderr);
  }, 300_000);

  it('no secret in any command output, log file, properties file or process list', () => {
    const logs = filesUnder(stateDir()).filter((f) => f.endsWith('.log') || f.endsWith('.properties'));
    expect(logs.length).toBeGreaterThanOrEqual(4);
    const text = [...outputs, ...logs.map((f) => readFileSync(f, 'utf8'))].join('\n');
    expect(text).toContain('rmq-admin'); // access keys may show; secrets never
    expect(text).not.toContain(ADMIN_SECRET);
    expect(text).not.toContain(APP_SECRET);
    const ps = execFileSync('ps', ['-eo', 'args'], { encoding: 'utf8' });
    expect(ps).not.toContain(ADMIN_SECRET);
    expect(ps).not.toContain(APP_SECRET);
  });
});
