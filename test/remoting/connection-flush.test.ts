/**
 * When a connection's queued frames reach the socket: at the end of the current callback and the
 * microtasks it started — all answers produced there in one socket write — not in a later turn of
 * the event loop, behind whatever I/O that turn handles first.
 */
import net from 'node:net';
import { describe, expect, it, onTestFinished } from 'vitest';
import { createRequest, createResponse, type RemotingCommand } from '../../src/remoting/command.js';
import { Connection } from '../../src/remoting/connection.js';
import { HandlerTable } from '../../src/remoting/dispatcher.js';
import { encodeCommand } from '../../src/remoting/frame-codec.js';
import { RawPeer } from '../support/remoting.js';
import { waitFor } from '../support/wait.js';

const ECHO = 9001;

/** A real loopback server whose one accepted socket is wrapped in a Connection; counts socket writes. */
async function serveOne(table: HandlerTable): Promise<{ port: number; writes: () => number }> {
  let writes = 0;
  const server = net.createServer((socket) => {
    const write = socket.write.bind(socket) as (chunk: Buffer) => boolean;
    socket.write = ((chunk: Buffer) => {
      writes++;
      return write(chunk);
    }) as typeof socket.write;
    const conn = new Connection(socket, { dispatcher: table });
    onTestFinished(() => conn.close('test over'));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  onTestFinished(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return { port: (server.address() as net.AddressInfo).port, writes: () => writes };
}

describe('flushing answers', () => {
  it('writes answers produced in a callback (and its microtasks) before the next callback of the same loop phase, in one write', async () => {
    const held: [RemotingCommand, (r: RemotingCommand) => void][] = [];
    const table = new HandlerTable().on(ECHO, (req) => new Promise<RemotingCommand>((resolve) => held.push([req, resolve])));
    const { port, writes } = await serveOne(table);
    const peer = await RawPeer.connect(port);
    peer.write(Buffer.concat([1, 2, 3].map((i) => encodeCommand(createRequest(ECHO, { extFields: { i: String(i) } })))));
    await waitFor(() => held.length === 3, { what: 'three requests held by the handler' });

    // the answers are produced in one immediate; the next immediate of the same phase looks at the socket
    const writtenBeforeNextImmediate = await new Promise<number>((resolve) => {
      setImmediate(() => {
        for (const [req, answer] of held) answer(createResponse(req, 0, { extFields: req.extFields ?? {} }));
      });
      setImmediate(() => resolve(writes()));
    });
    expect(writtenBeforeNextImmediate).toBe(1);
    const got = await peer.waitFor(3);
    expect(got.map((r) => r.extFields?.i)).toEqual(['1', '2', '3']);
    expect(writes()).toBe(1);
  });

  it('keeps answers of one received chunk together when the handler answers at once', async () => {
    const table = new HandlerTable().on(ECHO, (req) => createResponse(req, 0, { extFields: req.extFields ?? {} }));
    const { port, writes } = await serveOne(table);
    const peer = await RawPeer.connect(port);
    peer.write(Buffer.concat(Array.from({ length: 20 }, (_, i) => encodeCommand(createRequest(ECHO, { extFields: { i: String(i) } })))));
    const got = await peer.waitFor(20);
    expect(got.map((r) => r.extFields?.i)).toEqual(Array.from({ length: 20 }, (_, i) => String(i)));
    // one write per received chunk (loopback nearly always delivers the 20 small frames in one read), not one per answer
    expect(writes()).toBeLessThanOrEqual(2);
  });
});
