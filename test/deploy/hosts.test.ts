import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { testHosts } from '../support/hosts.js';

// The harness itself: hosts are real (own systemd, own network address, own filesystem).
const lab = testHosts({ count: 2, mode: 'nspawn' });

describe.skipIf(lab.skipReason)('test hosts (nspawn)', () => {
  it('each host is its own machine with systemd running, reachable over the bridge', async () => {
    const [a, b] = lab.hosts;
    expect(await a!.run('hostname')).toBe(`${a!.name}\n`);
    expect((await b!.run('ip -o -4 addr show dev eth0')).includes(b!.address)).toBe(true);
    expect((await a!.run('systemctl is-system-running || true')).trim()).toMatch(/^(running|degraded)$/);
    // hosts see each other
    expect((await a!.exec(`getent hosts ${b!.address} >/dev/null; timeout 5 bash -c 'echo > /dev/tcp/${b!.address}/22'`)).code).toBe(0);
  });

  it('node is on the PATH, read-only', async () => {
    const [a] = lab.hosts;
    expect((await a!.run('node --version')).trim()).toBe(process.version);
    expect((await a!.exec('touch /usr/local/bin/node')).code).not.toBe(0);
  });

  it('a file written on one host is not on the other', async () => {
    const [a, b] = lab.hosts;
    await a!.run('echo hi > /root/only-here');
    expect((await b!.exec('test -e /root/only-here')).code).toBe(1);
    expect(existsSync('/root/only-here')).toBe(false);
  });
});
