import { close } from '../../util/durable-file.js';

/**
 * A file descriptor that reads and writes can be in flight on while retention deletes its file:
 * close() waits for the last user, so an fd number is never closed under a pending pread/pwrite
 * (and so never reused for another file while an operation still targets it).
 */
export class SharedFd {
  private users = 0;
  private closing: (() => void) | undefined;
  private closed: Promise<void> | undefined;

  constructor(readonly fd: number) {}

  async use<T>(op: (fd: number) => Promise<T>): Promise<T> {
    if (this.closed) throw new Error('file already closed');
    this.users++;
    try {
      return await op(this.fd);
    } finally {
      if (--this.users === 0 && this.closing) this.closing();
    }
  }

  /** `use` for a synchronous operation (nothing else runs meanwhile, so no close can overtake it). */
  useSync<T>(op: (fd: number) => T): T {
    if (this.closed) throw new Error('file already closed');
    return op(this.fd);
  }

  close(): Promise<void> {
    this.closed ??= (async () => {
      if (this.users > 0) await new Promise<void>((r) => (this.closing = r));
      await close(this.fd);
    })();
    return this.closed;
  }
}
