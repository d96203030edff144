/**
 * A found message as JSON for people and scripts (`message get --json`, `message tail`, the
 * console): the record's fields, the body as text when it is printable UTF-8 (always as base64
 * too), and the stored record's bytes.
 */
import { describeRecord, type FoundMessage, type RecordDescription } from './message-lookup.js';

/** Text when the bytes are valid UTF-8 without control characters (besides tab/newline), else undefined. */
export function printableText(b: Buffer): string | undefined {
  const s = b.toString('utf8');
  if (!Buffer.from(s, 'utf8').equals(b) || /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/.test(s)) return undefined;
  return s;
}

export interface MessageView extends Omit<RecordDescription, 'body'> {
  brokerAddr: string;
  body: { text?: string; base64: string; bytes: number };
  /** The stored record exactly as the broker holds it, base64. */
  storedRecord: string;
}

export function messageView(m: FoundMessage): MessageView {
  const d = describeRecord(m.record);
  const body = d.body;
  const text = printableText(body);
  return { ...d, brokerAddr: m.addr, body: { ...(text !== undefined ? { text } : {}), base64: body.toString('base64'), bytes: body.length }, storedRecord: m.raw.toString('base64') };
}
