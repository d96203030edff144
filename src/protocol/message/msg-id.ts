import type { HostAddress } from './host.js';
import { readInt64, writeInt64 } from './int64.js';

/**
 * The offset msgId (the broker's `msgId` in a send reply; Java's `offsetMsgId`): upper-case hex of
 * store IP (4|16 bytes) + store port (int32) + commit-log offset (int64) — 32 or 56 hex chars.
 */
export function offsetMsgId(storeHost: HostAddress, commitLogOffset: number): string {
  const buf = Buffer.allocUnsafe(storeHost.ip.length + 4 + 8);
  buf.set(storeHost.ip, 0);
  buf.writeInt32BE(storeHost.port, storeHost.ip.length);
  writeInt64(buf, commitLogOffset, storeHost.ip.length + 4);
  return buf.toString('hex').toUpperCase();
}

export interface OffsetMsgId {
  storeHost: HostAddress;
  commitLogOffset: number;
}

/** Parses an offset msgId; throws RangeError on anything but 32 or 56 hex chars. */
export function parseOffsetMsgId(id: string): OffsetMsgId {
  if (!/^[0-9a-fA-F]*$/.test(id) || (id.length !== 32 && id.length !== 56)) {
    throw new RangeError(`not an offset message id (32 or 56 hex chars): ${JSON.stringify(id)}`);
  }
  const buf = Buffer.from(id, 'hex');
  const ipLen = buf.length - 12;
  return {
    storeHost: { ip: Buffer.from(buf.subarray(0, ipLen)), port: buf.readInt32BE(ipLen) },
    commitLogOffset: readInt64(buf, ipLen + 4),
  };
}

/** Start of the current month in local time, as Java's Calendar computes it for UNIQ_KEY. */
function monthStart(ms: number, deltaMonths = 0): number {
  const d = new Date(ms);
  return new Date(d.getFullYear(), d.getMonth() + deltaMonths, 1, 0, 0, 0, 0).getTime();
}

/**
 * Generates client unique ids (`UNIQ_KEY`, `MessageClientIDSetter`): hex of IP (4|16) + pid (2) +
 * a per-process int (Java uses its class loader's hash) + ms since the start of the current month
 * (int32) + a counter (int16). 32 hex chars for IPv4.
 */
export class UniqKeyGenerator {
  private readonly prefix: string;
  private counter = 0;
  private start: number;
  private nextStart: number;

  constructor(ip: Uint8Array, pid: number = process.pid, instanceHash: number = (Math.random() * 0x7fffffff) | 0, now = Date.now()) {
    const fixed = Buffer.allocUnsafe(ip.length + 6);
    fixed.set(ip, 0);
    fixed.writeUInt16BE(pid & 0xffff, ip.length);
    fixed.writeInt32BE(instanceHash | 0, ip.length + 2);
    this.prefix = fixed.toString('hex').toUpperCase();
    this.start = monthStart(now);
    this.nextStart = monthStart(now, 1);
  }

  next(now = Date.now()): string {
    if (now >= this.nextStart) {
      this.start = monthStart(now);
      this.nextStart = monthStart(now, 1);
    }
    // the int32 (two's complement) and uint16 as upper-case hex, without a buffer per id
    const time = (((now - this.start) | 0) >>> 0).toString(16).toUpperCase();
    const counter = this.counter.toString(16).toUpperCase();
    this.counter = (this.counter + 1) & 0xffff;
    return `${this.prefix}${'00000000'.slice(time.length)}${time}${'0000'.slice(counter.length)}${counter}`;
  }
}

export interface UniqKeyParts {
  ip: Buffer;
  pid: number;
  instanceHash: number;
  /** Approximate creation time (the id only holds ms since the start of a month; see Java's getNearlyTimeFromID). */
  time: number;
  counter: number;
}

/** Splits a UNIQ_KEY into its parts; throws RangeError if it is not one (32 or 56 hex chars). */
export function parseUniqKey(key: string, now = Date.now()): UniqKeyParts {
  if (!/^[0-9a-fA-F]*$/.test(key) || (key.length !== 32 && key.length !== 56)) {
    throw new RangeError(`not a unique message id (32 or 56 hex chars): ${JSON.stringify(key)}`);
  }
  const buf = Buffer.from(key, 'hex');
  const ipLen = buf.length - 12;
  const span = buf.readUInt32BE(ipLen + 6);
  let base = monthStart(now);
  if (base + span >= now) base = monthStart(now, -1);
  return {
    ip: Buffer.from(buf.subarray(0, ipLen)),
    pid: buf.readUInt16BE(ipLen),
    instanceHash: buf.readInt32BE(ipLen + 2),
    time: base + span,
    counter: buf.readUInt16BE(ipLen + 10),
  };
}
