/** A remote host over SSH: commands through the connection's exec (argv quoted by shell.ts), files over SFTP. */
import type { SshPool } from '../transport/pool.js';
import { shJoin } from '../transport/shell.js';
import type { SshConnection, SshEndpoint } from '../transport/ssh.js';
import { BaseTarget } from './common.js';

export class SshTarget extends BaseTarget {
  private constructor(name: string, readonly connection: SshConnection) {
    const c = connection;
    super(name, 'ssh', {
      exec: (argv, opts) => c.exec(shJoin(argv), opts),
      stream: (argv, write, signal) => c.stream(shJoin(argv), write, signal),
      writeFileAtomic: (p, data, attrs) => c.writeFileAtomic(p, data, attrs),
      readFile: (p) => c.readFile(p),
      stat: (p) => c.stat(p),
      lstat: (p) => c.lstat(p),
      readdir: (p) => c.readdir(p),
      mkdir: (p, mode) => c.mkdir(p, mode),
      setattr: (p, attrs) => c.setattr(p, attrs),
      readlink: (p) => c.readlink(p),
      symlink: (target, link) => c.symlink(target, link),
      rename: (from, to) => c.rename(from, to),
      unlink: (p) => c.unlink(p),
      freeBytes: (p) => c.freeBytes(p),
      // the pool owns the connection (shared by every target of a run)
      close: async () => {},
    });
  }

  /** The target for one host, on the pool's (shared, reused) connection. */
  static async open(name: string, endpoint: SshEndpoint, pool: SshPool): Promise<SshTarget> {
    return new SshTarget(name, await pool.get(endpoint));
  }
}
