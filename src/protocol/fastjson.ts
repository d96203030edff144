/**
 * JSON as RocketMQ's Java side writes and reads it (fastjson 1.x, docs/design/protocol.md#json-bodies):
 * - object fields in alphabetical order, null/undefined fields left out;
 * - maps whose keys are not strings written the non-standard way: `Map<Long,…>` as `{0:"a"}`,
 *   maps keyed by an object (MessageQueue) as `{{"brokerName":"b","queueId":0,"topic":"t"}:{…}}`.
 *   Java admin tools (`mqadmin`, DefaultMQAdminExt) need that form for TopicStatsTable/ConsumeStats.
 * - "standard" mode (what a 4.9.4+ NameServer uses for routes): every key quoted and non-ASCII
 *   escaped as \uXXXX (fastjson's QuoteFieldNames + BrowserCompatible).
 * The reader accepts both forms.
 */

/**
 * A Java map with non-string keys. Number keys are written bare (`{0:"a"}`), object keys as JSON
 * objects; in standard mode both are written as quoted strings. Entries are written in key order
 * (numbers ascending, objects by their JSON text).
 */
export class JavaMap<K extends number | object = number | object, V = unknown> {
  constructor(readonly entries: readonly (readonly [K, V])[]) {}

  static of<V>(record: Readonly<Record<string, V>>): JavaMap<number, V> {
    return new JavaMap(Object.entries(record).map(([k, v]) => [Number(k), v] as const));
  }
}

/** A Java double: written with a decimal point as fastjson does (`0.0`, `12.5`). */
export class JavaDouble {
  constructor(readonly value: number) {}
}

export interface FastJsonOptions {
  /** Quote every key and escape non-ASCII (fastjson QuoteFieldNames + BrowserCompatible). */
  standard?: boolean;
}

const NON_ASCII = /[^\x20-\x7e]/;

function str(s: string, standard: boolean): string {
  const json = JSON.stringify(s);
  if (!standard || !NON_ASCII.test(json)) return json;
  let out = '';
  for (let i = 0; i < json.length; i++) {
    const c = json.charCodeAt(i);
    out += c > 0x7e ? `\\u${c.toString(16).padStart(4, '0')}` : json[i];
  }
  return out;
}

function num(n: number): string {
  // JSON has no NaN/Infinity; fastjson writes null for them.
  return Number.isFinite(n) ? String(n) : 'null';
}

function write(v: unknown, standard: boolean): string | undefined {
  if (v === null) return 'null';
  switch (typeof v) {
    case 'undefined':
    case 'function':
    case 'symbol':
      return undefined;
    case 'string':
      return str(v, standard);
    case 'number':
      return num(v);
    case 'bigint':
      return v.toString();
    case 'boolean':
      return v ? 'true' : 'false';
  }
  if (Array.isArray(v)) return `[${v.map((e) => write(e, standard) ?? 'null').join(',')}]`;
  if (v instanceof Set) return write([...(v as Set<unknown>)], standard);
  if (v instanceof JavaDouble) return Number.isInteger(v.value) ? `${v.value}.0` : num(v.value);
  if (v instanceof JavaMap) return writeJavaMap(v, standard);
  if (v instanceof Map) return writeObject([...(v as Map<unknown, unknown>)].map(([k, e]) => [String(k), e]), standard);
  const toJSON = (v as { toJSON?: () => unknown }).toJSON;
  if (typeof toJSON === 'function') return write(toJSON.call(v), standard);
  return writeObject(Object.entries(v as object), standard);
}

function writeObject(entries: [string, unknown][], standard: boolean): string {
  entries.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  let s = '{';
  for (const [k, e] of entries) {
    const w = write(e, standard);
    // fastjson leaves null fields out
    if (w === undefined || e === null) continue;
    if (s.length > 1) s += ',';
    s += `${str(k, standard)}:${w}`;
  }
  return `${s}}`;
}

function writeJavaMap(m: JavaMap, standard: boolean): string {
  const keyed = m.entries.map(([k, e]) => {
    const keyText = typeof k === 'number' ? num(k) : (write(k, standard) as string);
    return { k, keyText, e };
  });
  keyed.sort((a, b) => {
    if (typeof a.k === 'number' && typeof b.k === 'number') return a.k - b.k;
    return a.keyText < b.keyText ? -1 : a.keyText > b.keyText ? 1 : 0;
  });
  let s = '{';
  for (const { keyText, e } of keyed) {
    const w = write(e, standard);
    if (w === undefined || e === null) continue;
    if (s.length > 1) s += ',';
    s += `${standard ? JSON.stringify(keyText) : keyText}:${w}`;
  }
  return `${s}}`;
}

