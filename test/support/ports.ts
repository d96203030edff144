import net from 'node:net';

function canBind(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.once('error', () => resolve(false));
    srv.listen({ port, host, exclusive: true }, () => srv.close(() => resolve(true)));
  });
}

/**
 * Ports (and broker blocks) this process has handed out. A pick is only bound later, so a second
 * pick could find the same one still free: four freeBrokerPort() calls for one topology returned
 * the same block about once in 400 runs (a 2m-2s-sync lab refused for clashing ports — seen once
 * in the suite, 2026-12-08). Each test file has its own module instance, so this covers the picks
 * of one file; across files the random ranges keep collisions rare.
 */
const handedOut = new Set<number>();

function kernelPickedPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen({ port: 0, host: '127.0.0.1' }, () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

/** A TCP port free on 127.0.0.1 right now (picked by the kernel), not handed out before by this process. */
export async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const p = await kernelPickedPort();
    if (!handedOut.has(p)) {
      handedOut.add(p);
      return p;
    }
  }
  throw new Error('no free port found that was not handed out already');
}

/**
 * A base port p such that p-2 .. p+2 are all free: a broker listening on p also takes the fast
 * channel (p-2) and the HA port (p+1), as RocketMQ derives them, and a topology's broker node its
 * gRPC port (p+2). Picked at random in a range away from the kernel's ephemeral ports to limit
 * collisions between test files running at once, in blocks of 8 so that two picks never share a
 * port (with blocks of 4, one block's p+2 was the next block's p-2: a topology of two such brokers
 * was refused — seen once, 2026-12-07).
 */
export async function freeBrokerPort(): Promise<number> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const p = 20_000 + Math.floor(Math.random() * 1_500) * 8 + 2;
    if (handedOut.has(p)) continue;
    const ok = await Promise.all([p - 2, p - 1, p, p + 1, p + 2].map((q) => canBind(q)));
    if (ok.every(Boolean)) {
      handedOut.add(p);
      return p;
    }
  }
  throw new Error('no free broker port block found');
}

/**
 * A port for a server a test configures before starting it (a broker's grpcServerPort, ...): free
 * on every address now, and outside the kernel's ephemeral range (32768-60999) and
 * freeBrokerPort's blocks, so an outgoing connection made meanwhile cannot take it, as it can a
 * freePort() one.
 */
export async function freeListenPort(): Promise<number> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const p = 10_000 + Math.floor(Math.random() * 10_000);
    if (handedOut.has(p)) continue;
    if ((await canBind(p, '0.0.0.0')) && (await canBind(p))) {
      handedOut.add(p);
      return p;
    }
  }
  throw new Error('no free listen port found');
}
