/**
 * RemotingClient.shutdown() resolves once each peer has seen the close — so a consumer that awaits
 * it knows no broker still holds a pull for it (a message sent afterwards stays for the group) —
 * and within the graceful close's bound when a peer never closes its side.
 */
import net from 'node:net';
import { describe, expect, it, onTestFinished } from 'vitest';
import { RemotingClient } from '../../src/remoting/client.js';
import { createRequest, createResponse } from '../../src/remoting/command.js';
import { Connection } from '../../src/remoting/connection.js';
import { HandlerTable } from '../../src/remoting/dispatcher.js';
import { FrameDecoder, encodeCommand } from '../../src/remoting/frame-codec.js';

const ECHO = 9002;

async function listen(server: net.Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  onTestFinished(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return `127.0.0.1:${(server.address() as net.AddressInfo).port}`;
}

describe('RemotingClient.shutdown', () => {
  it('resolves after the server has closed the connection on its side', async () => {
    const table = new HandlerTable().on(ECHO, (req) => createResponse(req, 0));
    const closedAtServer: string[] = [];
    const addr = await listen(
      net.createServer((socket) => {
        const conn = new Connection(socket, { dispatcher: table });
        conn.onClose((reason) => closedAtServer.push(reason));
      }),
    );
    const client = new RemotingClient();
    await client.request(addr, createRequest(ECHO), 5_000);
    expect(closedAtServer).toEqual([]);
    await client.shutdown();
    expect(closedAtServer).toEqual(['closed by peer']);
  });

  it('resolves within the graceful bound when the peer never closes its side', async () => {
    const sockets: net.Socket[] = [];
    // half-open allowed and never ended: the client's FIN is read, nothing comes back
    const addr = await listen(
      net.createServer({ allowHalfOpen: true }, (socket) => {
        sockets.push(socket);
        const frames = new FrameDecoder();
        socket.on('data', (chunk) => {
          frames.push(chunk);
          for (let req = frames.next(); req !== undefined; req = frames.next()) socket.write(encodeCommand(createResponse(req, 0)));
        });
      }),
    );
    onTestFinished(() => {
      for (const s of sockets) s.destroy();
    });
    const client = new RemotingClient();
    await client.request(addr, createRequest(ECHO), 5_000);
    let endedAtServer = false;
    sockets[0]!.once('end', () => (endedAtServer = true));
    await client.shutdown();
    // it resolved although the server never closed: the client gave up on its side (the bound)
    expect(endedAtServer).toBe(true);
    expect(sockets[0]!.writable).toBe(true);
  });
});
