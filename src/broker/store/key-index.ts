import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { readInt64, writeInt64 } from '../../protocol/message/int64.js';
import { javaStringHashCode, javaStringHashCodeFrom } from '../../protocol/message/tags.js';
import { SharedFd } from './shared-fd.js';
import { close, fdatasync, fsyncDir, open, readAt, writeFully } from '../../util/durable-file.js';
import { listOffsetFiles, offsetFileName } from './segment-files.js';

/**
 * The message-key index (QUERY_MESSAGE by KEYS and by UNIQ_KEY): RocketMQ's hash-index design —
 * a slot table of int32 heads and an append-only entry area where each entry links to the previous
 * entry of its slot — in files of at most `maxIndexNum` entries, named by the first indexed
 * commit-log offset. Layout: header 40 bytes (beginTimestamp 8, endTimestamp 8, beginPhyOffset 8,
 * endPhyOffset 8, slotNum 4, indexCount 4), slotNum × int32 slots, then entries of 20 bytes
 * (keyHash 4, phyOffset 8, seconds since beginTimestamp 4, previous entry 4). Entry numbers are
 * 1-based; 0 means none.
 *
 * The index is a hint: every hit is checked against the record it names (the caller compares the
 * key), chains only ever point backwards, so damaged entries cost a wasted read, never a wrong answer
 * or a loop. The current file's slots live in memory as the file has them (big-endian bytes), so
 * flush writes new entries, then dirty slot pages straight from that buffer — no copy, no byte
 * swap on the event loop (with unique keys nearly every page of the 20 MB table is dirty each
 * second: it was a 10–20 ms stall every flush) — then the header, then fsyncs. A slot changed
 * while its page is being written is marked dirty again and goes out with the next flush; a slot
 * on disk naming an entry not yet written is the case recovery already handles (heads past the
 * count walk back). Recovery rebuilds entries past the checkpoint from the commit log.
 */
const HEADER = 40;
const ENTRY = 20;
const PAGE_SLOTS = 1024; // 4 KiB of slots

interface IndexHeader {
  beginTimestamp: number;
  endTimestamp: number;
  beginPhyOffset: number;
  endPhyOffset: number;
  slotNum: number;
  count: number;
}

interface SealedFile {
  path: string;
  fd: SharedFd | undefined;
  header: IndexHeader;
}

interface CurrentFile extends SealedFile {
  /** slotNum big-endian int32 entry numbers: the file's slot table, byte for byte. */
  slots: Buffer;
  /** One byte per 4 KiB page of `slots`: 1 = changed since it was last written (a Set cost a hash insert per message). */
  dirtyPages: Uint8Array;
  /** Entries not yet written to the file (in order, numbered writtenCount+1 …). */
  pending: Buffer;
  pendingCount: number;
  writtenCount: number;
  headerDirty: boolean;
}

/** RocketMQ's index key is `topic#key`; its hash is computed here without building that string (per message, twice). */
const hashOf = (topic: string, key: string) => javaStringHashCodeFrom(javaStringHashCodeFrom(javaStringHashCode(topic), '#'), key) & 0x7fffffff;

function encodeHeader(h: IndexHeader): Buffer {
  const b = Buffer.alloc(HEADER);
  writeInt64(b, h.beginTimestamp, 0);
  writeInt64(b, h.endTimestamp, 8);
  writeInt64(b, h.beginPhyOffset, 16);
  writeInt64(b, h.endPhyOffset, 24);
  b.writeInt32BE(h.slotNum, 32);
  b.writeInt32BE(h.count, 36);
  return b;
}

function decodeHeader(b: Buffer): IndexHeader {
  return { beginTimestamp: readInt64(b, 0), endTimestamp: readInt64(b, 8), beginPhyOffset: readInt64(b, 16), endPhyOffset: readInt64(b, 24), slotNum: b.readInt32BE(32), count: b.readInt32BE(36) };
}

const pageCount = (slotNum: number) => Math.ceil(slotNum / PAGE_SLOTS);

