/**
 * The topology's `acl:` section: secrets only by reference (inline ones are refused without being
 * echoed), validation with positions, one ACL file per node rendered 0600 for the service user,
 * and plans that show a changed secret as a changed mark, never the secret.
 */
import { chmodSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseAclConfig } from '../../src/acl/config.js';
import { EMPTY_HOST, LOCAL_FS, formatPlan, planCluster } from '../../src/deploy/plan/index.js';
import { renderCluster, type DesiredFile } from '../../src/render/index.js';
import { buildClusterModel, parseTopology } from '../../src/topology/index.js';
import { resolveAclSecrets } from '../../src/topology/secrets.js';
import { applyFileSet } from '../support/apply-fileset.js';
import { STUB_RELEASE, topologyProblems } from '../support/topologies.js';
import { tmpDir } from '../support/tmp.js';

const ADMIN_SECRET = 'Adm1n-Topo-S3cret-77';
const ORDERS_SECRET = 'Orders-Topo-S3cret-31';

const topo = (acl: string, hosts = '  - {name: mq1, address: 10.0.0.1}\n') => `cluster: sec
mode: single-master
hosts:
${hosts}nameservers:
  - {host: ${hosts.includes('local') ? 'local' : 'mq1'}}
brokers:
  - name: broker-a
    master: {host: ${hosts.includes('local') ? 'local' : 'mq1'}}
${acl}`;

const ACL = (ordersSecret = '{ file: /run/secrets/orders }') => `acl:
  admin:
    accessKey: rmq-admin
    secretKey: { env: RMQ_TEST_ADMIN_SECRET }
  globalWhiteRemoteAddresses: [10.1.*.*]
  accounts:
    - accessKey: app-orders
      secretKey: ${ordersSecret}
      defaultGroupPerm: SUB
      topicPerms: [orders=PUB|SUB]
`;

const problemsOf = (text: string) => topologyProblems(text, 'sec.yaml');

