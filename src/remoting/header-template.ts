/**
 * A JSON header written from a template for one fixed extFields shape (the broker's SEND_OK reply
 * is one per message): the key fragments are built once, so a header costs a string concatenation
 * instead of JSON.stringify over a fresh object. It writes byte for byte what encodeJsonHeader
 * writes (test/remoting/header-template.test.ts) and gives up — returns undefined, the caller
 * falls back to encodeJsonHeader — whenever that is not certain: a remark, a value or language
 * that JSON would escape, a key missing or more keys than the template's.
 */
import type { RemotingCommand } from './command.js';

/** True when JSON.stringify writes `s` as it is between quotes (printable ASCII, no `"` or `\`). */
function plain(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c > 0x7e || c === 0x22 || c === 0x5c) return false;
  }
  return true;
}

export class JsonHeaderTemplate {
  /** `{"k0":"`, `","k1":"`, … : what goes before each value. */
  private readonly before: readonly string[];

  /** `keys` in the order the command's extFields object has them (insertion order). */
  constructor(readonly keys: readonly string[]) {
    if (keys.length === 0 || !keys.every(plain)) throw new Error('JsonHeaderTemplate: keys must be plain ASCII, at least one');
    this.before = keys.map((k, i) => `${i === 0 ? '{"' : '","'}${k}":"`);
  }

  /** The header text of `cmd`, identical to encodeJsonHeader(cmd); undefined when this template does not fit `cmd`. */
  json(cmd: RemotingCommand): string | undefined {
    const ext = cmd.extFields;
    if (ext === undefined || cmd.remark !== undefined || !plain(cmd.language)) return undefined;
    let s = `{"code":${cmd.code | 0},"extFields":`;
    const keys = this.keys;
    for (let i = 0; i < keys.length; i++) {
      const v = ext[keys[i] as string];
      if (typeof v !== 'string' || !plain(v)) return undefined;
      s += (this.before[i] as string) + v;
    }
    let n = 0;
    for (const _ in ext) n++;
    if (n !== keys.length) return undefined;
    return `${s}"},"flag":${cmd.flag | 0},"language":"${cmd.language}","opaque":${cmd.opaque | 0},"serializeTypeCurrentRPC":"JSON","version":${cmd.version | 0}}`;
  }
}
