import zlib from 'node:zlib';
import { CompressionType, SysFlag } from './constants.js';

/**
 * The body a consumer sees: inflated when the record's sysFlag says COMPRESSED with zlib (type 0 or 3,
 * what Java and ali-ons write). LZ4/ZSTD bodies are not supported here and raise an error.
 */
export function uncompressedBody(sysFlag: number, body: Buffer): Buffer {
  if ((sysFlag & SysFlag.COMPRESSED) === 0) return body;
  const type = (sysFlag & SysFlag.COMPRESSION_TYPE_MASK) >> 8;
  if (type !== CompressionType.ZLIB_DEFAULT && type !== CompressionType.ZLIB) {
    throw new RangeError(`compression type ${type} (${type === 1 ? 'LZ4' : type === 2 ? 'ZSTD' : 'unknown'}) is not supported`);
  }
  return zlib.inflateSync(body);
}
