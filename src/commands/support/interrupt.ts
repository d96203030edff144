/**
 * For commands that run until stopped (follow, watch, consume, tail, bench): the first Ctrl-C
 * (SIGINT) or SIGTERM aborts the signal handed to `work`; the listeners are removed when `work`
 * ends, however it ends. `stop` aborts the same way from inside (a count reached).
 */
export async function untilInterrupted<T>(work: (signal: AbortSignal, stop: () => void) => Promise<T>): Promise<T> {
  const abort = new AbortController();
  const stop = () => abort.abort();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  try {
    return await work(abort.signal, stop);
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
  }
}