/** Serialises `value` the way fastjson does (see the module comment). */
export function toFastJson(value: unknown, opts: FastJsonOptions = {}): string {
  return write(value, opts.standard ?? false) ?? 'null';
}

export class FastJsonSyntaxError extends Error {
  override readonly name = 'FastJsonSyntaxError';
}

/**
 * Parses JSON as fastjson writes it: standard JSON, plus bare number keys (read as string keys,
 * `{0:"a"}` → `{"0":"a"}`) and object keys (the object becomes a JavaMap). Standard JSON takes
 * the fast path through JSON.parse.
 */
export function parseFastJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return new LenientParser(text).parseDocument();
  }
}

/** Depth limit: the reader is recursive and input may be hostile. */
const MAX_DEPTH = 200;

class LenientParser {
  private i = 0;
  constructor(private readonly s: string) {}

  parseDocument(): unknown {
    const v = this.value(0);
    this.ws();
    if (this.i !== this.s.length) this.fail('unexpected text after the value');
    return v;
  }

  private fail(what: string): never {
    throw new FastJsonSyntaxError(`${what} at offset ${this.i}`);
  }

  private ws(): void {
    while (this.i < this.s.length && ' \t\n\r'.includes(this.s[this.i] as string)) this.i++;
  }

  private value(depth: number): unknown {
    if (depth > MAX_DEPTH) this.fail('nesting too deep');
    this.ws();
    const c = this.s[this.i];
    if (c === '{') return this.object(depth);
    if (c === '[') return this.array(depth);
    if (c === '"') return this.string();
    if (c === '-' || (c !== undefined && c >= '0' && c <= '9')) return this.number();
    for (const [word, v] of [['true', true], ['false', false], ['null', null]] as const) {
      if (this.s.startsWith(word, this.i)) {
        this.i += word.length;
        return v;
      }
    }
    return this.fail('unexpected character');
  }

  private string(): string {
    const start = this.i;
    this.i++;
    while (this.i < this.s.length) {
      const c = this.s[this.i];
      if (c === '\\') this.i += 2;
      else if (c === '"') {
        this.i++;
        return JSON.parse(this.s.slice(start, this.i)) as string;
      } else this.i++;
    }
    return this.fail('unterminated string');
  }

  private number(): number {
    const m = /-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
    m.lastIndex = this.i;
    const r = m.exec(this.s);
    if (!r) this.fail('bad number');
    this.i += r[0].length;
    return Number(r[0]);
  }

  private array(depth: number): unknown[] {
    this.i++;
    const out: unknown[] = [];
    this.ws();
    if (this.s[this.i] === ']') {
      this.i++;
      return out;
    }
    for (;;) {
      out.push(this.value(depth + 1));
      this.ws();
      const c = this.s[this.i++];
      if (c === ']') return out;
      if (c !== ',') this.fail('expected , or ]');
    }
  }

  private object(depth: number): unknown {
    this.i++;
    const plain: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
    const objectKeyed: [object, unknown][] = [];
    this.ws();
    if (this.s[this.i] === '}') {
      this.i++;
      return plain;
    }
    for (;;) {
      this.ws();
      const c = this.s[this.i];
      let key: string | object;
      if (c === '"') key = this.string();
      else if (c === '{') key = this.object(depth + 1) as object;
      else if (c === '-' || (c !== undefined && c >= '0' && c <= '9')) key = String(this.number());
      else {
        const m = /[A-Za-z_$][\w$]*/y;
        m.lastIndex = this.i;
        const r = m.exec(this.s);
        if (!r) this.fail('expected a key');
        this.i += r[0].length;
        key = r[0];
      }
      this.ws();
      if (this.s[this.i++] !== ':') this.fail('expected :');
      const v = this.value(depth + 1);
      if (typeof key === 'string') plain[key] = v;
      else objectKeyed.push([key, v]);
      this.ws();
      const sep = this.s[this.i++];
      if (sep === '}') break;
      if (sep !== ',') this.fail('expected , or }');
    }
    if (objectKeyed.length > 0) return new JavaMap(objectKeyed);
    // Null prototype: a "__proto__" key stays data (JSON.parse behaves the same way).
    return plain;
  }
}
