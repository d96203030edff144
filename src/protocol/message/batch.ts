import { MAX_PROPERTIES_BYTES } from './constants.js';

/**
 * One message inside a SEND_BATCH_MESSAGE body (docs/design/protocol.md#batch-bodies, `MessageDecoder.encodeMessage`):
 * TOTALSIZE 4 · MAGICCODE 4 (0) · BODYCRC 4 (0) · FLAG 4 · BODY 4+n · PROPERTIES 2+p.
 * Topic, queue, sysFlag and born timestamp come from the request header.
 */
export interface BatchItem {
  flag: number;
  body: Buffer;
  properties: string;
}

export class BatchFormatError extends Error {
  override readonly name = 'BatchFormatError';
}

const FIXED = 4 + 4 + 4 + 4 + 4 + 2;

export function decodeBatchBody(buf: Buffer): BatchItem[] {
  const items: BatchItem[] = [];
  let at = 0;
  while (at < buf.length) {
    const left = buf.length - at;
    const fail = (why: string): never => {
      throw new BatchFormatError(`batch message ${items.length + 1} at byte ${at}: ${why}`);
    };
    if (left < FIXED) fail(`only ${left} bytes left, a message needs at least ${FIXED}`);
    const total = buf.readInt32BE(at);
    if (total < FIXED || total > left) fail(`TOTALSIZE ${total} does not fit the ${left} bytes left`);
    const flag = buf.readInt32BE(at + 12);
    const bodyLength = buf.readInt32BE(at + 16);
    if (bodyLength < 0 || 20 + bodyLength + 2 > total) fail(`body length ${bodyLength} does not fit TOTALSIZE ${total}`);
    const body = buf.subarray(at + 20, at + 20 + bodyLength);
    const propsAt = at + 20 + bodyLength;
    const propsLength = buf.readInt16BE(propsAt);
    if (propsLength < 0 || propsAt + 2 + propsLength !== at + total) fail(`properties length ${propsLength} does not match TOTALSIZE ${total}`);
    items.push({ flag, body, properties: buf.toString('utf8', propsAt + 2, propsAt + 2 + propsLength) });
    at += total;
  }
  return items;
}

export function encodeBatchBody(items: readonly BatchItem[]): Buffer {
  const parts = items.map((m) => {
    const props = Buffer.from(m.properties, 'utf8');
    if (props.length > MAX_PROPERTIES_BYTES) throw new RangeError(`properties of ${props.length} bytes exceed ${MAX_PROPERTIES_BYTES}`);
    const total = FIXED + m.body.length + props.length;
    const b = Buffer.allocUnsafe(total);
    b.writeInt32BE(total, 0);
    b.writeInt32BE(0, 4);
    b.writeInt32BE(0, 8);
    b.writeInt32BE(m.flag, 12);
    b.writeInt32BE(m.body.length, 16);
    b.set(m.body, 20);
    b.writeInt16BE(props.length, 20 + m.body.length);
    b.set(props, 22 + m.body.length);
    return b;
  });
  return Buffer.concat(parts);
}
