import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { describe, expect, it, onTestFinished } from 'vitest';
import { MAGIC_V1, decodeProperties, decodeRecord, verifyRecordCrc } from '../../../src/protocol/message/index.js';
import { createLogger } from '../../../src/util/log.js';
import { MessageStore } from '../../../src/broker/store/index.js';
import { tmpDir } from '../../support/tmp.js';
import { waitFor } from '../../support/wait.js';
import { SMALL_STORE } from '../../support/store.js';
import { crashBody, crashProps } from './crash-data.js';

const here = path.dirname(fileURLToPath(import.meta.url));

/** Bundles crash-child.ts into a runnable file (the store's real code, no test runner inside). */
async function buildChild(outDir: string): Promise<string> {
  const outfile = path.join(outDir, 'crash-child.mjs');
  await build({ entryPoints: [path.join(here, 'crash-child.ts')], bundle: true, platform: 'node', format: 'esm', target: 'node20', outfile, logLevel: 'warning' });
  return outfile;
}

const SEGMENT = 256 * 1024;

/** Opens and closes the store to find where its log ends, then writes a torn record there. Returns that offset. */
async function leaveTornRecord(dir: string): Promise<number | undefined> {
  const s = await MessageStore.open({ storePathRootDir: dir, ...SMALL_STORE, mappedFileSizeCommitLog: SEGMENT, preallocateSegments: true });
  const end = s.maxPhysOffset;
  await s.close();
  const file = path.join(dir, 'commitlog', String(end - (end % SEGMENT)).padStart(20, '0'));
  if (!fs.existsSync(file) || SEGMENT - (end % SEGMENT) < 600) return undefined;
  const torn = Buffer.alloc(20 + Math.floor(Math.random() * 400), 0x5a);
  torn.writeInt32BE(500, 0); // TOTALSIZE of a record whose tail never arrived
  torn.writeInt32BE(MAGIC_V1, 4);
  const fd = fs.openSync(file, 'r+');
  fs.writeSync(fd, torn, 0, torn.length, end % SEGMENT);
  fs.closeSync(fd);
  fs.writeFileSync(path.join(dir, 'abort'), '1\n');
  return end;
}

interface Ack {
  seq: number;
  queueId: number;
  queueOffset: number;
}

function startChild(script: string, dir: string, firstSeq: number, acks: Ack[], dsync: boolean): { child: ChildProcess; ready: Promise<void>; exited: Promise<void> } {
  const child = spawn(process.execPath, [script, dir, String(firstSeq), dsync ? 'dsync' : 'fdatasync'], { stdio: ['ignore', 'pipe', 'pipe'] });
  onTestFinished(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  let partial = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
    const lines = (partial + chunk).split('\n');
    partial = lines.pop()!; // a line cut by the kill is not an ack we saw
    for (const l of lines) {
      const [seq, queueId, queueOffset] = l.split(' ').map(Number);
      acks.push({ seq: seq!, queueId: queueId!, queueOffset: queueOffset! });
    }
  });
  let stderr = '';
  const ready = new Promise<void>((resolve, reject) => {
    child.stderr!.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
      if (stderr.split('\n').includes('ready')) resolve();
    });
    child.once('exit', (code, sig) => reject(new Error(`child exited before ready (${code ?? sig}): ${stderr}`)));
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return { child, ready, exited };
}

describe('store lock across processes', () => {
  it('refuses a store held by another live process, naming it', async () => {
    const dir = tmpDir();
    const script = await buildChild(tmpDir('rmq-crash-bin-'));
    const holder = await MessageStore.open({ storePathRootDir: dir, ...SMALL_STORE, mappedFileSizeCommitLog: SEGMENT });
    try {
      const child = spawn(process.execPath, [script, dir, '0'], { stdio: ['ignore', 'ignore', 'pipe'] });
      onTestFinished(() => void child.kill('SIGKILL'));
      let stderr = '';
      child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
      const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
      expect(code).not.toBe(0);
      expect(stderr).toMatch(new RegExp(`StoreLockedError: store .* is in use by pid ${process.pid}`));
      expect(stderr.split('\n')).not.toContain('ready');
    } finally {
      await holder.close();
    }
  });
});

describe('store crash test: kill -9 during SYNC_FLUSH appends', () => {
  it('after every restart, every acknowledged message is readable with the same body and properties, and nothing unreadable is served', async () => {
    const dir = tmpDir();
    const script = await buildChild(tmpDir('rmq-crash-bin-'));
    const acked = new Map<number, Ack>();
    let nextSeq = 0;
    const rounds = 6;
    for (let round = 0; round < rounds; round++) {
      const acks: Ack[] = [];
      // every third round commits with O_DSYNC writes instead of write + fdatasync
      const { child, ready, exited } = startChild(script, dir, nextSeq, acks, round % 3 === 2);
      await ready;
      // kill at a random moment: after a random number of further acknowledgements
      const target = 50 + Math.floor(Math.random() * 700);
      await waitFor(() => acks.length >= target, { timeout: 30_000, what: `${target} acks in round ${round}` });
      child.kill('SIGKILL');
      await exited;
      for (const a of acks) acked.set(a.seq, a);
      nextSeq += 1_000_000; // fresh sequence numbers per round: unacked puts of a round may or may not have survived

      // A kill -9 rarely lands inside a write (the kernel finishes most writes to the page cache),
      // so every other round also leaves what one that does would: the first bytes of a record
      // past the end of the log, and the abort marker.
      let tornAt: number | undefined;
      if (round % 2 === 1) tornAt = await leaveTornRecord(dir);

      // recover in this process (the lock died with the child) and check
      const log: string[] = [];
      const store = await MessageStore.open(
        { storePathRootDir: dir, ...SMALL_STORE, mappedFileSizeCommitLog: SEGMENT, flushDiskType: 'SYNC_FLUSH', preallocateSegments: true },
        { logger: createLogger('store', { write: (l) => log.push(l) }) },
      );
      try {
        if (tornAt !== undefined) {
          expect(store.maxPhysOffset).toBe(tornAt);
          expect(log.join('')).toMatch(/torn record at the tail truncated/);
        }
        for (const a of acked.values()) {
          const got = await store.getMessage('Crash', a.queueId, a.queueOffset, 1, 1 << 20);
          expect(got.status, `seq ${a.seq} at ${a.queueId}/${a.queueOffset}`).toBe('FOUND');
          const r = decodeRecord(got.records[0]!);
          expect(r.body.equals(crashBody(a.seq)), `body of seq ${a.seq}`).toBe(true);
          expect(Object.fromEntries(decodeProperties(r.properties))).toEqual(crashProps(a.seq));
        }
        // every record the store serves is whole: structure, CRC, contiguous queue offsets
        for (let q = 0; q < 4; q++) {
          const max = store.getMaxOffsetInQueue('Crash', q);
          let off = store.getMinOffsetInQueue('Crash', q);
          while (off < max) {
            const got = await store.getMessage('Crash', q, off, 1000, 1 << 30);
            expect(got.status).toBe('FOUND');
            for (const b of got.records) {
              const r = decodeRecord(b);
              expect(verifyRecordCrc(r)).toBe(true);
              expect(r.queueOffset).toBe(off++);
              expect(r.body.equals(crashBody(Number(decodeProperties(r.properties).get('SEQ'))))).toBe(true);
            }
          }
        }
      } finally {
        await store.close();
      }
    }
    expect(acked.size).toBeGreaterThan(rounds * 50);
  }, 240_000);
});
