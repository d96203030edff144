import { createHash } from 'node:crypto';

/** Deterministic body of message `seq` (sizes vary so records straddle write and segment boundaries). */
export function crashBody(seq: number): Buffer {
  const h = createHash('sha256').update(String(seq)).digest();
  const len = 100 + ((seq * 7919) % 1500);
  const b = Buffer.allocUnsafe(len);
  for (let i = 0; i < len; i++) b[i] = h[i % h.length]!;
  return b;
}

export function crashProps(seq: number): Record<string, string> {
  return { TAGS: `t${seq % 5}`, KEYS: `s${seq}`, SEQ: String(seq) };
}
