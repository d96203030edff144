/**
 * One of the broker's `config/*.json` files (consumer offsets, subscription groups, delay
 * offsets): read once at start — a file that cannot be parsed refuses the start, naming the file,
 * rather than silently losing what it held — and rewritten atomically (temp file, fsync, rename,
 * fsync of the directory). Writes coalesce: a change made while a write runs is written by one
 * more write after it, and every caller's promise resolves once its change is on disk.
 */
import fsp from 'node:fs/promises';
import path from 'node:path';
import { InvalidInputError } from '../errors.js';
import { writeFileAtomic } from './store/files.js';

export class ConfigFile {
  private writing: Promise<void> | undefined;
  private writeAgain = false;

  constructor(
    readonly file: string,
    /** Produces the file's current content at the moment of writing. */
    private readonly render: () => string,
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

  /** Writes the current content (see the module comment for coalescing). */
  write(): Promise<void> {
    if (this.writing !== undefined) {
      this.writeAgain = true;
      return this.writing;
    }
    const run = async (): Promise<void> => {
      do {
        this.writeAgain = false;
        await fsp.mkdir(path.dirname(this.file), { recursive: true, mode: 0o750 });
        await writeFileAtomic(this.file, this.render());
      } while (this.writeAgain);
    };
    this.writing = run().finally(() => {
      this.writing = undefined;
    });
    return this.writing;
  }

  /** Resolves when no write is running. */
  async flush(): Promise<void> {
    while (this.writing !== undefined) await this.writing.catch(() => {});
  }
}
