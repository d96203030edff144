import fs from 'node:fs';
import fsp from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { createHash } from 'node:crypto';
import { StoreLockedError } from './errors.js';

/**
 * Exclusive ownership of a store directory that the kernel releases when the owner dies, even by
 * kill -9 — without native code. Node has no flock(2), so the lock is a listening socket in Linux's
 * *abstract* Unix-socket namespace, named after the directory's device and inode: bind() is atomic
 * (a second binder gets EADDRINUSE), and the kernel drops the name with the process's last fd.
 * Limits: Linux only; both processes must share a network namespace (containers with their own
 * netns and a shared volume are not protected); the directory is identified by dev/inode, so
 * symlinks and different spellings of the path map to one lock.
 * A `lock` file beside it records the holder (pid, host, time) for humans; it is informational —
 * a stale one after a crash is simply overwritten.
 */
export class StoreLock {
  private constructor(
    private readonly server: net.Server,
    private readonly infoFile: string,
  ) {}

  static async acquire(dir: string): Promise<StoreLock> {
    const st = await fsp.stat(dir);
    const id = createHash('sha256').update(`${st.dev}:${st.ino}`).digest('hex').slice(0, 32);
    const name = `\0rmqctl-store-${id}`;
    const infoFile = path.join(dir, 'lock');
    const server = net.createServer();
    server.unref();
    await new Promise<void>((resolve, reject) => {
      server.once('error', (e: NodeJS.ErrnoException) => {
        if (e.code !== 'EADDRINUSE') return reject(e);
        let holder = 'another process';
        try {
          const info = JSON.parse(fs.readFileSync(infoFile, 'utf8')) as { pid?: number; host?: string; since?: string };
          holder = `pid ${info.pid} on ${info.host} (since ${info.since})`;
        } catch {
          // no or unreadable info file: keep the generic wording
        }
        reject(new StoreLockedError(`store ${dir} is in use by ${holder}; a second broker on the same store path is refused`));
      });
      server.listen({ path: name }, () => resolve());
    });
    await fsp.writeFile(infoFile, `${JSON.stringify({ pid: process.pid, host: os.hostname(), since: new Date().toISOString() })}\n`, { mode: 0o640 });
    return new StoreLock(server, infoFile);
  }

  async release(): Promise<void> {
    await fsp.rm(this.infoFile, { force: true });
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
