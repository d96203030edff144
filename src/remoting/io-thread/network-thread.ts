/**
 * The network thread's side (docs/design/io-thread.md): it owns the client listeners and every
 * client socket — accept, TLS handshake and encryption, reads and writes — and relays bytes and
 * socket events to the store thread, one batch per event-loop turn each way. It knows nothing of
 * frames or requests.
 *
 * Backpressure: a socket the store thread pauses (its Connection's writes do not drain) is
 * paused here; and while more than `maxUnconsumedBytes` sent to the store thread wait to be taken
 * off the port, every socket stops reading, so a store thread that falls behind is not buried.
 */
import net from 'node:net';
import type { MessagePort } from 'node:worker_threads';
import { secureAcceptor, type SecureAcceptor } from '../tls-accept.js';
import { BatchBuilder, readBatch, WRITTEN_REPORT_BYTES, type WireBatch, type IoThreadData, type ListenSpec, type NetEvent, type StoreOp } from './messages.js';

interface Client {
  socket: net.Socket;
  /** the store thread asked for a pause */
  pausedByStore: boolean;
  /** bytes handed to the kernel and not yet reported to the store thread */
  unreported: number;
}

interface Listener {
  server: net.Server;
  acceptor: SecureAcceptor | undefined;
  /** accepted, first byte or TLS handshake pending */
  handshaking: Set<net.Socket>;
}

export function runNetworkThread(port: MessagePort, data: IoThreadData): void {
  const clients = new Map<number, Client>();
  const listeners = new Map<number, Listener>();
  let nextId = 0;
  const out = new BatchBuilder<NetEvent>();
  let flushScheduled = false;
  let unconsumed = 0;
  let stalled = false;

  const scheduleFlush = (): void => {
    if (!flushScheduled) {
      flushScheduled = true;
      setImmediate(flush);
    }
  };
  const emit = (e: NetEvent): void => {
    out.add(e);
    scheduleFlush();
  };
  /** sockets with written bytes not yet reported */
  const unreported = new Map<number, Client>();
  const flush = (): void => {
    flushScheduled = false;
    for (const [id, c] of unreported) {
      out.add(['written', id, c.unreported]);
      c.unreported = 0;
    }
    unreported.clear();
    if (out.isEmpty) return;
    const batch = out.take();
    port.postMessage(batch, [batch.buf]);
  };

  /** Reading stops while the store thread has too much unconsumed, and for sockets it paused. */
  const setStalled = (on: boolean): void => {
    if (stalled === on) return;
    stalled = on;
    for (const c of clients.values()) {
      if (on) c.socket.pause();
      else if (!c.pausedByStore) c.socket.resume();
    }
  };

  const open = (socket: net.Socket, listener: number): void => {
    const id = ++nextId;
    const client: Client = { socket, pausedByStore: false, unreported: 0 };
    clients.set(id, client);
    socket.setNoDelay(true);
    emit(['open', id, listener, socket.remoteAddress, socket.remotePort]);
    socket.on('data', (chunk: Buffer) => {
      unconsumed += chunk.length;
      emit(['data', id, out.addBytes(chunk), chunk.length]);
      if (unconsumed > data.maxUnconsumedBytes) setStalled(true);
    });
    socket.on('end', () => emit(['end', id]));
    socket.on('timeout', () => emit(['timeout', id]));
    socket.on('error', (err: NodeJS.ErrnoException) => emit(['error', id, err.message, err.code]));
    socket.on('close', () => {
      unreported.delete(id);
      if (clients.delete(id)) emit(['close', id]);
    });
    if (stalled) socket.pause();
    else socket.resume();
  };

  const listen = (spec: ListenSpec): void => {
    const l: Listener = { server: net.createServer({ noDelay: true, pauseOnConnect: true }), acceptor: spec.tls ? secureAcceptor(spec.tls) : undefined, handshaking: new Set() };
    l.server.maxConnections = spec.maxConnections;
    l.server.on('connection', (socket: net.Socket) => {
      if (l.acceptor === undefined) return open(socket, spec.listener);
      l.handshaking.add(socket);
      socket.once('close', () => l.handshaking.delete(socket));
      socket.resume();
      l.acceptor.accept(
        socket,
        (s) => {
          l.handshaking.delete(socket);
          open(s, spec.listener);
          // a plain connection on a permissive port is resumed by the acceptor right after this
          // callback; a stall must still hold it (this tick runs before the resume takes effect)
          if (stalled) process.nextTick(() => stalled && s.pause());
        },
        (peer, reason) => emit(['refused', spec.listener, peer, reason]),
      );
    });
    const onListenError = (err: NodeJS.ErrnoException): void => emit(['listen-failed', spec.listener, err.message, err.code]);
    l.server.once('error', onListenError);
    l.server.listen({ port: spec.port, host: spec.host, exclusive: true }, () => {
      l.server.off('error', onListenError);
      l.server.on('error', (err) => emit(['server-error', spec.listener, err.message]));
      listeners.set(spec.listener, l);
      emit(['listening', spec.listener, (l.server.address() as net.AddressInfo).port]);
    });
  };

  const unlisten = (listener: number): void => {
    const l = listeners.get(listener);
    if (l === undefined) return emit(['unlistened', listener]);
    listeners.delete(listener);
    // answered once every connection of the listener has closed (the store thread closes them)
    l.server.close(() => emit(['unlistened', listener]));
    for (const s of l.handshaking) s.destroy();
  };

  const apply = (op: StoreOp, bytes: Uint8Array | null): void => {
    switch (op[0]) {
      case 'listen':
        return listen(op[1]);
      case 'unlisten':
        return unlisten(op[1]);
      case 'consumed':
        unconsumed -= op[1];
        if (stalled && unconsumed <= data.maxUnconsumedBytes / 2) setStalled(false);
        return;
    }
    const c = clients.get(op[1]);
    if (c === undefined) return; // closed here already; its 'close' is on the way
    switch (op[0]) {
      case 'write': {
        const [, id, at, length] = op;
        c.socket.write(bytes!.subarray(at, at + length), () => {
          c.unreported += length;
          unreported.set(id, c);
          if (c.unreported >= WRITTEN_REPORT_BYTES) scheduleFlush();
        });
        return;
      }
      case 'pause':
        c.pausedByStore = true;
        c.socket.pause();
        return;
      case 'resume':
        c.pausedByStore = false;
        if (!stalled) c.socket.resume();
        return;
      case 'end':
        c.socket.end();
        return;
      case 'destroy':
        clients.delete(op[1]);
        unreported.delete(op[1]);
        c.socket.destroy();
        return;
      case 'timeout':
        c.socket.setTimeout(op[2]);
        return;
    }
  };

  port.on('message', (wire: WireBatch) => {
    const batch = readBatch<StoreOp>(wire);
    const bytes = batch.bytes ? new Uint8Array(batch.bytes) : null;
    for (const op of batch.events) apply(op, bytes);
  });
}
