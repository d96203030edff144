/**
 * One SSH connection to one host (ssh2): authentication, host-key verification against OpenSSH
 * known_hosts, exec with output/exit code/timeout, and file operations over SFTP (no shell, so
 * file names and contents never meet a shell parser).
 */
import { appendFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
// ssh2 is CommonJS: Node's ESM loader cannot see its named exports when the CLI bundle keeps it external
import ssh2 from 'ssh2';
import type { ClientChannel, ConnectConfig, SFTPWrapper, Stats } from 'ssh2';
import { InvalidInputError } from '../../errors.js';
import { SshError } from './errors.js';
import { fingerprint, formatKnownHost, hostKeyName, keyTypeOf, knownKeyTypes, parseKnownHosts, verifyHostKey, type HostKeyVerdict } from './known-hosts.js';
import { Semaphore } from '../../util/concurrency.js';

const { Client, utils } = ssh2;
type Client = InstanceType<typeof Client>;
import { shJoin } from './shell.js';
import { setTimeout as sleep } from 'node:timers/promises';

export interface SshEndpoint {
  host: string;
  port?: number;
  user: string;
  /** Private key file(s); default: the agent, then ~/.ssh/id_ed25519, id_ecdsa, id_rsa. */
  identityFiles?: string[];
  /** Reach this host through another one (ssh -J): a TCP forward over the jump host's connection. */
  jump?: SshEndpoint;
  /** This host's known_hosts file (overrides the pool-wide option). */
  knownHostsFile?: string;
}

/** Asks the operator for a secret (password, key passphrase) — a hidden prompt; never a flag. */
export type SecretPrompt = (question: { host: string; kind: 'password' | 'passphrase'; prompt: string }) => Promise<string>;

export interface SshOptions {
  knownHostsFile?: string;
  /** Record unknown host keys instead of refusing them (a changed key is always refused). */
  acceptNewHostKeys?: boolean;
  /** Told of every host key acceptNewHostKeys records (so the operator sees what was trusted). */
  onHostKeyRecorded?: (k: RecordedHostKey) => void;
  /** ssh-agent socket; default $SSH_AUTH_SOCK; false disables the agent. */
  agent?: string | false;
  prompt?: SecretPrompt;
  /** Handshake + authentication deadline (ms). */
  connectTimeoutMs?: number;
  /** Channels open at once on this connection (sshd's MaxSessions defaults to 10). */
  maxChannels?: number;
}

/** A host key recorded in known_hosts by acceptNewHostKeys. */
export interface RecordedHostKey {
  /** `user@host:port`. */
  endpoint: string;
  /** The known_hosts name (`host`, or `[host]:port`). */
  host: string;
  keyType: string;
  /** `SHA256:…`, as ssh-keygen -lf prints it. */
  fingerprint: string;
  file: string;
}

export interface ExecOptions {
  input?: string | Buffer;
  timeoutMs?: number;
}

export interface ExecResult {
  code: number;
  signal?: string;
  stdout: string;
  stderr: string;
}

export interface RemoteStat {
  type: 'file' | 'dir' | 'symlink' | 'other';
  /** Permission bits (e.g. 0o640). */
  mode: number;
  uid: number;
  gid: number;
  size: number;
  mtimeMs: number;
}

export const endpointLabel = (e: SshEndpoint) => `${e.user}@${e.host}:${e.port ?? 22}`;

const HOST_KEY_ALGORITHMS: Record<string, string[]> = {
  'ssh-ed25519': ['ssh-ed25519'],
  'ecdsa-sha2-nistp256': ['ecdsa-sha2-nistp256'],
  'ecdsa-sha2-nistp384': ['ecdsa-sha2-nistp384'],
  'ecdsa-sha2-nistp521': ['ecdsa-sha2-nistp521'],
  'ssh-rsa': ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'],
};
const DEFAULT_HOST_KEY_ORDER = Object.keys(HOST_KEY_ALGORITHMS);

/** Host-key algorithms with the types already known for the host first, as OpenSSH orders them. */
function hostKeyAlgorithms(known: string[]): string[] {
  const order = [...known.filter((t) => HOST_KEY_ALGORITHMS[t]), ...DEFAULT_HOST_KEY_ORDER.filter((t) => !known.includes(t))];
  return order.flatMap((t) => HOST_KEY_ALGORITHMS[t] ?? []);
}

export const defaultKnownHostsFile = () => path.join(os.homedir(), '.ssh', 'known_hosts');
const DEFAULT_IDENTITIES = ['id_ed25519', 'id_ecdsa', 'id_rsa'];

type AuthStep =
  | { type: 'publickey'; file: string; key: Buffer | string; passphrase?: string }
  | { type: 'agent'; agent: string }
  | { type: 'password' }
  | { type: 'keyboard-interactive' };

function readIdentity(label: string, file: string): Buffer {
  try {
    return readFileSync(file);
  } catch (e) {
    throw new InvalidInputError(`${label}: cannot read identity file ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}

async function authPlan(ep: SshEndpoint, opts: SshOptions): Promise<AuthStep[]> {
  const steps: AuthStep[] = [];
  const label = endpointLabel(ep);
  const addKey = async (file: string, explicit: boolean) => {
    const key = readIdentity(label, file);
    let parsed = utils.parseKey(key);
    if (parsed instanceof Error && /encrypt|passphrase/i.test(parsed.message)) {
      if (!opts.prompt) {
        if (explicit) throw new InvalidInputError(`${label}: identity file ${file} is encrypted: load it into ssh-agent, or run interactively to be asked for its passphrase`);
        return;
      }
      const passphrase = await opts.prompt({ host: label, kind: 'passphrase', prompt: `Passphrase for ${file}:` });
      parsed = utils.parseKey(key, passphrase);
      if (parsed instanceof Error) throw new InvalidInputError(`${label}: identity file ${file}: ${parsed.message}`);
      steps.push({ type: 'publickey', file, key, passphrase });
      return;
    }
    if (parsed instanceof Error) {
      if (explicit) throw new InvalidInputError(`${label}: identity file ${file} is not a private key ssh can use: ${parsed.message}`);
      return;
    }
    steps.push({ type: 'publickey', file, key });
  };
  for (const f of ep.identityFiles ?? []) await addKey(f, true);
  const agent = opts.agent === false ? undefined : (opts.agent ?? process.env.SSH_AUTH_SOCK);
  if (agent) steps.push({ type: 'agent', agent });
  if (!ep.identityFiles?.length) {
    for (const name of DEFAULT_IDENTITIES) {
      const f = path.join(os.homedir(), '.ssh', name);
      if (existsSync(f)) await addKey(f, false);
    }
  }
  if (opts.prompt) steps.push({ type: 'keyboard-interactive' }, { type: 'password' });
  return steps;
}

function describeAuth(steps: AuthStep[]): string {
  if (steps.length === 0) return 'no identity file, no ssh-agent, no password prompt';
  return steps.map((s) => (s.type === 'publickey' ? `key ${s.file}` : s.type === 'agent' ? 'ssh-agent' : s.type)).join(', ');
}

function hostKeyMessage(verdict: HostKeyVerdict, presented: Buffer, host: string, port: number, file: string): string {
  const fp = `${fingerprint(presented)} (${keyTypeOf(presented)})`;
  const forget = `ssh-keygen -f ${file} -R ${port === 22 ? host : `'[${host}]:${port}'`}`;
  switch (verdict.kind) {
    case 'unknown':
      return `unknown host key ${fp}; not in ${file}. Check the fingerprint on the host (ssh-keygen -lf /etc/ssh/ssh_host_${keyTypeOf(presented).replace(/^ssh-|-sha2.*$/g, '')}_key.pub), then rerun with --accept-new-host-keys to record it`;
    case 'changed':
      return `HOST KEY CHANGED: the host presented ${fp}, but ${file} has ${verdict.known.map((e) => `${fingerprint(e.key)} (${e.keyType}, line ${e.line})`).join(', ')}. Someone may be intercepting the connection, or the host was reinstalled; if you know why, remove the old entry (${forget}) and connect again`;
    case 'revoked':
      return `host key ${fp} is marked @revoked in ${file} (line ${verdict.entry.line}); refusing to connect`;
    case 'match':
      return 'host key ok';
  }
}

function sftpError(host: string, op: string, p: string, e: unknown): SshError {
  const err = e as { code?: number; message?: string };
  const why = err.code === 2 ? 'no such file or directory' : err.code === 3 ? 'permission denied' : (err.message ?? String(e));
  return new SshError(host, 'sftp', `${op} ${p}: ${why}`, { cause: e });
}

const isNoSuchFile = (e: unknown) => (e as { code?: number }).code === 2;

function typeOf(s: Stats): RemoteStat['type'] {
  return s.isFile() ? 'file' : s.isDirectory() ? 'dir' : s.isSymbolicLink() ? 'symlink' : 'other';
}

export class SshConnection {
  private sftpSession: Promise<SFTPWrapper> | undefined;
  private readonly channels: Semaphore;
  private closed = false;
  private lastError: Error | undefined;

  private constructor(
    readonly endpoint: SshEndpoint,
    readonly label: string,
    private readonly client: Client,
    maxChannels: number,
  ) {
    // one channel of the budget is kept for the SFTP session
    this.channels = new Semaphore(Math.max(1, maxChannels - 1));
    client.on('close', () => (this.closed = true));
    client.on('error', (e) => (this.lastError = e));
  }

  /** Connects and authenticates; `via` is an open connection to tunnel through (jump host). */
  static async connect(ep: SshEndpoint, opts: SshOptions = {}, via?: SshConnection): Promise<SshConnection> {
    const label = endpointLabel(ep);
    const port = ep.port ?? 22;
    const knownHostsFile = ep.knownHostsFile ?? opts.knownHostsFile ?? defaultKnownHostsFile();
    const knownText = existsSync(knownHostsFile) ? readFileSync(knownHostsFile, 'utf8') : '';
    const known = parseKnownHosts(knownText);
    const steps = await authPlan(ep, opts);
    const tried: AuthStep[] = [];

    let sock: ClientChannel | undefined;
    if (via) sock = await via.forward(ep.host, port);

    const client = new Client();
    let hostKeyProblem: SshError | undefined;
    const config: ConnectConfig = {
      host: ep.host,
      port,
      username: ep.user,
      ...(sock ? { sock } : {}),
      readyTimeout: opts.connectTimeoutMs ?? 15_000,
      keepaliveInterval: 15_000,
      keepaliveCountMax: 4,
      algorithms: { serverHostKey: hostKeyAlgorithms(knownKeyTypes(known, ep.host, port)) as never },
      hostVerifier: (key: Buffer) => {
        const verdict = verifyHostKey(known, ep.host, port, key);
        if (verdict.kind === 'match') return true;
        if (verdict.kind === 'unknown' && opts.acceptNewHostKeys) {
          mkdirSync(path.dirname(knownHostsFile), { recursive: true, mode: 0o700 });
          const sep = knownText !== '' && !knownText.endsWith('\n') ? '\n' : '';
          appendFileSync(knownHostsFile, `${sep}${formatKnownHost(ep.host, port, key)}\n`, { mode: 0o600 });
          opts.onHostKeyRecorded?.({ endpoint: label, host: hostKeyName(ep.host, port), keyType: keyTypeOf(key), fingerprint: fingerprint(key), file: knownHostsFile });
          return true;
        }
        const failure = verdict.kind === 'unknown' ? 'host-key-unknown' : verdict.kind === 'changed' ? 'host-key-changed' : 'host-key-revoked';
        hostKeyProblem = new SshError(label, failure, hostKeyMessage(verdict, key, ep.host, port, knownHostsFile));
        return false;
      },
      authHandler: ((methodsLeft: string[] | null, _partial: boolean | null, next: (m: unknown) => void) => {
        const allowed = (t: string) => methodsLeft === null || methodsLeft.includes(t === 'agent' ? 'publickey' : t);
        const take = (): AuthStep | undefined => {
          while (steps.length) {
            const s = steps.shift()!;
            if (allowed(s.type)) return s;
          }
          return undefined;
        };
        const s = take();
        if (!s) return next(false);
        tried.push(s);
        switch (s.type) {
          case 'publickey':
            return next({ type: 'publickey', username: ep.user, key: s.key, ...(s.passphrase ? { passphrase: s.passphrase } : {}) });
          case 'agent':
            return next({ type: 'agent', username: ep.user, agent: s.agent });
          case 'password':
            void opts.prompt!({ host: label, kind: 'password', prompt: `Password for ${label}:` }).then(
              (password) => next({ type: 'password', username: ep.user, password }),
              () => next(false),
            );
            return;
          case 'keyboard-interactive':
            return next({
              type: 'keyboard-interactive',
              username: ep.user,
              prompt: (_name: string, _instr: string, _lang: string, prompts: { prompt: string; echo?: boolean }[], finish: (answers: string[]) => void) => {
                void Promise.all(prompts.map((p) => opts.prompt!({ host: label, kind: 'password', prompt: p.prompt.trim() || `Password for ${label}:` }))).then(finish, () => finish([]));
              },
            });
        }
      }) as never,
    };

    await new Promise<void>((resolve, reject) => {
      const fail = (e: Error & { level?: string; code?: string }) => {
        client.removeAllListeners('ready');
        client.end();
        if (hostKeyProblem) return reject(hostKeyProblem);
        reject(classifyConnectError(label, e, tried, via));
      };
      client.once('ready', () => {
        client.removeListener('error', fail);
        resolve();
      });
      client.once('error', fail);
      client.connect(config);
    });
    return new SshConnection(ep, label, client, opts.maxChannels ?? 6);
  }

  /** A TCP stream to host:port opened from this host (for jump hosts). */
  forward(host: string, port: number): Promise<ClientChannel> {
    return new Promise((resolve, reject) => {
      this.client.forwardOut('127.0.0.1', 0, host, port, (err, stream) => {
        if (err) reject(new SshError(`${this.label} → ${host}:${port}`, 'unreachable', `jump host could not open a connection: ${err.message}`, { cause: err }));
        else resolve(stream);
      });
    });
  }

  get isOpen(): boolean {
    return !this.closed;
  }

  /**
   * Runs a command line (already quoted by shell.ts) and collects its output and exit status.
   * With a timeout the remote side enforces it (coreutils `timeout`, then SIGKILL), since sshd keeps
   * a channel open until its command exits; a local deadline a little later covers a dead link.
   */
  async exec(command: string, opts: ExecOptions = {}): Promise<ExecResult> {
    this.assertOpen();
    const timeoutMs = opts.timeoutMs;
    const line = timeoutMs ? shJoin(['timeout', '--kill-after=2', `${Math.max(0.1, timeoutMs / 1000)}`, 'sh', '-c', command]) : command;
    const timedOut = () => new SshError(this.label, 'command-timeout', `command timed out after ${timeoutMs} ms: ${command.slice(0, 200)}`);
    return this.channels.run(async () => {
      // sshd refuses a session while it is still reaping a just-closed one (MaxSessions):
      // a channel-open failure is retried briefly before it counts
      for (let attempt = 0; ; attempt++) {
        try {
          return await this.execOnce(line, command, timeoutMs, timedOut, opts.input);
        } catch (e) {
          if (!(e instanceof ChannelOpenError) || attempt >= 6) throw e instanceof ChannelOpenError ? e.toSshError(this.label) : e;
          await sleep(25 * 2 ** attempt);
        }
      }
    });
  }

  private execOnce(line: string, command: string, timeoutMs: number | undefined, timedOut: () => SshError, input: string | Buffer | undefined): Promise<ExecResult> {
    return new Promise<ExecResult>((resolve, reject) => {
      this.client.exec(line, (err, stream) => {
        if (err) return reject(/open failed|Channel open failure/i.test(err.message) ? new ChannelOpenError(err) : new SshError(this.label, 'protocol', `cannot run a command: ${err.message}`, { cause: err }));
        const out: Buffer[] = [];
        const errOut: Buffer[] = [];
        let code: number | undefined;
        let signal: string | undefined;
        let settled = false;
        const timer = timeoutMs
          ? setTimeout(() => {
              settled = true;
              stream.close();
              reject(timedOut());
            }, timeoutMs + 5_000)
          : undefined;
        stream.on('data', (d: Buffer) => out.push(d));
        stream.stderr.on('data', (d: Buffer) => errOut.push(d));
        stream.on('exit', (c: number | null, sig?: string) => {
          if (typeof c === 'number') code = c;
          if (sig) signal = sig;
        });
        stream.on('close', () => {
          clearTimeout(timer);
          if (settled) return;
          const stdout = Buffer.concat(out).toString('utf8');
          const stderr = Buffer.concat(errOut).toString('utf8');
          // timeout(1) exits 124 on its deadline, 137 if it had to SIGKILL
          if (timeoutMs && (code === 124 || code === 137)) return reject(timedOut());
          if (code === undefined && signal === undefined) {
            return reject(new SshError(this.label, 'closed', `connection lost while running: ${command.slice(0, 200)}`, { cause: this.lastError }));
          }
          resolve({ code: code ?? 128, ...(signal ? { signal } : {}), stdout, stderr });
        });
        stream.end(input ?? '');
      });
    });
  }

  /** Runs a command line, passing its output to write as it arrives, until it exits or signal aborts. */
  async stream(command: string, write: (chunk: string) => void, signal: AbortSignal): Promise<void> {
    this.assertOpen();
    await new Promise<void>((resolve, reject) => {
      this.client.exec(command, (err, stream) => {
        if (err) return reject(new SshError(this.label, 'protocol', `cannot run a command: ${err.message}`, { cause: err }));
        const stop = () => {
          stream.signal('TERM');
          stream.close();
        };
        if (signal.aborted) stop();
        else signal.addEventListener('abort', stop, { once: true });
        stream.on('data', (d: Buffer) => write(d.toString('utf8')));
        stream.stderr.on('data', (d: Buffer) => write(d.toString('utf8')));
        stream.on('close', () => {
          signal.removeEventListener('abort', stop);
          resolve();
        });
        stream.end();
      });
    });
  }

  private sftp(): Promise<SFTPWrapper> {
    this.assertOpen();
    this.sftpSession ??= new Promise<SFTPWrapper>((resolve, reject) => {
      this.client.sftp((err, sftp) => {
        if (err) {
          this.sftpSession = undefined;
          return reject(new SshError(this.label, 'sftp', `cannot start SFTP (is the sftp subsystem enabled in sshd?): ${err.message}`, { cause: err }));
        }
        sftp.on('close', () => (this.sftpSession = undefined));
        resolve(sftp);
      });
    });
    return this.sftpSession;
  }

  private async call<T>(op: string, p: string, fn: (sftp: SFTPWrapper, cb: (err: Error | null | undefined, v?: T) => void) => void): Promise<T> {
    const sftp = await this.sftp();
    return new Promise<T>((resolve, reject) => {
      fn(sftp, (err, v) => (err ? reject(sftpError(this.label, op, p, err)) : resolve(v as T)));
    });
  }

  /** File contents, or undefined when the file does not exist. Reads to EOF (works for /proc files). */
  async readFile(p: string): Promise<Buffer | undefined> {
    const sftp = await this.sftp();
    let handle: Buffer;
    try {
      handle = await new Promise<Buffer>((res, rej) => sftp.open(p, 'r', (e, h) => (e ? rej(e) : res(h))));
    } catch (e) {
      if (isNoSuchFile(e)) return undefined;
      throw sftpError(this.label, 'read', p, e);
    }
    const chunks: Buffer[] = [];
    let pos = 0;
    try {
      for (;;) {
        const buf = Buffer.alloc(32 * 1024);
        const n = await new Promise<number>((res, rej) =>
          sftp.read(handle, buf, 0, buf.length, pos, (e, bytes) => {
            if (e && (e as { code?: number }).code === 1) return res(0); // EOF
            if (e) return rej(e);
            res(bytes);
          }),
        );
        if (n === 0) break;
        chunks.push(buf.subarray(0, n));
        pos += n;
      }
    } catch (e) {
      throw sftpError(this.label, 'read', p, e);
    } finally {
      await new Promise<void>((res) => sftp.close(handle, () => res()));
    }
    return Buffer.concat(chunks);
  }

  /**
   * Writes a file so that readers see the old content or the new, never a part: a temp file in the
   * same directory, written, fsync'd, given its mode and owner, then renamed over the target
   * (posix-rename@openssh.com, which replaces atomically).
   */
  async writeFileAtomic(p: string, data: string | Buffer, attrs: { mode?: number; uid?: number; gid?: number } = {}): Promise<void> {
    const sftp = await this.sftp();
    const body = typeof data === 'string' ? Buffer.from(data) : data;
    const tmp = path.posix.join(path.posix.dirname(p), `.${path.posix.basename(p)}.rmqctl-${randomBytes(6).toString('hex')}.tmp`);
    const mode = attrs.mode ?? 0o644;
    let handle: Buffer | undefined;
    try {
      handle = await new Promise<Buffer>((res, rej) => sftp.open(tmp, 'wx', { mode }, (e, h) => (e ? rej(e) : res(h))));
      for (let off = 0; off < body.length; ) {
        const len = Math.min(64 * 1024, body.length - off);
        await new Promise<void>((res, rej) => sftp.write(handle!, body, off, len, off, (e) => (e ? rej(e) : res())));
        off += len;
      }
      if (attrs.uid !== undefined || attrs.gid !== undefined) {
        await new Promise<void>((res, rej) => sftp.fchown(handle!, attrs.uid ?? -1, attrs.gid ?? -1, (e) => (e ? rej(e) : res())));
      }
      // after chown: chown may clear set-id bits, and open's mode went through the umask
      await new Promise<void>((res, rej) => sftp.fchmod(handle!, mode, (e) => (e ? rej(e) : res())));
      await new Promise<void>((res, rej) => sftp.ext_openssh_fsync(handle!, (e) => (e ? rej(e) : res())));
      const h = handle;
      handle = undefined;
      await new Promise<void>((res, rej) => sftp.close(h, (e) => (e ? rej(e) : res())));
      await new Promise<void>((res, rej) => sftp.ext_openssh_rename(tmp, p, (e) => (e ? rej(e) : res())));
    } catch (e) {
      if (handle) await new Promise<void>((res) => sftp.close(handle!, () => res()));
      await new Promise<void>((res) => sftp.unlink(tmp, () => res()));
      throw sftpError(this.label, 'write', p, e);
    }
  }

  /** lstat (does not follow symlinks); undefined when missing. */
  async lstat(p: string): Promise<RemoteStat | undefined> {
    return this.statWith('lstat', p);
  }

  /** stat (follows symlinks); undefined when missing. */
  async stat(p: string): Promise<RemoteStat | undefined> {
    return this.statWith('stat', p);
  }

  private async statWith(op: 'stat' | 'lstat', p: string): Promise<RemoteStat | undefined> {
    const sftp = await this.sftp();
    return new Promise((resolve, reject) => {
      sftp[op](p, (e, s) => {
        if (e) return isNoSuchFile(e) ? resolve(undefined) : reject(sftpError(this.label, op, p, e));
        resolve({ type: typeOf(s), mode: s.mode & 0o7777, uid: s.uid, gid: s.gid, size: s.size, mtimeMs: s.mtime * 1000 });
      });
    });
  }

  /** Entry names of a directory (without . and ..), or undefined when it does not exist. */
  async readdir(p: string): Promise<string[] | undefined> {
    const sftp = await this.sftp();
    return new Promise((resolve, reject) => {
      sftp.readdir(p, (e, list) => {
        if (e) return isNoSuchFile(e) ? resolve(undefined) : reject(sftpError(this.label, 'list', p, e));
        resolve(list.map((f) => f.filename).filter((n) => n !== '.' && n !== '..').sort());
      });
    });
  }

  mkdir(p: string, mode = 0o755): Promise<void> {
    return this.call('mkdir', p, (s, cb) => s.mkdir(p, { mode }, cb));
  }

  async readlink(p: string): Promise<string | undefined> {
    try {
      return await this.call<string>('readlink', p, (s, cb) => s.readlink(p, cb));
    } catch (e) {
      if (isNoSuchFile((e as SshError).cause)) return undefined;
      throw e;
    }
  }

  symlink(target: string, linkPath: string): Promise<void> {
    return this.call('symlink', linkPath, (s, cb) => s.symlink(target, linkPath, cb));
  }

  /** rename that replaces an existing target atomically (posix-rename@openssh.com). */
  rename(from: string, to: string): Promise<void> {
    return this.call('rename', from, (s, cb) => s.ext_openssh_rename(from, to, cb));
  }

  setattr(p: string, attrs: { mode?: number; uid?: number; gid?: number }): Promise<void> {
    return this.call('setattr', p, (s, cb) => s.setstat(p, attrs, cb));
  }

  unlink(p: string): Promise<void> {
    return this.call('unlink', p, (s, cb) => s.unlink(p, cb));
  }

  rmdir(p: string): Promise<void> {
    return this.call('rmdir', p, (s, cb) => s.rmdir(p, cb));
  }

  /** Free bytes for unprivileged users on the file system holding p (statvfs@openssh.com). */
  async freeBytes(p: string): Promise<number> {
    const st = await this.call<{ f_bavail: number | bigint; f_frsize: number | bigint }>('statvfs', p, (s, cb) => s.ext_openssh_statvfs(p, cb as never));
    return Number(st.f_bavail) * Number(st.f_frsize);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    await new Promise<void>((resolve) => {
      this.client.once('close', () => resolve());
      this.client.end();
    });
  }

  private assertOpen(): void {
    if (this.closed) throw new SshError(this.label, 'closed', 'connection is closed', { cause: this.lastError });
  }
}

class ChannelOpenError extends Error {
  constructor(readonly original: Error) {
    super(original.message);
  }
  toSshError(label: string): SshError {
    return new SshError(label, 'protocol', `cannot run a command: ${this.original.message}`, { cause: this.original });
  }
}

function classifyConnectError(label: string, e: Error & { level?: string; code?: string }, tried: AuthStep[], via?: SshConnection): SshError {
  const through = via ? ` (through jump host ${via.label})` : '';
  if (e.level === 'client-authentication') {
    return new SshError(label, 'auth', `authentication failed${through}; tried ${describeAuth(tried)}. Check the user and that the key is in the host's authorized_keys`, { cause: e });
  }
  if (e.level === 'client-timeout') {
    return new SshError(label, 'timeout', `no SSH handshake within the connect timeout${through}; is the host up and sshd listening?`, { cause: e });
  }
  switch (e.code) {
    case 'ECONNREFUSED':
      return new SshError(label, 'unreachable', `connection refused${through}: sshd is not running or not listening on that port`, { cause: e });
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return new SshError(label, 'unreachable', `host unreachable${through} (${e.code})`, { cause: e });
    case 'ETIMEDOUT':
      return new SshError(label, 'timeout', `connection timed out${through}`, { cause: e });
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return new SshError(label, 'unreachable', `cannot resolve the host name (${e.code})`, { cause: e });
    case 'ECONNRESET':
      return new SshError(label, 'unreachable', `connection reset during the SSH handshake${through}`, { cause: e });
  }
  return new SshError(label, 'protocol', `SSH connection failed${through}: ${e.message}`, { cause: e });
}
