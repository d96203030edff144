/**
 * #15 end to end: the real `rmqctl deploy` of the shipped 2m-2s-sync preset on the local target,
 * then the official RocketMQ 5 Node client (rocketmq-client-nodejs, no test double) against the
 * brokers' gRPC ports — normal, delay and FIFO messages, SimpleConsumers, redelivery with the
 * attempt counted, change-invisible-duration, the dead-letter queue read back with
 * `rmqctl message tail`, two PushConsumers sharing a group — and `rmqctl status` showing every
 * broker's gRPC endpoint answering.
 *
 * The preset's ports are fixed, so everything runs in a network namespace of this test (its own
 * loopback), as the README quick-start test does; the client program (test/support/v5-scenario.ts,
 * bundled here) runs in it too.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { repoRoot, rmqctl, type RunResult } from '../support/cli.js';
import type { V5Scenario } from '../support/v5-scenario.js';
import { v2DescriptorModule } from '../../bin/v2-descriptor.mjs';

const LONG = 400_000;
const ns = `rmqv5${process.pid}`;
const skipReason = process.platform !== 'linux' || process.getuid?.() !== 0 ? 'needs Linux and root (a network namespace of its own)' : undefined;
if (skipReason && process.env.CI === 'true') throw new Error(`v5 deploy test cannot run: ${skipReason}`);

let home: string;
const NAMESRV = '127.0.0.1:9876;127.0.0.1:9877';
const inNs = ['ip', 'netns', 'exec', ns];
const cli = (args: string[]) => rmqctl(args, { wrap: inNs, env: { HOME: home, XDG_STATE_HOME: '' }, timeout: LONG });
const jsonLines = (r: RunResult) => r.stdout.trimEnd().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
const nsPids = () => execFileSync('ip', ['netns', 'pids', ns], { encoding: 'utf8' }).split(/\s+/).filter(Boolean).map(Number);

describe.skipIf(skipReason)('RocketMQ 5 clients on a cluster rmqctl deployed (2m-2s-sync, local)', () => {
  beforeAll(() => {
    home = mkdtempSync(path.join(os.tmpdir(), 'rmqctl-v5-'));
    execFileSync('ip', ['netns', 'add', ns]);
    execFileSync('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
  });
  afterAll(async () => {
    try {
      await cli(['destroy', '2m-2s-sync', '--yes', '--purge']);
    } finally {
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

  it('deploys with a gRPC port per broker; status shows each answering', { timeout: LONG }, async () => {
    const r = await cli(['deploy', '2m-2s-sync']);
    expect(r.code, r.stderr + r.stdout).toBe(0);
    expect(r.stdout).toContain('gRPC at 127.0.0.1:10913');
    const status = await cli(['status', '2m-2s-sync', '--json']);
    expect(status.code, status.stdout + status.stderr).toBe(0);
    const report = JSON.parse(status.stdout) as { clusters: { groups: { nodes: { id: string; grpc?: { endpoint: string; answers: boolean } }[] }[] }[] };
    const grpc = report.clusters.flatMap((c) => c.groups.flatMap((g) => g.nodes.map((n) => `${n.id} ${n.grpc?.endpoint} ${n.grpc?.answers}`)));
    expect(grpc.sort()).toEqual(['broker-a-0 127.0.0.1:10913 true', 'broker-a-1 127.0.0.1:10923 true', 'broker-b-0 127.0.0.1:10933 true', 'broker-b-1 127.0.0.1:10943 true']);
  });

  it('the official Node client: normal, delay and FIFO sends; receive and ack once; attempt 2; change-invisible; DLQ read by message tail; PushConsumers share a group', { timeout: LONG }, async () => {
    for (const [topic, type] of [['V5Orders', 'NORMAL'], ['V5Delay', 'DELAY'], ['V5Fifo', 'FIFO']] as const) {
      const created = await cli(['topic', 'create', topic, '--cluster', '2m-2s-sync', '--read-queues', '4', '--write-queues', '4', '--message-type', type, '--namesrv', NAMESRV]);
      expect(created.code, created.stderr).toBe(0);
    }
    // inside the repository's tree, so the client (left external) resolves from its node_modules
    const program = path.join(repoRoot, 'node_modules', '.cache', 'rmq-test', `v5-scenario-${process.pid}.mjs`);
    onTestFinished(() => rmSync(program, { force: true }));
    await build({
      entryPoints: [path.join(repoRoot, 'test', 'support', 'v5-scenario.ts')],
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      outfile: program,
      external: ['rocketmq-client-nodejs'],
      logLevel: 'warning',
      banner: { js: "import { createRequire as __r } from 'node:module'; const require = __r(import.meta.url);" },
      plugins: [{ name: 'rmq-v2-descriptor', setup(b) {
        b.onResolve({ filter: /^rmq:v2-descriptor$/ }, (a) => ({ path: a.path, namespace: 'd' }));
        b.onLoad({ filter: /.*/, namespace: 'd' }, () => ({ contents: v2DescriptorModule(), loader: 'js' }));
      } }],
    });
    const out = execFileSync('ip', ['netns', 'exec', ns, process.execPath, program, '127.0.0.1:10913', NAMESRV, '127.0.0.1:10911,127.0.0.1:10931'], {
      encoding: 'utf8',
      timeout: LONG - 60_000,
    });
    const s = JSON.parse(out) as V5Scenario;
    // every normal message delivered; all but the kept one exactly once, at attempt 1
    for (const body of s.normalSent) {
      if (body === s.kept) continue;
      expect(s.normalDeliveries[body], body).toEqual([1]);
    }
    // the kept one: attempt 1, then 2 after its invisible time, never within the postponement, then gone (DLQ)
    expect(s.normalDeliveries[s.kept]).toEqual([1, 2]);
    expect(s.keptAgainAttempt).toBe(2);
    expect(s.postponedReceiveWasEmpty).toBe(true);
    // delay: not before its time
    expect(s.delay.receivedAt).toBeGreaterThanOrEqual(s.delay.due);
    expect(s.delay.deliveryTimestamp).toBe(s.delay.due);
    // FIFO: each message group in send order
    expect(s.fifo).toEqual({ g0: [0, 1, 2, 3, 4], g1: [0, 1, 2, 3, 4], g2: [0, 1, 2, 3, 4] });
    // PushConsumers: exactly once between them, both worked, the survivor took over
    expect(s.push.duplicates).toBe(0);
    expect((s.push.byConsumer.p1 ?? 0) + (s.push.byConsumer.p2 ?? 0)).toBe(40);
    expect(s.push.byConsumer.p1).toBeGreaterThan(0);
    expect(s.push.takeover).toBe(10);

    // the dead-lettered message, read with rmqctl
    const tail = await cli(['message', 'tail', '%DLQ%G_E2E', '--from-beginning', '--count', '1', '--json', '--namesrv', NAMESRV]);
    expect(tail.code, tail.stderr).toBe(0);
    expect(jsonLines(tail).map((m) => (m.body as { text: string }).text)).toEqual([s.kept]);

    // the v5 groups are groups like any other: offsets and lag (all acked: no lag)
    const groups = await cli(['group', 'describe', 'G_E2E_FIFO', '--namesrv', NAMESRV, '--json']);
    expect(groups.code, groups.stderr).toBe(0);
    expect(groups.stdout).toContain('V5Fifo');
  });
});
