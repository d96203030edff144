import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { activateRelease, activeRelease, ensureDirs, ensureNode, ensureServiceUser, installRelease, previousRelease, pruneReleases, rollbackRelease } from '../../src/deploy/bundle.js';
import { loadRuntimeRelease as loadRelease, releaseOf, type RuntimeRelease } from '../../src/render/index.js';
import { LocalTarget } from '../../src/deploy/targets/local.js';
import { SshTarget } from '../../src/deploy/targets/ssh.js';
import type { Target } from '../../src/deploy/targets/target.js';
import { SshPool } from '../../src/deploy/transport/pool.js';
import { runtimeBundle } from '../../src/paths.js';
import { hostLayout } from '../../src/topology/index.js';
import { testHosts } from '../support/hosts.js';
import { tmpDir } from '../support/tmp.js';

// host 2 has no node at all: the push path
const lab = testHosts({ count: 2, mode: 'nspawn', withoutNode: [2] });

/** A second, different release: the real bundle plus a trailing comment. */
function variant(rel: RuntimeRelease, tag: string): RuntimeRelease {
  return releaseOf(Buffer.concat([rel.content, Buffer.from(`\n// ${tag}\n`)]));
}

describe('release of the bundle', () => {
  it('is named by the first 12 hex digits of the sha256 of dist/rmqd.js', async () => {
    const rel = await loadRelease();
    expect(rel.sha256).toBe(createHash('sha256').update(readFileSync(runtimeBundle)).digest('hex'));
    expect(rel.id).toBe(rel.sha256.slice(0, 12));
  });

  it('local target: switch, rollback and prune with relative links under the state dir', async () => {
    const t = new LocalTarget();
    const layout = hostLayout(tmpDir(), 'c1', undefined);
    const a = await loadRelease();
    const b = variant(a, 'b');
    const c = variant(a, 'c');
    for (const r of [a, b, c]) {
      expect(await installRelease(t, layout, r)).toBe('uploaded');
      await activateRelease(t, layout, r.id);
    }
    expect(await activeRelease(t, layout)).toBe(c.id);
    expect(await previousRelease(t, layout)).toBe(b.id);
    expect(await pruneReleases(t, layout)).toEqual([a.id]);
    expect(await rollbackRelease(t, layout)).toEqual({ from: c.id, to: b.id });
    expect(readFileSync(path.join(layout.currentLink, 'rmqd.js'))).toEqual(b.content);
    expect(await t.readlink(layout.currentLink)).toBe(path.join(layout.releasesDir, b.id));
    const node = await ensureNode(t, layout);
    expect(node).toEqual({ path: process.execPath, version: process.version, pushed: false });
    expect(await t.readlink(layout.nodeBinary)).toBe(process.execPath);
  });
});

