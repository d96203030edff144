import zlib from 'node:zlib';

/**
 * CRC-32 (IEEE, as java.util.zip.CRC32 and `UtilAll.crc32`). Node ≥ 20.15 has a native one;
 * older 20.x get a table-driven fallback.
 */
type Crc32 = (data: Uint8Array) => number;

const native = (zlib as unknown as { crc32?: (data: Uint8Array, value?: number) => number }).crc32;

let table: Int32Array | undefined;
function fallback(data: Uint8Array): number {
  if (!table) {
    table = new Int32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      table[n] = c;
    }
  }
  let crc = -1;
  for (let i = 0; i < data.length; i++) crc = table[(crc ^ data[i]!) & 0xff]! ^ (crc >>> 8);
  return (crc ^ -1) >>> 0;
}

export const crc32: Crc32 = native ? (d) => native(d) >>> 0 : fallback;

/** BODYCRC as RocketMQ stores it: CRC32 of the stored body, top bit cleared (`UtilAll.crc32` & 0x7FFFFFFF). */
export function bodyCrc(body: Uint8Array): number {
  return crc32(body) & 0x7fffffff;
}
