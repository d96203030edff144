/**
 * The chaos run's history: every send, acknowledgement, failure and delivery, and every fault,
 * one JSON object per line, written by the workload and the fault runner and read back by the
 * checker (checker.ts). The checker trusts nothing else: not the broker's opinion, not the
 * workload's memory.
 */
import { createHash } from 'node:crypto';
import { createWriteStream, readFileSync, type WriteStream } from 'node:fs';

/** A message's id: `<lane>:<seq>` (unique over a run; a lane is one sender of one client kind). */
export type MessageId = string;

export type HistoryEvent =
  | { e: 'send'; t: number; id: MessageId; lane: string; client: string }
  /** The broker's answer: SEND_OK, or a stored-but-not-durable status (FLUSH_*_TIMEOUT, SLAVE_NOT_AVAILABLE). */
  | { e: 'ack'; t: number; id: MessageId; lane: string; status: string; msgId: string; broker: string; queue: number; offset: number }
  /** The send failed from the client's view (the message may or may not be stored). */
  | { e: 'fail'; t: number; id: MessageId; lane: string; error: string }
  | { e: 'deliver'; t: number; group: string; member: string; client: string; id: MessageId | null; body: string; msgId: string; broker: string; queue: number; offset: number; reconsume: number; storeAt: string }
  | { e: 'fault'; t: number; n: number; kind: string; target: string; detail: string }
  | { e: 'heal'; t: number; n: number; kind: string; target: string; note?: string }
  /** After the drain: a slave's commit log against its master's, byte for byte, read from their filesystems. */
  | { e: 'replica'; t: number; group: string; master: string; slave: string; masterEnd: number; slaveEnd: number; compared: number; firstDifference: number | null }
  | { e: 'phase'; t: number; phase: 'start' | 'faults-done' | 'producers-stopped' | 'drained' | 'end'; note?: string };

/** The body of message `id`: its id, padding, and a hash over both (a corrupted or foreign body shows). */
export function bodyOf(id: MessageId, padLength: number): string {
  const pad = 'p'.repeat(padLength);
  return `${id}|${pad}|${digest(`${id}|${pad}`)}`;
}

function digest(s: string): string {
  return createHash('sha256').update(s).digest('hex').slice(0, 16);
}

/** The id a body claims, when the body is one of ours and intact; null otherwise. */
export function idOfBody(body: string): MessageId | null {
  const parts = body.split('|');
  if (parts.length !== 3) return null;
  const [id, pad, hash] = parts as [string, string, string];
  return digest(`${id}|${pad}`) === hash ? id : null;
}

export class HistoryWriter {
  private readonly out: WriteStream;
  constructor(readonly file: string) {
    this.out = createWriteStream(file, { flags: 'a' });
  }
  write(ev: HistoryEvent): void {
    this.out.write(`${JSON.stringify(ev)}\n`);
  }
  close(): Promise<void> {
    return new Promise((resolve) => this.out.end(resolve));
  }
}

export function readHistory(file: string): HistoryEvent[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as HistoryEvent);
}