describe.skipIf(lab.skipReason)('release, node, user and directories on real hosts', () => {
  let pool: SshPool;
  const targets: Target[] = [];
  const layout = hostLayout('/', 'c1', undefined);
  beforeAll(async () => {
    pool = new SshPool({ knownHostsFile: lab.hosts[0]!.knownHostsFile, agent: false });
    for (const h of lab.hosts) targets.push(await SshTarget.open(h.name, { host: h.address, user: 'root', identityFiles: [h.identityFile] }, pool));
  });
  afterAll(() => pool?.closeAll());

  it('installs the release, switches current atomically, keeps the previous one, rolls back', async () => {
    const [t] = targets;
    const h = lab.hosts[0]!;
    const a = await loadRelease();
    const b = variant(a, 'b');
    expect(await installRelease(t!, layout, a)).toBe('uploaded');
    expect(await installRelease(t!, layout, a)).toBe('present');
    expect(await activateRelease(t!, layout, a.id)).toEqual({ changed: true });
    expect(await activateRelease(t!, layout, a.id)).toEqual({ changed: false, from: a.id });
    expect((await h.run('readlink /opt/rmqctl/current')).trim()).toBe(`/opt/rmqctl/releases/${a.id}`);
    expect((await h.run('sha256sum /opt/rmqctl/current/rmqd.js')).split(' ')[0]).toBe(a.sha256);

    await ensureNode(t!, layout);
    // the shipped runtime runs on the host the way units run it (no role: usage, exit 2)
    const r = await h.exec('/opt/rmqctl/bin/node /opt/rmqctl/current/rmqd.js');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/usage: rmqd namesrv/);

    await installRelease(t!, layout, b);
    expect(await activateRelease(t!, layout, b.id)).toEqual({ changed: true, from: a.id });
    expect((await h.run('readlink /opt/rmqctl/current /opt/rmqctl/previous')).trim().split('\n')).toEqual([`/opt/rmqctl/releases/${b.id}`, `/opt/rmqctl/releases/${a.id}`]);
    expect(await rollbackRelease(t!, layout)).toEqual({ from: b.id, to: a.id });
    expect((await h.run('readlink /opt/rmqctl/current /opt/rmqctl/previous')).trim().split('\n')).toEqual([`/opt/rmqctl/releases/${a.id}`, `/opt/rmqctl/releases/${b.id}`]);
    // no temp links or files left next to them
    expect((await h.run('ls -A /opt/rmqctl')).trim().split('\n')).toEqual(['bin', 'current', 'previous', 'releases']);
  });

  it('a damaged release on the host is uploaded again', async () => {
    const [t] = targets;
    const h = lab.hosts[0]!;
    const a = await loadRelease();
    await installRelease(t!, layout, a);
    // same size, different bytes
    await h.run(`printf X | dd of=/opt/rmqctl/releases/${a.id}/rmqd.js bs=1 seek=100 conv=notrunc status=none`);
    expect(await installRelease(t!, layout, a)).toBe('uploaded');
    expect((await h.run(`sha256sum /opt/rmqctl/releases/${a.id}/rmqd.js`)).split(' ')[0]).toBe(a.sha256);
  });

  it('links bin/node to the host node (>= 20)', async () => {
    const [t] = targets;
    expect(await ensureNode(t!, layout)).toEqual({ path: '/usr/local/bin/node', version: process.version, pushed: false });
    expect((await lab.hosts[0]!.run('/opt/rmqctl/bin/node --version')).trim()).toBe(process.version);
  });

  it('no node, or an old one: a clear error naming host and version; --push-node copies ours', async () => {
    const t = targets[1]!;
    const h = lab.hosts[1]!;
    await expect(ensureNode(t, layout)).rejects.toThrow(new RegExp(`^${h.name}: Node.js >= 20 is required; found no node .*--push-node`));
    await h.run(`printf '#!/bin/sh\\necho v18.19.0\\n' > /usr/bin/node && chmod +x /usr/bin/node`);
    await expect(ensureNode(t, layout)).rejects.toThrow(`${h.name}: Node.js >= 20 is required; found v18.19.0 at /usr/bin/node`);
    const pushed = await ensureNode(t, layout, { pushNode: true });
    expect(pushed).toMatchObject({ version: process.version, pushed: true });
    expect((await h.run('/opt/rmqctl/bin/node -e "console.log(process.version)"')).trim()).toBe(process.version);
    // the next run finds the linked copy good: nothing pushed, same link
    expect(await ensureNode(t, layout, { pushNode: true })).toEqual({ ...pushed, pushed: false });
  });

  it('creates the service user and the directories with owner and mode', async () => {
    const [t] = targets;
    const h = lab.hosts[0]!;
    expect(await ensureServiceUser(t!, 'rmq')).toBe('created');
    expect(await ensureServiceUser(t!, 'rmq')).toBe('present');
    expect((await h.run('getent passwd rmq')).trim()).toMatch(/^rmq:x:\d+:\d+:rmqctl service user:\/nonexistent:\/usr\/sbin\/nologin$/);
    await ensureDirs(t!, [
      { path: layout.configDir, mode: 0o750, owner: 'root', group: 'rmq' },
      ...['broker-a-0', 'namesrv-1'].map((id) => ({ path: `${layout.storeRoot}/${id}`, mode: 0o750, owner: 'rmq', group: 'rmq' })),
      { path: layout.logDir, mode: 0o750, owner: 'rmq', group: 'rmq' },
    ]);
    const st = (p: string) => h.run(`stat -c '%a %U:%G' ${p}`).then((s) => s.trim());
    expect(await st('/etc/rmqctl/c1')).toBe('750 root:rmq');
    expect(await st('/var/lib/rmqctl/c1/broker-a-0')).toBe('750 rmq:rmq');
    expect(await st('/var/lib/rmqctl/c1/namesrv-1')).toBe('750 rmq:rmq');
    expect(await st('/var/log/rmqctl/c1')).toBe('750 rmq:rmq');
  });
});