/** The runs of consecutive dirty pages as [first, last] page numbers, clearing them: pages changed from now on are written by the next flush. */
function takeDirtyRuns(dirty: Uint8Array): [number, number][] {
  const runs: [number, number][] = [];
  for (let p = 0; p < dirty.length; p++) {
    if (dirty[p] === 0) continue;
    const first = p;
    while (p + 1 < dirty.length && dirty[p + 1] === 1) p++;
    dirty.fill(0, first, p + 1);
    runs.push([first, p]);
  }
  return runs;
}

export class KeyIndex {
  private readonly sealed: SealedFile[] = [];
  private current: CurrentFile | undefined;

  private constructor(
    private readonly dir: string,
    private readonly slotNum: number,
    private readonly maxIndexNum: number,
  ) {}

  /** Loads the index, dropping every entry for a record at or after `truncateFrom` (to be re-added by recovery). */
  static async load(dir: string, slotNum: number, maxIndexNum: number, truncateFrom: number): Promise<KeyIndex> {
    const idx = new KeyIndex(dir, slotNum, maxIndexNum);
    await fsp.mkdir(dir, { recursive: true });
    const files = await listOffsetFiles(dir);
    const kept: SealedFile[] = [];
    for (const f of files) {
      const fd = await open(f.path, fs.constants.O_RDWR);
      const hb = await readAt(fd, HEADER, 0);
      const header = hb.length === HEADER ? decodeHeader(hb) : undefined;
      if (!header || header.slotNum <= 0 || f.start >= truncateFrom || header.count === 0) {
        await close(fd);
        await fsp.rm(f.path, { force: true });
        continue;
      }
      kept.push({ path: f.path, fd: new SharedFd(fd), header });
    }
    const last = kept[kept.length - 1];
    if (last && (last.header.endPhyOffset >= truncateFrom || last.header.count < maxIndexNum)) {
      kept.pop();
      idx.current = await idx.adopt(last, truncateFrom);
    }
    idx.sealed.push(...kept);
    return idx;
  }

  /** Makes a file the current one: slots into memory, entries at or after truncateFrom dropped. */
  private async adopt(f: SealedFile, truncateFrom: number): Promise<CurrentFile> {
    const fd = f.fd!.fd; // recovery: nothing else uses the index yet
    const slotNum = f.header.slotNum;
    const raw = await readAt(fd, slotNum * 4, HEADER);
    const slots = raw.length === slotNum * 4 ? raw : Buffer.concat([raw, Buffer.alloc(slotNum * 4 - raw.length)]);
    let count = f.header.count;
    const entriesAt = HEADER + slotNum * 4;
    // entries follow commit-log order: drop from the end while they point at or past truncateFrom
    while (count > 0) {
      const e = await readAt(fd, ENTRY, entriesAt + (count - 1) * ENTRY);
      if (e.length === ENTRY && readInt64(e, 4) < truncateFrom) break;
      count--;
    }
    const cur: CurrentFile = { ...f, slots, dirtyPages: new Uint8Array(pageCount(slotNum)), pending: Buffer.alloc(0), pendingCount: 0, writtenCount: count, headerDirty: count !== f.header.count };
    cur.header = { ...f.header, count };
    if (count !== f.header.count) {
      for (let s = 0; s < slotNum; s++) {
        const stored = slots.readInt32BE(s * 4);
        let head = stored;
        while (head > count) {
          const e = await readAt(fd, ENTRY, entriesAt + (head - 1) * ENTRY);
          const prev = e.length === ENTRY ? e.readInt32BE(16) : 0;
          head = prev < head ? prev : 0;
        }
        if (head !== stored) {
          slots.writeInt32BE(head, s * 4);
          cur.dirtyPages[Math.floor(s / PAGE_SLOTS)] = 1;
        }
      }
      await fsp.truncate(f.path, entriesAt + count * ENTRY);
    }
    return cur;
  }

