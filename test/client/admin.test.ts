/** The admin client's NameServer failover, against in-process remoting servers on real sockets. */
import { describe, expect, it } from 'vitest';
import { AdminClient, NameServersUnreachableError } from '../../src/client/admin.js';
import { RequestCode, ResponseCode } from '../../src/remoting/codes.js';
import { encodeTopicList } from '../../src/protocol/bodies.js';
import { createResponse } from '../../src/remoting/command.js';
import { HandlerTable } from '../../src/remoting/dispatcher.js';
import { RemoteResponseError } from '../../src/remoting/errors.js';
import { freePort } from '../support/ports.js';
import { startServer } from '../support/remoting.js';

function fakeNamesrv(topics: string[], code: number = ResponseCode.SUCCESS) {
  let calls = 0;
  const table = new HandlerTable().on(RequestCode.GET_ALL_TOPIC_LIST_FROM_NAMESERVER, (req) => {
    calls++;
    return code === ResponseCode.SUCCESS ? createResponse(req, code, { body: encodeTopicList({ topicList: topics }) }) : createResponse(req, code, { remark: 'disable' });
  });
  return { table, calls: () => calls };
}

describe('AdminClient', () => {
  it('fails over to the next NameServer when one cannot be reached', async () => {
    const dead = `127.0.0.1:${await freePort()}`;
    const live = fakeNamesrv(['B', 'A']);
    const { addr } = await startServer({ dispatcher: live.table });
    const admin = new AdminClient({ namesrvAddrs: [dead, addr], random: () => 0 });
    try {
      expect(await admin.topicList()).toEqual(['A', 'B']);
      expect(live.calls()).toBe(1);
    } finally {
      admin.close();
    }
  });

  it('starts at a random NameServer', async () => {
    const one = fakeNamesrv(['one']);
    const two = fakeNamesrv(['two']);
    const [s1, s2] = await Promise.all([startServer({ dispatcher: one.table }), startServer({ dispatcher: two.table })]);
    const admin = new AdminClient({ namesrvAddrs: [s1.addr, s2.addr], random: () => 0.99 });
    try {
      expect(await admin.topicList()).toEqual(['two']);
    } finally {
      admin.close();
    }
  });

  it('does not fail over on an answer, even an error code', async () => {
    const refusing = fakeNamesrv([], ResponseCode.SYSTEM_ERROR);
    const other = fakeNamesrv(['x']);
    const [s1, s2] = await Promise.all([startServer({ dispatcher: refusing.table }), startServer({ dispatcher: other.table })]);
    const admin = new AdminClient({ namesrvAddrs: [s1.addr, s2.addr], random: () => 0 });
    try {
      await expect(admin.topicList()).rejects.toBeInstanceOf(RemoteResponseError);
      expect(other.calls()).toBe(0);
    } finally {
      admin.close();
    }
  });

  it('names every NameServer that failed', async () => {
    const [p1, p2] = [await freePort(), await freePort()];
    const admin = new AdminClient({ namesrvAddrs: [`127.0.0.1:${p1}`, `127.0.0.1:${p2}`], timeoutMillis: 1000 });
    try {
      const err = await admin.topicList().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(NameServersUnreachableError);
      expect((err as NameServersUnreachableError).failures.map((f) => f.addr).sort()).toEqual([`127.0.0.1:${p1}`, `127.0.0.1:${p2}`].sort());
    } finally {
      admin.close();
    }
  });
});
