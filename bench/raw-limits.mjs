// Raw limits of this machine, measured the way the store and the broker use the OS:
//   sequential append MB/s (1 MiB writes + one fdatasync at the end),
//   1 KiB append + fdatasync per write: into a growing file, a sparse (ftruncate) file, a zero-filled one,
//   loopback TCP MB/s with 64 KiB and with 1 KiB writes.
// Each figure is a best-of-N over short timed windows. Exported for bench/store.mjs; run alone with
//   node bench/raw-limits.mjs
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const fdatasync = promisify(fs.fdatasync);
const write = promisify(fs.write);

async function timed(seconds, step) {
  const end = performance.now() + seconds * 1000;
  const t0 = performance.now();
  let n = 0;
  while (performance.now() < end) n += await step(n);
  return { n, secs: (performance.now() - t0) / 1000 };
}

export async function appendMBps(dir, seconds = 2) {
  const file = path.join(dir, 'append.bin');
  const fd = fs.openSync(file, 'w');
  const chunk = Buffer.alloc(1 << 20, 7);
  let pos = 0;
  const t0 = performance.now();
  const end = t0 + seconds * 1000;
  while (performance.now() < end) {
    await write(fd, chunk, 0, chunk.length, pos);
    pos += chunk.length;
  }
  await fdatasync(fd);
  const secs = (performance.now() - t0) / 1000;
  fs.closeSync(fd);
  fs.rmSync(file);
  return pos / secs / 1e6;
}

/** mode: 'append' (file grows), 'sparse' (ftruncate to full size first), 'zeroed' (zero-filled and synced first) */
export async function fsyncsPerSecond(dir, mode, seconds = 2) {
  const file = path.join(dir, `fsync-${mode}.bin`);
  const fd = fs.openSync(file, 'w+');
  const size = 64 << 20;
  if (mode === 'sparse') fs.ftruncateSync(fd, size);
  if (mode === 'zeroed') {
    const z = Buffer.alloc(1 << 20);
    for (let p = 0; p < size; p += z.length) fs.writeSync(fd, z, 0, z.length, p);
    fs.fdatasyncSync(fd);
  }
  const rec = Buffer.alloc(1024, 1);
  const r = await timed(seconds, async (i) => {
    await write(fd, rec, 0, rec.length, i * rec.length);
    await fdatasync(fd);
    return 1;
  });
  fs.closeSync(fd);
  fs.rmSync(file);
  return r.n / r.secs;
}

export async function loopbackMBps(writeSize, seconds = 2) {
  const server = net.createServer();
  let received = 0;
  server.on('connection', (s) => s.on('data', (d) => (received += d.length)));
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const sock = net.connect(server.address().port, '127.0.0.1');
  await new Promise((r) => sock.once('connect', r));
  sock.setNoDelay(true);
  const chunk = Buffer.alloc(writeSize, 3);
  const t0 = performance.now();
  const end = t0 + seconds * 1000;
  await new Promise((resolve) => {
    const pump = () => {
      while (performance.now() < end) {
        if (!sock.write(chunk)) return sock.once('drain', pump);
      }
      resolve();
    };
    pump();
  });
  const sent = sock.bytesWritten;
  await new Promise((r) => {
    const check = () => (received >= sent ? r() : setImmediate(check));
    check();
  });
  const secs = (performance.now() - t0) / 1000;
  sock.destroy();
  server.close();
  return received / secs / 1e6;
}

/**
 * fsync rates of the three file kinds, interleaved in short rounds (median per kind), so that load
 * from other processes on a shared machine hits all three alike.
 */
export async function fsyncComparison(dir, seconds = 3, rounds = 5) {
  const modes = ['append', 'sparse', 'zeroed'];
  const got = Object.fromEntries(modes.map((m) => [m, []]));
  for (let r = 0; r < rounds; r++) for (const m of modes) got[m].push(await fsyncsPerSecond(dir, m, seconds / rounds));
  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  return Object.fromEntries(modes.map((m) => [m, median(got[m])]));
}

export async function measureRawLimits({ dir, seconds = 2, log = () => {} } = {}) {
  const base = dir ?? (await fsp.mkdtemp(path.join(os.tmpdir(), 'rmq-raw-')));
  try {
    const out = {};
    out.appendMBps = await appendMBps(base, seconds);
    log(`sequential append         ${out.appendMBps.toFixed(0)} MB/s`);
    const f = await fsyncComparison(base, seconds);
    for (const mode of ['append', 'sparse', 'zeroed']) {
      out[`fsync_${mode}`] = f[mode];
      log(`1 KiB write+fdatasync     ${f[mode].toFixed(0)} /s  (${mode} file; median of interleaved rounds)`);
    }
    out.loopback64k = await loopbackMBps(64 * 1024, seconds);
    log(`loopback TCP, 64 KiB      ${out.loopback64k.toFixed(0)} MB/s`);
    out.loopback1k = await loopbackMBps(1024, seconds);
    log(`loopback TCP, 1 KiB       ${out.loopback1k.toFixed(0)} MB/s`);
    return out;
  } finally {
    if (!dir) await fsp.rm(base, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  await measureRawLimits({ log: (l) => console.log(l) });
}
