/**
 * The ACL file of a running node: loaded at start (a bad file refuses the start), re-read when it
 * changes (polled: survives editors and atomic rename-replace). A changed file that does not
 * parse is logged and the previous policy stays in force — a typo must not open the node.
 */
import fs from 'node:fs';
import type { Credentials } from '../remoting/acl-signature.js';
import { InvalidInputError } from '../errors.js';
import type { Logger } from '../util/log.js';
import { AclConfigError, parseAclConfig, type AclPolicy } from './config.js';

/** An ACL file bigger than this is a mistake. */
const MAX_ACL_BYTES = 4 * 1024 * 1024;

function readAclFile(file: string): AclPolicy {
  let text: string;
  try {
    const st = fs.statSync(file);
    if (st.size > MAX_ACL_BYTES) throw new InvalidInputError(`ACL file ${file} is ${st.size} bytes (expected at most ${MAX_ACL_BYTES})`);
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    if (e instanceof InvalidInputError) throw e;
    throw new InvalidInputError(`cannot read ACL file ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  return parseAclConfig(text, file);
}

export class AclSource {
  private current: AclPolicy;
  private watching = false;

  constructor(
    readonly file: string,
    private readonly log: Logger,
    private readonly pollMillis = 1_000,
  ) {
    this.current = readAclFile(file);
  }

  get policy(): AclPolicy {
    return this.current;
  }

  /** The credentials of one account of the file (for the node's own requests). */
  credentials(accessKey: string): Credentials | undefined {
    const a = this.current.accounts.get(accessKey);
    return a === undefined ? undefined : { accessKey: a.accessKey, secretKey: a.secretKey };
  }

  /** Starts re-reading the file when its mtime, size or inode changes. */
  watch(): void {
    if (this.watching) return;
    this.watching = true;
    fs.watchFile(this.file, { persistent: false, interval: this.pollMillis }, (cur, prev) => {
      if (cur.mtimeMs === prev.mtimeMs && cur.size === prev.size && cur.ino === prev.ino) return;
      this.reload();
    });
  }

  /** Re-reads the file now; keeps the previous policy when it does not load. */
  reload(): boolean {
    try {
      this.current = readAclFile(this.file);
      this.log.info('ACL file reloaded', { file: this.file, accounts: this.current.accounts.size });
      return true;
    } catch (e) {
      const problems = e instanceof AclConfigError || e instanceof InvalidInputError ? e.problems.slice(0, 5).join('; ') : undefined;
      this.log.error('ACL file not reloaded: keeping the previous rules', { file: this.file, error: (e as Error).message, problems });
      return false;
    }
  }

  close(): void {
    if (this.watching) fs.unwatchFile(this.file);
    this.watching = false;
  }
}
