/**
 * Bench helper (not product code): a remoting server that answers SEND_MESSAGE_V2 the way a
 * broker does, without storing anything, so the request/response path is measured alone.
 * Run as its own process by bench/remoting.ts; prints its port on stdout. With a certificate and
 * key file as arguments it enforces TLS on its port.
 */
import fs from 'node:fs';
import { RemotingServer } from '../src/remoting/server.js';
import { HandlerTable } from '../src/remoting/dispatcher.js';
import { createResponse } from '../src/remoting/command.js';
import { RequestCode, ResponseCode } from '../src/remoting/codes.js';
import { decodeHeader } from '../src/protocol/header-spec.js';
import { SendMessageRequestHeaderV2 } from '../src/protocol/headers/broker.js';

let offset = 0;
const table = new HandlerTable().on(RequestCode.SEND_MESSAGE_V2, (req) => {
  const h = decodeHeader(SendMessageRequestHeaderV2, req.extFields);
  return createResponse(req, ResponseCode.SUCCESS, {
    extFields: { msgId: '7F00000100002A9F0000000000000000', queueId: String(h.e), queueOffset: String(offset++), MSG_REGION: 'DefaultRegion', TRACE_ON: 'true' },
  });
});
const [certFile, keyFile] = process.argv.slice(2);
const tls = certFile && keyFile ? { mode: 'enforcing' as const, clientAuth: 'none' as const, context: { cert: fs.readFileSync(certFile, 'utf8'), key: fs.readFileSync(keyFile, 'utf8') } } : undefined;
const server = new RemotingServer({ dispatcher: table, ...(tls ? { tls } : {}) });
const port = await server.listen(0, '127.0.0.1');
process.stdout.write(`${port}\n`);
process.on('SIGTERM', () => void server.close().then(() => process.exit(0)));
