/**
 * The README's main job, as written, on the `local` target: `rmqctl deploy 2m-2s-sync` (the
 * shipped preset, default state directory under $HOME), then the follow-up commands — status,
 * topic create, message send (ours and ali-ons), message tail — then destroy.
 *
 * The preset's ports are fixed (9876/9877, 10909–10942), so everything runs in a network
 * namespace this test makes (its own loopback): it cannot collide with anything else on the
 * machine, and everything left in it is ours to stop.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot, rmqctl, type RunResult } from '../support/cli.js';
import { rootTestsOptedOut } from '../support/hosts.js';

const LONG = 300_000;
const ns = `rmqqs${process.pid}`;
const skipReason = rootTestsOptedOut() ?? (process.platform !== 'linux' || process.getuid?.() !== 0 ? 'needs Linux and root (a network namespace of its own)' : undefined);
if (skipReason && process.env.CI === 'true' && !rootTestsOptedOut()) throw new Error(`quick-start test cannot run: ${skipReason}`);

let home: string;
const NAMESRV = '127.0.0.1:9876;127.0.0.1:9877';
const inNs = ['ip', 'netns', 'exec', ns];
/** `npx rmqctl …` as a user would type it, in the test's namespace, with a home of its own. */
const cli = (args: string[]) => rmqctl(args, { wrap: inNs, env: { HOME: home, XDG_STATE_HOME: '' }, timeout: LONG });
const jsonLines = (r: RunResult) => r.stdout.trimEnd().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
const nsPids = () => execFileSync('ip', ['netns', 'pids', ns], { encoding: 'utf8' }).split(/\s+/).filter(Boolean).map(Number);

describe.skipIf(skipReason)('Quick start: rmqctl deploy 2m-2s-sync on this machine, use it, destroy it', () => {
  beforeAll(() => {
    home = mkdtempSync(path.join(os.tmpdir(), 'rmqctl-quickstart-'));
    execFileSync('ip', ['netns', 'add', ns]);
    execFileSync('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
  });
  afterAll(async () => {
    try {
      await cli(['destroy', '2m-2s-sync', '--yes', '--purge']);
    } finally {
      // whatever is still in our namespace was started by this test
      for (const pid of nsPids()) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
      execFileSync('ip', ['netns', 'del', ns]);
      rmSync(home, { recursive: true, force: true });
    }
  });

  it('deploys the preset: 2 NameServers and 4 brokers as local processes, each healthy; the state lives under ~/.local/state', { timeout: LONG }, async () => {
    const r = await cli(['deploy', '2m-2s-sync']);
    expect(r.code, r.stderr + r.stdout).toBe(0);
    expect(r.stdout).toMatch(/deployed cluster 2m-2s-sync: 6 started, 0 restarted, 0 unchanged; every node healthy\n/);
    const state = path.join(home, '.local', 'state', 'rmqctl', '2m-2s-sync');
    expect(existsSync(path.join(state, 'etc', 'rmqctl', '2m-2s-sync', 'broker-a-0.properties'))).toBe(true);
    expect(readdirSync(path.join(state, 'run', 'rmqctl', '2m-2s-sync')).sort()).toEqual(['broker-a-0.pid', 'broker-a-1.pid', 'broker-b-0.pid', 'broker-b-1.pid', 'namesrv-1.pid', 'namesrv-2.pid']);
  });

  it('is used: status shows every node healthy with its role, topic create, sends from our CLI and ali-ons, message tail reads them all', { timeout: LONG }, async () => {
    const status = await cli(['status', '2m-2s-sync', '--json']);
    expect(status.code, status.stdout + status.stderr).toBe(0);
    const report = JSON.parse(status.stdout) as { healthy: boolean; clusters: { name: string; groups: { nodes: { id: string; role: string; addr: string }[] }[] }[] };
    expect(report.healthy).toBe(true);
    const nodes = report.clusters.find((c) => c.name === '2m-2s-sync')!.groups.flatMap((g) => g.nodes.map((n) => `${n.id} ${n.role} ${n.addr}`));
    expect(nodes.sort()).toEqual(['broker-a-0 master 127.0.0.1:10911', 'broker-a-1 slave 127.0.0.1:10921', 'broker-b-0 master 127.0.0.1:10931', 'broker-b-1 slave 127.0.0.1:10941']);

    const created = await cli(['topic', 'create', 'Orders', '--cluster', '2m-2s-sync', '--namesrv', NAMESRV]);
    expect(created.code, created.stderr).toBe(0);
    expect(created.stdout).toContain('Orders: created/updated on broker-a (127.0.0.1:10911)');
    expect(created.stdout).toContain('Orders: created/updated on broker-b (127.0.0.1:10931)');

    const bodies: string[] = [];
    for (let i = 0; i < 4; i++) {
      const sent = await cli(['message', 'send', 'Orders', `order ${i} from rmqctl`, '--tag', 'cli', '--namesrv', NAMESRV, '--json']);
      expect(sent.code, sent.stderr).toBe(0);
      expect(JSON.parse(sent.stdout)).toMatchObject({ sendStatus: 'SEND_OK' });
      bodies.push(`order ${i} from rmqctl`);
    }
    // ali-ons, the third-party client, from a process in the same namespace
    const script = path.join(home, 'ali-send.cjs');
    writeFileSync(
      script,
      `const { Producer, Message } = require(${JSON.stringify(path.join(repoRoot, 'node_modules', 'ali-ons'))});
const silent = { info() {}, debug() {}, warn() {}, error() {} };
(async () => {
  const p = new Producer({ nameSrv: ${JSON.stringify(NAMESRV.split(';'))}, httpclient: {}, producerGroup: 'PID_QUICKSTART', logger: silent });
  await p.ready();
  const out = [];
  for (let i = 0; i < 4; i++) out.push((await p.send(new Message('Orders', 'ali', 'order ' + i + ' from ali-ons'))).sendStatus);
  await p.close();
  console.log(JSON.stringify(out));
  process.exit(0);
})().catch((e) => { console.error(e); process.exit(1); });
`,
    );
    const ali = execFileSync('ip', ['netns', 'exec', ns, process.execPath, script], { encoding: 'utf8', timeout: 60_000 });
    expect(JSON.parse(ali)).toEqual(['SEND_OK', 'SEND_OK', 'SEND_OK', 'SEND_OK']);
    for (let i = 0; i < 4; i++) bodies.push(`order ${i} from ali-ons`);

    const tail = await cli(['message', 'tail', 'Orders', '--from-beginning', '--count', String(bodies.length), '--json', '--namesrv', NAMESRV]);
    expect(tail.code, tail.stderr).toBe(0);
    expect(jsonLines(tail).map((m) => (m.body as { text: string }).text).sort()).toEqual(bodies.sort());
  });

  it('destroy stops every process of the cluster; nothing is left running', { timeout: LONG }, async () => {
    const r = await cli(['destroy', '2m-2s-sync', '--yes', '--purge']);
    expect(r.code, r.stderr + r.stdout).toBe(0);
    expect(nsPids()).toEqual([]);
    const status = await cli(['status', '2m-2s-sync']);
    expect(status.code).toBe(1);
  });
});