  private newCurrent(phy: number, timestamp: number): CurrentFile {
    return {
      path: path.join(this.dir, offsetFileName(phy)),
      fd: undefined,
      header: { beginTimestamp: timestamp, endTimestamp: timestamp, beginPhyOffset: phy, endPhyOffset: phy, slotNum: this.slotNum, count: 0 },
      slots: Buffer.alloc(this.slotNum * 4),
      dirtyPages: new Uint8Array(pageCount(this.slotNum)),
      pending: Buffer.alloc(64 * ENTRY),
      pendingCount: 0,
      writtenCount: 0,
      headerDirty: true,
    };
  }

  /** Adds `key` of `topic` for the record at `phy` stored at `timestamp`. */
  put(topic: string, key: string, phy: number, timestamp: number): void {
    let cur = this.current;
    if (cur && cur.header.count >= this.maxIndexNum) {
      this.sealCurrent();
      cur = undefined;
    }
    cur ??= this.current = this.newCurrent(phy, timestamp);
    const h = cur.header;
    const hash = hashOf(topic, key);
    const slot = hash % h.slotNum;
    const n = h.count + 1;
    const at = cur.pendingCount * ENTRY;
    if (at + ENTRY > cur.pending.length) {
      const grown = Buffer.alloc(Math.max(64 * ENTRY, cur.pending.length * 2));
      cur.pending.copy(grown, 0, 0, at);
      cur.pending = grown;
    }
    cur.pending.writeInt32BE(hash, at);
    writeInt64(cur.pending, phy, at + 4);
    cur.pending.writeInt32BE(Math.max(0, Math.floor((timestamp - h.beginTimestamp) / 1000)), at + 12);
    cur.pending.writeInt32BE(cur.slots.readInt32BE(slot * 4), at + 16);
    cur.pendingCount++;
    cur.slots.writeInt32BE(n, slot * 4);
    cur.dirtyPages[Math.floor(slot / PAGE_SLOTS)] = 1;
    h.count = n;
    h.endPhyOffset = phy;
    if (timestamp > h.endTimestamp) h.endTimestamp = timestamp;
    cur.headerDirty = true;
  }

  private sealCurrent(): void {
    // the sealed file still holds pending data until the next flush writes it; keep it as current-like
    const cur = this.current!;
    this.retiring.push(cur);
    this.sealed.push(cur);
    this.current = undefined;
  }

  private readonly retiring: CurrentFile[] = [];

  /**
   * Commit-log offsets of records indexed under `key` of `topic` stored within [begin, end] ms,
   * newest first, at most maxNum. Candidates only: check each record's keys.
   */
  async query(topic: string, key: string, maxNum: number, begin = 0, end = Number.MAX_SAFE_INTEGER): Promise<number[]> {
    const hash = hashOf(topic, key);
    const out: number[] = [];
    const files: SealedFile[] = [...this.sealed];
    if (this.current) files.push(this.current);
    for (let i = files.length - 1; i >= 0 && out.length < maxNum; i--) {
      const f = files[i]!;
      const h = f.header;
      if (h.endTimestamp < begin || h.beginTimestamp > end) continue;
      const slot = hash % h.slotNum;
      let n = 'slots' in f ? (f as CurrentFile).slots.readInt32BE(slot * 4) : await this.readSlot(f, slot);
      let guard = h.count + 1;
      while (n > 0 && n <= h.count && out.length < maxNum && guard-- > 0) {
        const e = await this.readEntry(f, n);
        if (!e) break;
        const ts = h.beginTimestamp + e.readInt32BE(12) * 1000;
        if (e.readInt32BE(0) === hash && ts >= begin - 1000 && ts <= end + 1000) out.push(readInt64(e, 4));
        const prev = e.readInt32BE(16);
        if (prev >= n) break;
        n = prev;
      }
    }
    return out;
  }

  private async readSlot(f: SealedFile, slot: number): Promise<number> {
    f.fd ??= new SharedFd(await open(f.path, fs.constants.O_RDWR));
    const b = await f.fd.use((fd) => readAt(fd, 4, HEADER + slot * 4)).catch(() => Buffer.alloc(0));
    return b.length === 4 ? b.readInt32BE(0) : 0;
  }

