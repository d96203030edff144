/**
 * The socket edge of server-side TLS: an accepted TCP socket becomes the socket a Connection runs
 * on — itself (plain), or a TLS socket once the handshake is done. Permissive servers decide per
 * connection from the first byte (tls-sniff.ts); enforcing servers hand every socket to TLS, so a
 * plain peer fails the handshake and is closed.
 */
import type net from 'node:net';
import tls from 'node:tls';
import type { ServerTls } from './tls-config.js';
import { sniffTransport, type Transport } from './tls-sniff.js';

/** A peer that has not sent its first byte, or finished the handshake, by then is dropped. */
export const TLS_HANDSHAKE_TIMEOUT_MILLIS = 10_000;

export type AcceptReady = (socket: net.Socket, transport: Transport) => void;
export type AcceptRefused = (peer: string, reason: string) => void;

export interface SecureAcceptor {
  readonly mode: ServerTls['mode'];
  /** Calls `ready` with the socket to speak over, or `refused` (and closes the socket) with why not. */
  accept(socket: net.Socket, ready: AcceptReady, refused: AcceptRefused): void;
}

export function peerOf(socket: net.Socket): string {
  return `${(socket.remoteAddress ?? '?').replace(/^::ffff:/, '')}:${socket.remotePort ?? '?'}`;
}

/** Identifies one live TCP connection; a TLS socket reports its underlying socket's addresses. */
const connKey = (s: net.Socket) => `${s.remoteAddress}|${s.remotePort}|${s.localPort}`;

/** `alpnProtocols`: what TLS clients may negotiate (the gRPC port offers `h2`, which gRPC clients require). */
export function secureAcceptor(opts: ServerTls, extra: { alpnProtocols?: string[] } = {}): SecureAcceptor {
  // Never listens: accepted sockets are handed to it, so it does the handshake, its timeout and
  // client-certificate verification (which a bare server-side TLSSocket does not report).
  const server = tls.createServer({
    ...opts.context,
    minVersion: 'TLSv1.2',
    requestCert: opts.clientAuth !== 'none',
    rejectUnauthorized: opts.clientAuth === 'require',
    handshakeTimeout: TLS_HANDSHAKE_TIMEOUT_MILLIS,
    ...(extra.alpnProtocols ? { ALPNProtocols: extra.alpnProtocols } : {}),
  });
  const pending = new Map<string, { ready: AcceptReady; refused: AcceptRefused; peer: string }>();
  server.on('secureConnection', (s: tls.TLSSocket) => {
    const p = pending.get(connKey(s));
    pending.delete(connKey(s));
    if (p === undefined) return void s.destroy();
    const sentCert = Object.keys(s.getPeerCertificate() ?? {}).length > 0;
    if (opts.clientAuth === 'optional' && sentCert && !s.authorized) {
      p.refused(p.peer, `client certificate refused: ${String(s.authorizationError)}`);
      return void s.destroy();
    }
    p.ready(s, 'tls');
  });
  server.on('tlsClientError', (err: Error, s: tls.TLSSocket) => {
    const p = pending.get(connKey(s));
    pending.delete(connKey(s));
    p?.refused(p.peer, `TLS handshake failed: ${err.message}`);
    s.destroy();
  });

  const startTls = (socket: net.Socket, ready: AcceptReady, refused: AcceptRefused): void => {
    const key = connKey(socket);
    pending.set(key, { ready, refused, peer: peerOf(socket) });
    socket.once('close', () => pending.delete(key));
    server.emit('connection', socket);
  };

  return {
    mode: opts.mode,
    accept(socket, ready, refused) {
      // until a Connection owns the socket, a reset peer must not be an unhandled 'error'
      socket.on('error', () => undefined);
      if (opts.mode === 'enforcing') return startTls(socket, ready, refused);
      onFirstBytes(socket, refused, (transport) => {
        if (transport === 'tls') return startTls(socket, ready, refused);
        ready(socket, 'plain');
        socket.resume();
      });
    },
  };
}

/** Waits for the peer's first bytes (put back for the reader, socket paused), at most the handshake timeout. */
export function onFirstBytes(socket: net.Socket, refused: AcceptRefused, then: (transport: Transport) => void): void {
  const timer = setTimeout(() => {
    refused(peerOf(socket), 'sent nothing');
    socket.destroy();
  }, TLS_HANDSHAKE_TIMEOUT_MILLIS);
  socket.once('close', () => clearTimeout(timer));
  socket.once('data', (chunk: Buffer) => {
    clearTimeout(timer);
    socket.pause();
    socket.unshift(chunk);
    then(sniffTransport(chunk) ?? 'plain');
  });
}

/**
 * The acceptor of a plain-text port that a TLS client may reach (a node whose peers are turning TLS
 * on): a connection opening with a TLS handshake is closed at once, so the client learns that this
 * port speaks no TLS (and may fall back) instead of waiting out its handshake timeout.
 */
export function plainOnlyAcceptor(): SecureAcceptor {
  return {
    mode: 'permissive',
    accept(socket, ready, refused) {
      socket.on('error', () => undefined);
      onFirstBytes(socket, refused, (transport) => {
        if (transport === 'tls') {
          refused(peerOf(socket), 'TLS handshake on a plain-text port');
          return void socket.destroy();
        }
        ready(socket, 'plain');
        socket.resume();
      });
    },
  };
}
