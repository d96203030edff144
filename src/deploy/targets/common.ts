/** Behaviour both targets share, written once over a few primitives each target provides. */
import path from 'node:path';
import { RmqError } from '../../errors.js';
import { TargetCommandError, type ExecOptions, type ExecResult, type Ownership, type RemoteStat, type Target } from './target.js';

export interface Primitives {
  exec(argv: readonly string[], opts?: ExecOptions): Promise<ExecResult>;
  stream(argv: readonly string[], write: (chunk: string) => void, signal: AbortSignal): Promise<void>;
  writeFileAtomic(p: string, data: Buffer, attrs: { mode: number; uid?: number; gid?: number }): Promise<void>;
  readFile(p: string): Promise<Buffer | undefined>;
  stat(p: string): Promise<RemoteStat | undefined>;
  lstat(p: string): Promise<RemoteStat | undefined>;
  readdir(p: string): Promise<string[] | undefined>;
  mkdir(p: string, mode: number): Promise<void>;
  setattr(p: string, attrs: { mode?: number; uid?: number; gid?: number }): Promise<void>;
  readlink(p: string): Promise<string | undefined>;
  symlink(target: string, linkPath: string): Promise<void>;
  rename(from: string, to: string): Promise<void>;
  unlink(p: string): Promise<void>;
  freeBytes(p: string): Promise<number>;
  close(): Promise<void>;
}

export abstract class BaseTarget implements Target {
  private readonly ids = new Map<string, number>();

  protected constructor(
    readonly name: string,
    readonly kind: 'ssh' | 'local',
    protected readonly io: Primitives,
  ) {}

  exec(argv: readonly string[], opts?: ExecOptions): Promise<ExecResult> {
    return this.io.exec(argv, opts);
  }

  stream(argv: readonly string[], write: (chunk: string) => void, signal: AbortSignal): Promise<void> {
    return this.io.stream(argv, write, signal);
  }

  async run(argv: readonly string[], opts?: ExecOptions): Promise<string> {
    const r = await this.io.exec(argv, opts);
    if (r.code !== 0 || r.signal) throw new TargetCommandError(this.name, argv, r);
    return r.stdout;
  }

  /** uid/gid of a user or group name on this host (getent, cached per target). */
  protected async idOf(db: 'passwd' | 'group', name: string): Promise<number> {
    const key = `${db}:${name}`;
    const cached = this.ids.get(key);
    if (cached !== undefined) return cached;
    const r = await this.io.exec(['getent', db, name]);
    const id = Number(r.stdout.split(':')[2]);
    if (r.code !== 0 || !Number.isInteger(id)) throw new RmqError(`${this.name}: no ${db === 'passwd' ? 'user' : 'group'} named ${name}`);
    this.ids.set(key, id);
    return id;
  }

  private async owners(own: Ownership | undefined): Promise<{ uid?: number; gid?: number }> {
    return {
      ...(own?.owner ? { uid: await this.idOf('passwd', own.owner) } : {}),
      ...(own?.group ? { gid: await this.idOf('group', own.group) } : {}),
    };
  }

  async writeFileAtomic(p: string, data: string | Buffer, own?: Ownership): Promise<void> {
    const ids = await this.owners(own);
    await this.io.writeFileAtomic(p, typeof data === 'string' ? Buffer.from(data) : data, { mode: own?.mode ?? 0o644, ...ids });
  }

  readFile(p: string): Promise<Buffer | undefined> {
    return this.io.readFile(p);
  }

  stat(p: string): Promise<RemoteStat | undefined> {
    return this.io.stat(p);
  }

  lstat(p: string): Promise<RemoteStat | undefined> {
    return this.io.lstat(p);
  }

  readdir(p: string): Promise<string[] | undefined> {
    return this.io.readdir(p);
  }

  readlink(p: string): Promise<string | undefined> {
    return this.io.readlink(p);
  }

  async mkdirp(p: string, own?: Ownership): Promise<void> {
    const missing: string[] = [];
    for (let dir = path.posix.resolve(p); ; dir = path.posix.dirname(dir)) {
      const st = await this.io.stat(dir);
      if (st) {
        if (st.type !== 'dir') throw new RmqError(`${this.name}: ${dir} exists and is not a directory`);
        break;
      }
      missing.unshift(dir);
      if (dir === '/') break;
    }
    for (const dir of missing) {
      try {
        await this.io.mkdir(dir, 0o755);
      } catch (e) {
        // created meanwhile by a parallel step: fine
        if ((await this.io.stat(dir))?.type !== 'dir') throw e;
      }
    }
    // an existing directory keeps its mode and owner unless asked for
    if (own === undefined && missing.length === 0) return;
    const ids = await this.owners(own);
    await this.io.setattr(p, { mode: own?.mode ?? 0o755, ...ids });
  }

  async switchSymlink(linkPath: string, target: string): Promise<void> {
    const tmp = path.posix.join(path.posix.dirname(linkPath), `.${path.posix.basename(linkPath)}.rmqctl-${process.pid}-${Date.now().toString(36)}`);
    await this.io.symlink(target, tmp);
    try {
      await this.io.rename(tmp, linkPath);
    } catch (e) {
      await this.io.unlink(tmp).catch(() => {});
      throw e;
    }
  }

  async remove(p: string, opts: { recursive?: boolean } = {}): Promise<void> {
    if (opts.recursive) {
      await this.run(['rm', '-rf', '--', p]);
      return;
    }
    const st = await this.io.lstat(p);
    if (!st) return;
    if (st.type === 'dir') await this.run(['rmdir', '--', p]);
    else await this.io.unlink(p);
  }

  async freeBytes(p: string): Promise<number> {
    for (let dir = path.posix.resolve(p); ; dir = path.posix.dirname(dir)) {
      if (await this.io.stat(dir)) return this.io.freeBytes(dir);
      if (dir === '/') throw new RmqError(`${this.name}: cannot find a file system for ${p}`);
    }
  }

  close(): Promise<void> {
    return this.io.close();
  }
}
