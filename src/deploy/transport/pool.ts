/**
 * One SSH connection per host, opened on first use and reused for every command and file
 * operation of a run; jump hosts are connected once and shared by the hosts behind them.
 */
import { SshConnection, endpointLabel, type SshEndpoint, type SshOptions } from './ssh.js';

export class SshPool {
  private readonly connections = new Map<string, Promise<SshConnection>>();

  constructor(readonly options: SshOptions = {}) {}

  /** The open connection to this endpoint, connecting (through its jump host) if needed. */
  get(ep: SshEndpoint): Promise<SshConnection> {
    const key = `${endpointLabel(ep)}|${(ep.identityFiles ?? []).join(',')}|${ep.jump ? endpointLabel(ep.jump) : ''}`;
    const existing = this.connections.get(key);
    if (existing) {
      // a dropped connection (host rebooted, network blip) is replaced on next use
      return existing.then((c) => (c.isOpen ? c : this.reconnect(key, ep)), () => this.reconnect(key, ep));
    }
    return this.reconnect(key, ep);
  }

  private reconnect(key: string, ep: SshEndpoint): Promise<SshConnection> {
    const p = (async () => {
      const via = ep.jump ? await this.get(ep.jump) : undefined;
      return SshConnection.connect(ep, this.options, via);
    })();
    this.connections.set(key, p);
    // a failed connect is not cached: the next get() tries again
    p.catch(() => {
      if (this.connections.get(key) === p) this.connections.delete(key);
    });
    return p;
  }

  async closeAll(): Promise<void> {
    const all = [...this.connections.values()];
    this.connections.clear();
    // hosts behind a jump host first, then the jump hosts
    const settled = await Promise.allSettled(all);
    const conns = settled.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
    const jumps = new Set(conns.filter((c) => conns.some((o) => o.endpoint.jump && endpointLabel(o.endpoint.jump) === c.label)));
    await Promise.all(conns.filter((c) => !jumps.has(c)).map((c) => c.close()));
    await Promise.all([...jumps].map((c) => c.close()));
  }
}