  private async readEntry(f: SealedFile, n: number): Promise<Buffer | undefined> {
    const cur = 'pending' in f ? (f as CurrentFile) : undefined;
    if (cur && n > cur.writtenCount) {
      const at = (n - cur.writtenCount - 1) * ENTRY;
      return cur.pending.subarray(at, at + ENTRY);
    }
    f.fd ??= new SharedFd(await open(f.path, fs.constants.O_RDWR));
    const b = await f.fd.use((fd) => readAt(fd, ENTRY, HEADER + f.header.slotNum * 4 + (n - 1) * ENTRY)).catch(() => Buffer.alloc(0));
    return b.length === ENTRY ? b : undefined;
  }

  /** Writes new entries, dirty slot pages and headers; fsyncs. */
  async flush(): Promise<void> {
    const retiring = this.retiring.splice(0);
    for (const f of retiring) {
      await this.flushFile(f);
      // sealed for good: drop the in-memory slots and pending buffer
      const i = this.sealed.indexOf(f);
      if (i >= 0) this.sealed[i] = { path: f.path, fd: f.fd, header: { ...f.header } };
    }
    if (this.current) await this.flushFile(this.current);
  }

  private async flushFile(f: CurrentFile): Promise<void> {
    const runs = takeDirtyRuns(f.dirtyPages);
    if (f.pendingCount === 0 && runs.length === 0 && !f.headerDirty) return;
    try {
      await this.writeFile(f, runs);
    } catch (e) {
      // not written (e.g. no space): the pages and the header go out with the next flush
      for (const [first, last] of runs) f.dirtyPages.fill(1, first, last + 1);
      f.headerDirty = true;
      throw e;
    }
  }

  private async writeFile(f: CurrentFile, runs: readonly [number, number][]): Promise<void> {
    const created = f.fd === undefined;
    f.fd ??= new SharedFd(await open(f.path, fs.constants.O_RDWR | fs.constants.O_CREAT, 0o640));
    const fd = f.fd.fd; // flush runs alone (serialised by the store) and current files are never deleted
    const slotNum = f.header.slotNum;
    const count = f.pendingCount;
    if (count > 0) {
      const data = Buffer.from(f.pending.subarray(0, count * ENTRY));
      await writeFully(fd, data, HEADER + slotNum * 4 + f.writtenCount * ENTRY);
      // entries added while writing stay pending
      f.pending.copy(f.pending, 0, count * ENTRY, f.pendingCount * ENTRY);
      f.pendingCount -= count;
      f.writtenCount += count;
    }
    // one write per run of consecutive dirty pages: unique keys hash all over the slot table, so
    // under load nearly every page is dirty and this is a handful of large writes, not thousands
    for (const [first, last] of runs) {
      const from = first * PAGE_SLOTS;
      const to = Math.min(slotNum, (last + 1) * PAGE_SLOTS);
      await writeFully(fd, f.slots.subarray(from * 4, to * 4), HEADER + from * 4);
    }
    f.headerDirty = false;
    await writeFully(fd, encodeHeader({ ...f.header, count: f.writtenCount }), 0);
    await fdatasync(fd);
    if (created) await fsyncDir(this.dir);
  }

  /** Retention: deletes files whose every entry points below minPhysical. */
  async deleteBelowPhysical(minPhysical: number): Promise<void> {
    while (this.sealed.length > 0 && this.sealed[0]!.header.endPhyOffset < minPhysical && !this.retiring.includes(this.sealed[0] as CurrentFile)) {
      const f = this.sealed.shift()!;
      await fsp.rm(f.path, { force: true });
      await f.fd?.close();
    }
  }

  async close(): Promise<void> {
    await this.flush();
    for (const f of [...this.sealed, ...(this.current ? [this.current] : [])]) {
      await f.fd?.close();
      f.fd = undefined;
    }
  }
}
