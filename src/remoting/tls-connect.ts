/**
 * The client side of TLS shared by the remoting client and the HA client: connect options from a
 * ClientTls, and what a failed handshake means to an operator.
 */
import net from 'node:net';
import type tls from 'node:tls';
import type { ClientTls } from './tls-config.js';

export function tlsConnectOptions(host: string, port: number, t: ClientTls): tls.ConnectionOptions {
  return {
    host,
    port,
    minVersion: 'TLSv1.2',
    rejectUnauthorized: t.verify ?? true,
    // SNI takes names only; an IP address is verified against the certificate's IP SANs
    ...(net.isIP(host) === 0 ? { servername: host } : {}),
    ...(t.ca !== undefined ? { ca: t.ca } : {}),
    ...(t.cert !== undefined && t.key !== undefined ? { cert: t.cert, key: t.key } : {}),
  };
}

/** Handshake errors that mean the peer speaks no TLS at all (a plain-only server), as opposed to a certificate problem. */
const NOT_TLS_PEER_CODES = new Set(['ECONNRESET', 'EPIPE', 'ERR_SSL_WRONG_VERSION_NUMBER', 'ERR_SSL_PACKET_LENGTH_TOO_LONG', 'ERR_SSL_RECORD_LAYER_FAILURE']);

/** What a failed TLS connect means to an operator. */
export function describeTlsError(err: NodeJS.ErrnoException): string {
  const code = err.code ?? '';
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') return `TLS: the server certificate is not for this address (${err.message})`;
  if (/CERT|SELF_SIGNED|UNABLE_TO_(GET|VERIFY)/.test(code)) return `TLS: the server certificate is not trusted (${code}: ${err.message}); trust its CA (--tls-ca) or check that this is the right server`;
  if (NOT_TLS_PEER_CODES.has(code)) return `TLS: the server closed the handshake (${code}): it does not speak TLS on this port, or refused our client certificate`;
  return `TLS: ${err.message}`;
}


/** The handshake error code says the peer speaks no TLS at all (not a certificate problem). */
export function isNotTlsPeer(code: string | undefined): boolean {
  return code !== undefined && NOT_TLS_PEER_CODES.has(code);
}

/**
 * Whether a failed TLS connect may be retried in plain text: only with policy `prefer`, and only
 * when the peer speaks no TLS at all (`err.cause` is the socket error); never for a certificate problem.
 */
export function mayFallBackToPlain(t: ClientTls, err: unknown): boolean {
  return t.policy === 'prefer' && isNotTlsPeer(((err as Error).cause as NodeJS.ErrnoException | undefined)?.code);
}
