/**
 * Test helpers for the remoting layer: a real server on a loopback port, a raw socket that speaks
 * frames by hand, and a logger that keeps its lines. Everything is closed when the test finishes.
 */
import net from 'node:net';
import { onTestFinished } from 'vitest';
import { RemotingClient, type RemotingClientOptions } from '../../src/remoting/client.js';
import type { RemotingCommand } from '../../src/remoting/command.js';
import { FrameDecoder } from '../../src/remoting/frame-codec.js';
import { RemotingServer, type RemotingServerOptions } from '../../src/remoting/server.js';
import { createLogger, type Logger } from '../../src/util/log.js';
import { waitFor } from './wait.js';

export function captureLogger(component = 'test'): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  return { logger: createLogger(component, { level: 'debug', write: (l) => lines.push(l) }), lines };
}

export async function startServer(opts: RemotingServerOptions): Promise<{ server: RemotingServer; addr: string; port: number }> {
  const server = new RemotingServer(opts);
  const port = await server.listen(0, '127.0.0.1');
  onTestFinished(() => server.close());
  return { server, addr: `127.0.0.1:${port}`, port };
}

export function newClient(opts: RemotingClientOptions = {}): RemotingClient {
  const client = new RemotingClient(opts);
  onTestFinished(() => client.shutdown());
  return client;
}

/** A socket that writes raw bytes and decodes what comes back, for tests that bypass our client. */
export class RawPeer {
  readonly received: RemotingCommand[] = [];
  closed = false;
  private readonly decoder = new FrameDecoder();

  private constructor(readonly socket: net.Socket) {
    socket.on('data', (c: Buffer) => {
      this.decoder.push(c);
      for (let f = this.decoder.next(); f !== undefined; f = this.decoder.next()) this.received.push(f);
    });
    socket.on('close', () => {
      this.closed = true;
    });
    socket.on('error', () => {});
  }

  static async connect(port: number, opts: { paused?: boolean } = {}): Promise<RawPeer> {
    const socket = net.connect({ port, host: '127.0.0.1' });
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    const peer = new RawPeer(socket);
    if (opts.paused) socket.pause();
    onTestFinished(() => {
      socket.destroy();
    });
    return peer;
  }

  write(bytes: Buffer): boolean {
    return this.socket.write(bytes);
  }

  waitClosed(timeout = 10_000): Promise<true> {
    return waitFor(() => this.closed, { timeout, what: 'the server to close the connection' });
  }

  waitFor(n: number, timeout = 10_000): Promise<RemotingCommand[]> {
    return waitFor(() => this.received.length >= n && this.received, { timeout, what: `${n} frames from the server` });
  }
}
