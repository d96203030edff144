/**
 * A small state file a server keeps (the broker's topics, consumer offsets, subscription groups,
 * delay offsets; the NameServer's KV config): read once at start — a file that cannot be parsed
 * refuses the start, naming the file, rather than silently losing what it held — and rewritten
 * atomically (util/durable-file.ts). Writes coalesce: a change made while a write runs is written
 * by one more write after it, and every caller's promise resolves once its change is on disk.
 * Owners that batch changes mark the file dirty and let a periodic flush write it.
 */
import fsp from 'node:fs/promises';
import path from 'node:path';
import { InvalidInputError } from '../errors.js';
import { writeFileAtomic } from './durable-file.js';

export class StateFile {
  private writing: Promise<void> | undefined;
  private writeAgain = false;
  private dirty = false;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    readonly file: string,
    /** Produces the file's current content at the moment of writing. */
    private readonly render: () => string,
    private readonly mode = 0o640,
  ) {}

  /**
   * The file's content parsed by `parse`, or undefined when there is none. A parse failure throws
   * InvalidInputError telling the operator how to recover.
   */
  static async read<T>(file: string, parse: (text: string) => T): Promise<T | undefined> {
    let text: string;
    try {
      text = await fsp.readFile(file, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw new InvalidInputError(`cannot read ${file}: ${(e as Error).message}`);
    }
    if (text.trim() === '') return undefined;
    try {
      return parse(text);
    } catch (e) {
      throw new InvalidInputError(`${file} is damaged (${(e as Error).message}); restore it from a backup, or move it away to start without what it held`);
    }
  }

  /** Writes the current content now (see the module comment for coalescing). */
  write(): Promise<void> {
    this.dirty = false;
    if (this.writing !== undefined) {
      this.writeAgain = true;
      return this.writing;
    }
    const run = async (): Promise<void> => {
      do {
        this.writeAgain = false;
        await fsp.mkdir(path.dirname(this.file), { recursive: true, mode: 0o750 });
        await writeFileAtomic(this.file, this.render(), { mode: this.mode });
      } while (this.writeAgain);
    };
    this.writing = run()
      .catch((e: unknown) => {
        this.dirty = true; // the next persist tries again
        throw e;
      })
      .finally(() => {
        this.writing = undefined;
      });
    return this.writing;
  }

  /** Notes a change for the next `persist` (or periodic flush) to write. */
  markDirty(): void {
    this.dirty = true;
  }

  /** Writes the file when something changed since the last write. */
  async persist(): Promise<void> {
    if (this.dirty) await this.write();
  }

  /** Persists every `intervalMs` (the timer does not keep the process alive); failures go to onError and are retried. */
  startPeriodicPersist(intervalMs: number, onError: (e: Error) => void): void {
    this.timer ??= setInterval(() => void this.persist().catch((e: unknown) => onError(e as Error)), intervalMs);
    this.timer.unref();
  }

  /** Stops the periodic flush, writes what changed and waits for every write to finish. */
  async close(): Promise<void> {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
    await this.persist();
    await this.flush();
  }

  /** Resolves when no write is running. */
  async flush(): Promise<void> {
    while (this.writing !== undefined) await this.writing.catch(() => {});
  }
}
