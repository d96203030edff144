/**
 * Child process of the store crash test: appends with SYNC_FLUSH, 64 puts in flight, and writes one
 * line per acknowledged put to stdout ("seq queueId queueOffset"): stdout is a pipe, which Node
 * writes synchronously on Linux, so a line the parent read is an ack that really happened.
 * Usage: node crash-child.mjs <storeDir> <firstSeq> [dsync]
 */
import { MessageStore } from '../../../src/broker/store/index.js';
import { message, SMALL_STORE } from '../../support/store-messages.js';
import { crashBody, crashProps } from './crash-data.js';

const [dir, first, mode] = process.argv.slice(2);
const store = await MessageStore.open({
  storePathRootDir: dir!,
  ...SMALL_STORE,
  mappedFileSizeCommitLog: 256 * 1024,
  flushDiskType: 'SYNC_FLUSH',
  // zero-filled next segments: recovery must tell them from data after a kill at any point
  preallocateSegments: true,
  syncFlushWithDsync: mode === 'dsync',
});
process.stderr.write('ready\n');
let next = Number(first);
async function worker(): Promise<never> {
  for (;;) {
    const seq = next++;
    const queueId = seq % 4;
    const r = await store.put(message('Crash', queueId, crashBody(seq), crashProps(seq)));
    if (r.status === 'PUT_OK') process.stdout.write(`${seq} ${queueId} ${r.appended!.queueOffset}\n`);
  }
}
await Promise.all(Array.from({ length: 64 }, worker));
