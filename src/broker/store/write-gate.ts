/**
 * Whether the store takes writes now, and why not: shutting down, a failed commit-log write, or a
 * disk above diskSpaceWarningLevelRatio (set by the retention check). Puts and replicated appends
 * ask it first; runtime info reports it.
 */
import type { CommitLog } from './commit-log.js';
import type { PutMessageResult } from './types.js';

export class WriteGate {
  shuttingDown = false;
  diskFull = false;
  /** Last disk use measured by the retention check, percent. */
  lastDiskUsedRatio = 0;

  constructor(
    private readonly commitLog: CommitLog,
    private readonly diskSpaceWarningLevelRatio: number,
  ) {}

  /** Why a put would be refused now, if it would. */
  refusal(): PutMessageResult | undefined {
    if (this.shuttingDown) return { status: 'SERVICE_NOT_AVAILABLE', remark: 'the store is shutting down' };
    if (!this.commitLog.writable) return { status: 'SERVICE_NOT_AVAILABLE', remark: `the commit log failed a write (${this.commitLog.writeError?.message}); restart the broker to recover` };
    if (this.diskFull) return { status: 'SERVICE_NOT_AVAILABLE', remark: `disk use is above diskSpaceWarningLevelRatio (${this.diskSpaceWarningLevelRatio}%)` };
    return undefined;
  }
}
