import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { encodeOffsetReport, encodeTransfer, encodeTransferHeader, HaProtocolError, OffsetReportReader, TransferReader } from '../../../src/broker/ha/wire.js';

describe('HA wire format', () => {
  it('encodes the slave report and the transfer header as Java does (golden bytes)', () => {
    // Slave report: HAService.HAClient.reportSlaveMaxOffset — reportOffset.putLong(maxOffset), 8 bytes big-endian.
    expect(encodeOffsetReport(0x0102030405).toString('hex')).toBe('0000000102030405');
    expect(encodeOffsetReport(1073741824).toString('hex')).toBe('0000000040000000');
    // Transfer header: HAConnection.WriteSocketService — byteBufferHeader.putLong(thisOffset).putInt(size), 12 bytes.
    expect(encodeTransferHeader(1073741824 + 5, 32768).toString('hex')).toBe('0000000040000005' + '00008000');
    // Heartbeat: the same header with size 0 at nextTransferFromWhere.
    expect(encodeTransferHeader(7, 0).toString('hex')).toBe('0000000000000007' + '00000000');
  });

  it('splits a read into frames of at most haTransferBatchSize, each at its own offset', () => {
    const data = Buffer.alloc(70_000, 7);
    const parts = encodeTransfer(1000, data, 32_768);
    expect(parts).toHaveLength(6);
    const r = new TransferReader();
    for (const p of parts) r.push(p);
    const frames = r.frames();
    expect(frames.map((f) => [f.masterPhyOffset, f.data.length])).toEqual([
      [1000, 32_768],
      [1000 + 32_768, 32_768],
      [1000 + 65_536, 70_000 - 65_536],
    ]);
  });

  it('reads frames and reports whatever way the stream is split', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ minLength: 0, maxLength: 300 }), { minLength: 1, maxLength: 8 }), fc.array(fc.integer({ min: 1, max: 50 }), { minLength: 1, maxLength: 20 }), (bodies, cuts) => {
        let offset = 123_456_789_012;
        const stream = Buffer.concat(
          bodies.flatMap((b) => {
            const out = [encodeTransferHeader(offset, b.length), Buffer.from(b)];
            offset += b.length;
            return out;
          }),
        );
        const r = new TransferReader();
        const got: { o: number; d: string }[] = [];
        let at = 0;
        for (let i = 0; at < stream.length; i++) {
          const n = cuts[i % cuts.length] as number;
          r.push(stream.subarray(at, at + n));
          at += n;
          for (const f of r.frames()) got.push({ o: f.masterPhyOffset, d: f.data.toString('hex') });
        }
        let o = 123_456_789_012;
        const want = bodies.map((b) => {
          const x = { o, d: Buffer.from(b).toString('hex') };
          o += b.length;
          return x;
        });
        expect(got).toEqual(want);
        expect(r.pending).toBe(0);
      }),
    );
    const reports = Buffer.concat([encodeOffsetReport(5), encodeOffsetReport(99), encodeOffsetReport(1 << 30)]);
    const rr = new OffsetReportReader();
    expect(rr.push(reports.subarray(0, 3))).toBeUndefined();
    expect(rr.push(reports.subarray(3, 13))).toBe(5);
    expect(rr.push(reports.subarray(13))).toBe(1 << 30);
  });

  it('refuses impossible headers and negative reports', () => {
    const r = new TransferReader();
    const bad = Buffer.alloc(12);
    bad.writeInt32BE(-1, 0); // negative offset
    r.push(bad);
    expect(() => r.frames()).toThrow(HaProtocolError);
    const big = new TransferReader();
    const h = encodeTransferHeader(0, 0);
    h.writeInt32BE(0x7fffffff, 8);
    big.push(h);
    expect(() => big.frames()).toThrow(/impossible transfer header/);
    expect(() => new OffsetReportReader().push(Buffer.from('ffffffffffffffff', 'hex'))).toThrow(/negative/);
  });
});