describe('acl: section validation', () => {
  it('refuses an inline secret without repeating it, pointing at its line', () => {
    const p = problemsOf(topo(ACL(`"${ORDERS_SECRET}"`)));
    expect(p).toMatch(/^sec\.yaml:17:\d+ +acl\.accounts\[0\]\.secretKey +an inline secret \(value not shown\) \(expected a reference \{ env: NAME \} or \{ file: path \}/m);
    expect(p).not.toContain(ORDERS_SECRET);
    const admin = problemsOf(topo(ACL().replace('{ env: RMQ_TEST_ADMIN_SECRET }', ADMIN_SECRET)));
    expect(admin).toMatch(/acl\.admin\.secretKey +an inline secret/);
    expect(admin).not.toContain(ADMIN_SECRET);
  });

  it('names each other problem with its position', () => {
    // the schema first: a reference of an unknown kind, a permission that does not exist
    const schema = problemsOf(topo(`acl:
  admin: { accessKey: rmq-admin, secretKey: { env: X } }
  accounts:
    - { accessKey: app-one1, secretKey: { vault: x } }
    - { accessKey: app-two1, secretKey: { env: Y }, defaultTopicPerm: ALL }
`));
    expect(schema).toMatch(/sec\.yaml:13:\d+ +acl\.accounts\[0\]\.secretKey +not a secret reference/);
    expect(schema).toMatch(/sec\.yaml:14:\d+ +acl\.accounts\[1\]\.defaultTopicPerm/);
    // then the semantics: address patterns
    const semantic = problemsOf(topo(`acl:
  admin: { accessKey: rmq-admin, secretKey: { env: X } }
  globalWhiteRemoteAddresses: [10.1.*.5]
  accounts:
    - { accessKey: app-two1, secretKey: { env: Y }, whiteRemoteAddress: 1.2.3 }
`));
    expect(semantic).toMatch(/sec\.yaml:12:\d+ +acl\.globalWhiteRemoteAddresses\[0\] +.*must be \*/);
    expect(semantic).toMatch(/sec\.yaml:14:\d+ +acl\.accounts\[0\]\.whiteRemoteAddress +.*not an IPv4/);
    const dup = problemsOf(topo(ACL().replace('app-orders', 'rmq-admin')));
    expect(dup).toMatch(/acl\.accounts\[0\]\.accessKey +accessKey "rmq-admin" is already used by acl\.admin\.accessKey/);
    const perms = problemsOf(topo(ACL().replace('[orders=PUB|SUB]', '[orders=PUB, orders=SUB]')));
    expect(perms).toMatch(/acl\.accounts\[0\]\.topicPerms\[1\] +"orders" is listed twice/);
  });

  it('keeps ACL keys out of overrides', () => {
    const p = problemsOf(topo(ACL()).replace('    master: {host: mq1}', '    master: {host: mq1}\n    overrides: {aclEnable: false}'));
    expect(p).toMatch(/aclEnable is set by the topology \(expected it through acl/);
  });
});

describe('rendering and planning with acl', () => {
  function setup(hosts?: string) {
    const dir = tmpDir();
    const secretFile = path.join(dir, 'orders.secret');
    writeFileSync(secretFile, `${ORDERS_SECRET}\n`, { mode: 0o600 });
    const { topology } = parseTopology(topo(ACL().replace('/run/secrets/orders', secretFile), hosts), 'sec.yaml');
    const model = buildClusterModel(topology, { stateDir: path.join(dir, 'state') });
    return { dir, secretFile, model };
  }

  it('resolves references, and refuses a missing variable or a readable secret file', () => {
    const { secretFile, model } = setup();
    const acl = model.acl!;
    expect(resolveAclSecrets(acl, { env: { RMQ_TEST_ADMIN_SECRET: ADMIN_SECRET } })).toEqual(new Map([['rmq-admin', ADMIN_SECRET], ['app-orders', ORDERS_SECRET]]));
    expect(() => resolveAclSecrets(acl, { env: {} })).toThrow(/ACL secrets cannot be resolved/);
    try {
      resolveAclSecrets(acl, { env: {} });
    } catch (e) {
      expect((e as { problems: string[] }).problems).toEqual(['acl.admin.secretKey: environment variable RMQ_TEST_ADMIN_SECRET is not set (it holds the secret of rmq-admin)']);
    }
    chmodSync(secretFile, 0o644);
    expect(() => resolveAclSecrets(acl, { env: { RMQ_TEST_ADMIN_SECRET: ADMIN_SECRET } })).toThrow(/secrets cannot be resolved/);
  });

  it('renders one ACL file per node, 0600 for the service user, and the ACL keys into the properties', () => {
    const { model } = setup();
    const secrets = resolveAclSecrets(model.acl!, { env: { RMQ_TEST_ADMIN_SECRET: ADMIN_SECRET } });
    const [set] = renderCluster(model, STUB_RELEASE, { acl: secrets });
    const acls = set!.entries.filter((e): e is DesiredFile => e.kind === 'file' && e.role === 'acl');
    expect(acls.map((e) => [e.path, e.mode, e.owner, e.group])).toEqual([
      ['/etc/rmqctl/sec/broker-a-0.acl.yml', 0o600, 'rmq', 'rmq'],
      ['/etc/rmqctl/sec/namesrv-1.acl.yml', 0o600, 'rmq', 'rmq'],
    ]);
    const policy = parseAclConfig(acls[0]!.content.toString('utf8'), 'rendered');
    expect(policy.accounts.get('rmq-admin')).toMatchObject({ secretKey: ADMIN_SECRET, admin: true });
    expect(policy.accounts.get('app-orders')).toMatchObject({ secretKey: ORDERS_SECRET, admin: false });
    expect(policy.globalWhite('10.1.2.3')).toBe(true);
    const props = (id: string) => set!.entries.find((e): e is DesiredFile => e.kind === 'file' && e.path.endsWith(`${id}.properties`))!.content.toString('utf8');
    expect(props('broker-a-0')).toMatch(/^aclAccessKey=rmq-admin$/m);
    expect(props('broker-a-0')).toMatch(/^aclEnable=true$/m);
    expect(props('namesrv-1')).toMatch(/^aclFile=\/etc\/rmqctl\/sec\/namesrv-1\.acl\.yml$/m);
    const notAcl = set!.entries.filter((e): e is DesiredFile => e.kind === 'file' && e.role !== 'acl');
    expect(notAcl.map((e) => e.role)).toEqual(expect.arrayContaining(['config', 'unit']));
    for (const e of notAcl) expect(e.content.toString('latin1')).not.toContain(ADMIN_SECRET);
    expect(() => renderCluster(model, STUB_RELEASE)).toThrow(/needs its resolved secrets/);
  });

  it('plans show secrets masked with a short mark; a changed secret shows as a changed mark', async () => {
    const { model } = setup('  - {name: local, transport: local}\n');
    const secrets = resolveAclSecrets(model.acl!, { env: { RMQ_TEST_ADMIN_SECRET: ADMIN_SECRET } });
    const first = await planCluster(model, renderCluster(model, STUB_RELEASE, { acl: secrets }), STUB_RELEASE, async () => ({ observed: 'empty', view: EMPTY_HOST }));
    const text = `${formatPlan(first)}\n${JSON.stringify(first)}`;
    expect(text).not.toContain(ADMIN_SECRET);
    expect(text).not.toContain(ORDERS_SECRET);
    expect(text).toContain('*** sha256:');
    // deployed as planned, then the admin secret rotates
    for (const s of renderCluster(model, STUB_RELEASE, { acl: secrets })) applyFileSet(s);
    const rotated = new Map(secrets).set('rmq-admin', 'Rotated-S3cret-0001');
    const second = await planCluster(model, renderCluster(model, STUB_RELEASE, { acl: rotated }), STUB_RELEASE, async () => ({ observed: 'local', view: LOCAL_FS }));
    const out = `${formatPlan(second)}\n${JSON.stringify(second)}`;
    expect(out).not.toContain('Rotated-S3cret-0001');
    expect(out).not.toContain(ADMIN_SECRET);
    const aclChange = second.hosts[0]!.entries.find((e) => e.role === 'acl');
    expect(aclChange?.change).toBe('update');
    expect(aclChange?.diff).toMatch(/^-\s+secretKey: \*\*\* sha256:[0-9a-f]{8}$/m);
    expect(aclChange?.diff).toMatch(/^\+\s+secretKey: \*\*\* sha256:[0-9a-f]{8}$/m);
  });
});
