import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { aliMessage, aliProducer } from '../support/ali-ons.js';
import { rmqctl } from '../support/cli.js';

// The README's Quick start, as written: the 2m-2s-sync preset deployed on this machine with the
// real runtime (local target, process supervisor), used with the follow-up commands and ali-ons,
// then destroyed. The preset's fixed ports (9876/9877, 10909-10942) must be free here.
const LONG = 240_000;
const NAMESRV = '127.0.0.1:9876;127.0.0.1:9877';
let dir: string;
let stateDir: string;
const cli = (args: string[]) => rmqctl(args, { timeout: LONG, env: { NAMESRV_ADDR: NAMESRV } });
const withState = (args: string[]) => cli([...args, '--state-dir', stateDir]);

beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'rmqctl-quickstart-'));
  stateDir = path.join(dir, 'state');
});
afterAll(async () => {
  await withState(['destroy', '2m-2s-sync', '--yes', '--purge']);
  rmSync(dir, { recursive: true, force: true });
});

describe('Quick start: the 2m-2s-sync preset on this machine', () => {
  it('deploy 2m-2s-sync, status, topic create, send (ours and ali-ons), tail, destroy', { timeout: LONG * 3 }, async () => {
    const deployed = await withState(['deploy', '2m-2s-sync']);
    expect(deployed.code, deployed.stderr + deployed.stdout).toBe(0);
    expect(deployed.stdout).toMatch(/deployed cluster 2m-2s-sync: 6 started, 0 restarted, 0 unchanged; every node healthy\n$/);

    const status = await cli(['status', '2m-2s-sync', '--json']);
    expect(status.code, status.stdout).toBe(0);
    const report = JSON.parse(status.stdout) as { healthy: boolean; clusters: { name: string; groups: { nodes: { id: string; role: string; addr: string; knownBy: string[] }[] }[] }[] };
    expect(report.healthy).toBe(true);
    const nodes = report.clusters.find((c) => c.name === '2m-2s-sync')!.groups.flatMap((g) => g.nodes.map((n) => `${n.id} ${n.role} ${n.addr} ${n.knownBy.length}`));
    expect(nodes).toEqual(['broker-a-0 master 127.0.0.1:10911 2', 'broker-a-1 slave 127.0.0.1:10921 2', 'broker-b-0 master 127.0.0.1:10931 2', 'broker-b-1 slave 127.0.0.1:10941 2']);

    const created = await cli(['topic', 'create', 'Orders', '--cluster', '2m-2s-sync', '-n', '127.0.0.1:9876']);
    expect(created.code, created.stderr).toBe(0);
    expect(created.stdout).toContain('Orders: created/updated on broker-a (127.0.0.1:10911)');
    expect(created.stdout).toContain('Orders: created/updated on broker-b (127.0.0.1:10931)');

    const sent = await cli(['message', 'send', 'Orders', 'hello', '--tag', 'TagA']);
    expect(sent.code, sent.stderr).toBe(0);
    const ali = aliProducer(NAMESRV, 'PID_QUICKSTART');
    try {
      await ali.ready();
      expect((await ali.send(aliMessage('Orders', 'TagA', 'hello from ali-ons'))).sendStatus).toBe('SEND_OK');
    } finally {
      await ali.close();
    }

    const tail = await cli(['message', 'tail', 'Orders', '--from-beginning', '--count', '2', '--json']);
    expect(tail.code, tail.stderr).toBe(0);
    const bodies = tail.stdout.trimEnd().split('\n').map((l) => (JSON.parse(l) as { body: { text: string } }).body.text);
    expect(bodies.sort()).toEqual(['hello', 'hello from ali-ons']);

    const destroyed = await withState(['destroy', '2m-2s-sync', '--yes']);
    expect(destroyed.code, destroyed.stderr + destroyed.stdout).toBe(0);
    const after = await cli(['status', '2m-2s-sync']);
    expect(after.code).toBe(1);
  });
});
