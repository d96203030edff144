/**
 * Deciding, from the first bytes a peer sends, whether it speaks TLS or plain remoting — what a
 * permissive server needs to serve both on one port (RocketMQ's HandshakeHandler does the same).
 * Sans-IO: bytes in, verdict out; the socket part is in server.ts.
 *
 * A TLS connection opens with a handshake record, content type 0x16. A plain remoting frame opens
 * with its 4-byte big-endian length; a first byte of 0x16 would mean a frame of at least 0x16000000
 * bytes (352 MiB), far past any frame limit, so the first byte alone decides.
 */
export const TLS_HANDSHAKE_CONTENT_TYPE = 0x16;

export type Transport = 'tls' | 'plain';

/** The transport a connection uses, or undefined while no byte has arrived. */
export function sniffTransport(firstBytes: Uint8Array): Transport | undefined {
  if (firstBytes.length === 0) return undefined;
  return firstBytes[0] === TLS_HANDSHAKE_CONTENT_TYPE ? 'tls' : 'plain';
}
